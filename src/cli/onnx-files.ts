import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { exportOnnx, type OnnxOptions } from '../interop/onnx.js';
import { writeFileAtomic } from '../node/atomic.js';
import { loadAnyModel } from '../node/files.js';
import type { ReportPart } from '../report/run-report.js';
import { formatMarkdown } from '../report/table.js';

/** One model of a run folder as ONNX: its bytes, or why it has no ONNX file. */
export interface OnnxFile {
  model: string;
  safetensorsBytes: number;
  onnx: string | null;
  onnxBytes: number | null;
  skipped?: string;
}

/**
 * Writes `<name>.onnx` beside every `<name>.safetensors` of a run folder (what `npm start`
 * does at its end), so the run's models leave slimtensor for onnxruntime and other
 * runtimes. A model with a layer ONNX export does not cover is listed with the reason.
 */
export async function exportRunFolder(dir: string, options: OnnxOptions = {}): Promise<OnnxFile[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.safetensors')).sort();
  const rows: OnnxFile[] = [];
  for (const file of files) {
    const path = join(dir, file);
    const safetensorsBytes = (await fs.stat(path)).size;
    try {
      const bytes = await exportOnnx(await loadAnyModel(path), { ...options, name: file });
      const onnx = file.replace(/\.safetensors$/, '.onnx');
      await writeFileAtomic(join(dir, onnx), bytes);
      rows.push({ model: file, safetensorsBytes, onnx, onnxBytes: bytes.length });
    } catch (e) {
      rows.push({ model: file, safetensorsBytes, onnx: null, onnxBytes: null, skipped: (e as Error).message.replace(`${path}: `, '') });
    }
  }
  return rows;
}

/** The ONNX files as a part of report.md. */
export function onnxReportPart(rows: OnnxFile[]): ReportPart {
  return {
    title: 'The models as ONNX',
    lines: [
      'Every model of this run is also written as ONNX (`slimtensor export`), which onnxruntime runs as slimtensor does (tested).',
      '',
      formatMarkdown(rows, [
        { header: 'model', value: (r) => r.model },
        { header: 'safetensors KiB', value: (r) => r.safetensorsBytes / 1024, digits: 1 },
        { header: 'ONNX file', value: (r) => r.onnx ?? `none: ${r.skipped}` },
        { header: 'ONNX KiB', value: (r) => (r.onnxBytes === null ? '' : (r.onnxBytes / 1024).toFixed(1)) },
      ]),
    ],
    charts: [],
    bytes: [],
    speed: [],
  };
}
