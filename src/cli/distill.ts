import { loadExperimentData } from '../experiments/common.js';
import { runDistillation, type DistillationRow } from '../experiments/distillation.js';
import { formatTable, type Column } from '../report/table.js';
import { EXPERIMENT_FLAGS, EXPERIMENT_USAGE, experimentConfig, number, numberList, prepareOut, type Command } from './args.js';
import { EPOCH_COLUMNS } from './tables.js';

export const SUMMARY_COLUMNS: Column<DistillationRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'trained by', value: (r) => r.method },
  { header: 'params', value: (r) => r.params },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'KiB', value: (r) => r.bytes / 1024, digits: 1 },
  { header: 'ms / batch 64', value: (r) => r.latencyBatch * 1000, digits: 3 },
  { header: 'ms / 10k set', value: (r) => r.latencySet * 1000, digits: 1 },
  { header: 'ms b1', value: (r) => r.latency1 * 1000, digits: 3 },
  { header: 'vs teacher b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'vs teacher b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
];

/** `slimtensor distill`: notebook section 1. */
export const distillCommand: Command = {
  name: 'distill',
  summary: 'section 1: knowledge distillation (teacher CNN → student MLP, vs labels only)',
  flagsHelp: `  --temperature <T>       temperature of the proper KD student (default 4)
  --alpha <a>             weight of the label loss in [0, 1] (default 0.5)
  --sweep-temperature <list>  also train a KD student at each T, e.g. 1,2,4,8
${EXPERIMENT_USAGE}`,
  options: { ...EXPERIMENT_FLAGS, temperature: { type: 'string' }, alpha: { type: 'string' }, 'sweep-temperature': { type: 'string' } },
  async run(values, io) {
    const config = {
      ...experimentConfig(values, io),
      temperature: number('temperature', values.temperature as string | undefined, 4, { min: 0, openMin: true }),
      alpha: number('alpha', values.alpha as string | undefined, 0.5, { min: 0, max: 1 }),
      sweepTemperatures: numberList('sweep-temperature', values['sweep-temperature'] as string | undefined, { min: 0, openMin: true }),
    };
    await prepareOut(config.out);
    io.out(`section 1, knowledge distillation: ${config.epochs} epoch(s), batch ${config.batchSize}, Adam lr ${config.lr}, seed ${config.seed}\n`);
    const data = await loadExperimentData(config);
    const result = await runDistillation(config, data);
    io.out(`\n${formatTable(result.epochs, EPOCH_COLUMNS)}\n\n${formatTable(result.models, SUMMARY_COLUMNS)}\n`);
    const gain = result.kdGainPoints;
    io.out(`\nKD (T=${config.temperature}, α=${config.alpha}) vs labels only: ${gain >= 0 ? '+' : ''}${gain.toFixed(2)} points` +
      ` (${gain > 0 ? 'distillation helped' : gain < 0 ? 'distillation did worse' : 'no difference'} on this seed)\n`);
    if (config.out) io.out(`saved to ${config.out}\n`);
    return 0;
  },
};
