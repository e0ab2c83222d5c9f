import { promises as fs } from 'node:fs';
import { loadExperimentData } from '../experiments/common.js';
import { runQuantization, type LayerErrorRow, type QuantizationRow } from '../experiments/quantization.js';
import { formatTable, type Column } from '../report/table.js';
import { EXPERIMENT_FLAGS, EXPERIMENT_USAGE, experimentConfig, MODEL_FLAG, MODEL_USAGE, modelPath, prepareOut, UsageError, type Command } from './args.js';

export const QUANT_COLUMNS: Column<QuantizationRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'scheme', value: (r) => r.scheme },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'weight KiB', value: (r) => r.weightBytes / 1024, digits: 1 },
  { header: 'file KiB', value: (r) => r.fileBytes / 1024, digits: 1 },
  { header: 'ms b64', value: (r) => r.latency64 * 1000, digits: 3 },
  { header: 'ms 10k set', value: (r) => r.latency10k * 1000, digits: 1 },
  { header: 'in batches of', value: (r) => r.largeBatch },
  { header: 'speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
  { header: 'speed-up 10k', value: (r) => `${r.speedup10k.toFixed(2)}×` },
  { header: 'ms b1', value: (r) => r.latency1 * 1000, digits: 3 },
  { header: 'speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
];

export const LAYER_COLUMNS: Column<LayerErrorRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'layer', value: (r) => r.layer },
  { header: 'scheme', value: (r) => r.scheme },
  { header: 'SQNR dB', value: (r) => r.sqnrDb, digits: 1 },
];

/** `slimtensor quantize`: notebook section 5. */
export const quantizeCommand: Command = {
  name: 'quantize',
  summary: 'section 5: dynamic int8 quantization computed in int8: accuracy, bytes, speed, SQNR',
  flagsHelp: `  --teacher <file>        the trained teacher CNN to quantize too (default: train one)
  --no-teacher            quantize the MLP only
${MODEL_USAGE}
${EXPERIMENT_USAGE}`,
  options: { ...EXPERIMENT_FLAGS, ...MODEL_FLAG, teacher: { type: 'string' }, 'no-teacher': { type: 'boolean' } },
  async run(values, io) {
    const teacherPath = values.teacher as string | undefined;
    if (teacherPath !== undefined && !(await fs.stat(teacherPath).catch(() => null))?.isFile()) throw new UsageError(`--teacher ${teacherPath}: no such file`);
    const config = { ...experimentConfig(values, io), modelPath: await modelPath(values), teacherPath, skipTeacher: values['no-teacher'] === true };
    await prepareOut(config.out);
    io.out('section 5, dynamic int8 quantization\n');
    const r = await runQuantization(config, await loadExperimentData(config));
    io.out(`\n${formatTable(r.rows, QUANT_COLUMNS)}\n\nweight quantization error per layer\n${formatTable(r.layers, LAYER_COLUMNS)}\n`);
    if (config.out) io.out(`saved to ${config.out}\n`);
    return 0;
  },
};
