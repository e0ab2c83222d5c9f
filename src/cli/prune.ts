import { loadExperimentData } from '../experiments/common.js';
import { NOTEBOOK_THRESHOLDS, runZeroPruning, type FineTuneRow, type ThresholdRow } from '../experiments/zero-pruning.js';
import { formatTable, type Column } from '../report/table.js';
import { EXPERIMENT_FLAGS, EXPERIMENT_USAGE, experimentConfig, integer, MODEL_FLAG, MODEL_USAGE, modelPath, numberList, prepareOut, UsageError, type Command } from './args.js';

export const SWEEP_COLUMNS: Column<ThresholdRow>[] = [
  { header: 'threshold', value: (r) => r.threshold, digits: 2 },
  { header: 'accuracy', value: (r) => r.accuracy, digits: 4 },
  { header: 'weights', value: (r) => r.weights },
  { header: 'zeros', value: (r) => r.zeros },
  { header: 'zero %', value: (r) => r.zeroPercent, digits: 1 },
  { header: 'dense MB', value: (r) => r.denseBytes / 2 ** 20, digits: 3 },
  { header: 'values only MB', value: (r) => r.csrValueBytes / 2 ** 20, digits: 3 },
  { header: 'CSR int32 MB', value: (r) => r.csrBytes / 2 ** 20, digits: 3 },
  { header: 'CSR u16 MB', value: (r) => r.csrBytesNarrow / 2 ** 20, digits: 3 },
  { header: 'dense/CSR', value: (r) => r.compression, digits: 2 },
  { header: 'ms b1 dense', value: (r) => r.denseLatency1 * 1000, digits: 3 },
  { header: 'ms b1 CSR', value: (r) => r.sparseLatency1 * 1000, digits: 3 },
  { header: 'ms b64 dense', value: (r) => r.denseLatency64 * 1000, digits: 2 },
  { header: 'ms b64 CSR', value: (r) => r.sparseLatency64 * 1000, digits: 2 },
  { header: 'speed-up b1', value: (r) => `${(r.denseLatency1 / r.sparseLatency1).toFixed(2)}×` },
  { header: 'speed-up b64', value: (r) => `${(r.denseLatency64 / r.sparseLatency64).toFixed(2)}×` },
];

export const FINE_TUNE_COLUMNS: Column<FineTuneRow>[] = [
  { header: 'round', value: (r) => r.round },
  { header: 'target %', value: (r) => r.targetSparsity * 100, digits: 1 },
  { header: 'zeros %', value: (r) => r.sparsity * 100, digits: 2 },
  { header: 'fewer weights', value: (r) => `${r.reduction.toFixed(1)}×` },
  { header: 'accuracy pruned', value: (r) => r.accuracyPruned * 100, digits: 2 },
  { header: 'after fine-tune', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'ms b1 CSR', value: (r) => r.sparseLatency1 * 1000, digits: 3 },
  { header: 'ms b64 CSR', value: (r) => r.sparseLatency64 * 1000, digits: 2 },
  { header: 'speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
];

/** `slimtensor prune`: notebook section 2. */
export const pruneCommand: Command = {
  name: 'prune',
  summary: 'section 2: magnitude (zero) pruning, stored and run as CSR, plus prune → fine-tune rounds',
  flagsHelp: `  --thresholds <list>     λ values of the sweep (default 0,0.01,…,0.1, the notebook's)
  --schedule <list>       target sparsities of the fine-tuning rounds (default 0.6,0.8,0.9,0.95; 'none' skips)
  --fine-tune-epochs <n>  epochs of fine-tuning per round (default 1)
  --scope <global|layer>  how rounds rank weights (default global)
${MODEL_USAGE}
${EXPERIMENT_USAGE}`,
  options: { ...EXPERIMENT_FLAGS, ...MODEL_FLAG, thresholds: { type: 'string' }, schedule: { type: 'string' }, 'fine-tune-epochs': { type: 'string' }, scope: { type: 'string' } },
  async run(values, io) {
    const scope = (values.scope as string | undefined) ?? 'global';
    if (scope !== 'global' && scope !== 'layer') throw new UsageError(`--scope must be global or layer, got '${scope}'`);
    const schedule = values.schedule === 'none' ? [] : numberList('schedule', values.schedule as string | undefined, { min: 0, max: 1, openMax: true });
    const config = {
      ...experimentConfig(values, io),
      thresholds: numberList('thresholds', values.thresholds as string | undefined, { min: 0 }) ?? NOTEBOOK_THRESHOLDS,
      fineTuneSchedule: schedule ?? [0.6, 0.8, 0.9, 0.95],
      fineTuneEpochs: integer('fine-tune-epochs', values['fine-tune-epochs'] as string | undefined, 1, 1),
      scope: scope as 'global' | 'layer',
      modelPath: await modelPath(values),
    };
    await prepareOut(config.out);
    io.out('section 2, zero pruning\n');
    const result = await runZeroPruning(config, await loadExperimentData(config));
    io.out(`\n${formatTable(result.sweep, SWEEP_COLUMNS)}\n`);
    if (result.fineTune.length > 0) {
      io.out(`\nprune → fine-tune rounds (${config.scope}, ${config.fineTuneEpochs} epoch(s) each), unpruned accuracy ${(result.baseAccuracy * 100).toFixed(2)}%\n`);
      io.out(`${formatTable(result.fineTune, FINE_TUNE_COLUMNS)}\n`);
      const best = result.bestWithinHalfPoint;
      io.out(best
        ? `sparsest within 0.5 point: ${(best.sparsity * 100).toFixed(1)}% zeros (${best.reduction.toFixed(1)}× fewer weights) at ${(best.accuracy * 100).toFixed(2)}%\n`
        : 'no round stayed within 0.5 point of the unpruned accuracy\n');
    }
    if (config.out) io.out(`saved to ${config.out}\n`);
    return 0;
  },
};
