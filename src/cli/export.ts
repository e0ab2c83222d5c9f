import { promises as fs } from 'node:fs';
import { exportOnnx } from '../interop/onnx.js';
import { writeFileAtomic } from '../node/atomic.js';
import { loadAnyModel } from '../node/files.js';
import { type Command, existingFile, UsageError } from './args.js';
import { exportRunFolder } from './onnx-files.js';

/**
 * `slimtensor export --model FILE --out FILE.onnx`: any model slimtensor saved (dense,
 * sparse, factorized, int8; SimpleNet, a student, an activation-pruned net, the teacher)
 * as ONNX, for onnxruntime and other runtimes.
 */
export const exportCommand: Command = {
  name: 'export',
  summary: 'write a saved model (dense or compressed) as ONNX, for onnxruntime and other runtimes',
  flagsHelp: `  --model <file>          a model slimtensor saved (safetensors)
  --out <file>            the .onnx file to write
  --all <dir>             instead: every model of a run folder, each as <name>.onnx beside it
  --sparse                store sparse (CSR) weights as ONNX sparse_initializers: smaller
                          files; onnxruntime makes them dense again when it loads them
  -h, --help              show this help`,
  options: {
    model: { type: 'string' },
    out: { type: 'string' },
    all: { type: 'string' },
    sparse: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
  async run(values, io) {
    const all = values.all as string | undefined;
    const options = { sparse: values.sparse === true };
    if (all !== undefined) {
      if (values.model !== undefined || values.out !== undefined) throw new UsageError('--all takes no --model or --out');
      if (!(await fs.stat(all).catch(() => null))?.isDirectory()) throw new UsageError(`--all ${all}: no such folder`);
      const rows = await exportRunFolder(all, options);
      if (rows.length === 0) throw new UsageError(`--all ${all}: the folder holds no .safetensors model`);
      for (const r of rows) io.out(r.onnx ? `wrote ${r.onnx}: ${r.onnxBytes} bytes\n` : `skipped ${r.model}: ${r.skipped}\n`);
      return rows.every((r) => r.onnx) ? 0 : 1;
    }
    const model = await existingFile('model', values.model as string | undefined);
    const out = values.out as string | undefined;
    if (model === undefined) throw new UsageError('--model <file> is required');
    if (out === undefined || !out.endsWith('.onnx')) throw new UsageError(`--out must name a .onnx file, got '${out ?? ''}'`);
    const net = await loadAnyModel(model);
    const t0 = performance.now();
    const bytes = await exportOnnx(net, { ...options, name: model });
    await writeFileAtomic(out, bytes);
    io.out(`wrote ${out}: ${net.constructor.name}, ${bytes.length} bytes, in ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
    return 0;
  },
};
