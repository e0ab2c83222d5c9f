import { loadExperimentData } from '../experiments/common.js';
import { NOTEBOOK_ACTIVATION_THRESHOLDS, runActivationPruning, type ActivationRow } from '../experiments/activation-pruning.js';
import { formatTable, type Column } from '../report/table.js';
import { EXPERIMENT_FLAGS, EXPERIMENT_USAGE, experimentConfig, integer, MODEL_FLAG, MODEL_USAGE, modelPath, numberList, prepareOut, UsageError, type Command } from './args.js';

export const ACTIVATION_COLUMNS: Column<ActivationRow>[] = [
  { header: 'threshold', value: (r) => r.threshold, digits: 1 },
  { header: 'accuracy', value: (r) => r.accuracy, digits: 4 },
  { header: 'original params', value: (r) => r.originalParams },
  { header: 'new params', value: (r) => r.newParams },
  { header: 'size reduction', value: (r) => r.sizeReduction, digits: 3 },
  { header: 'kept neurons', value: (r) => `${r.kept.join('-')}${r.emptied.length ? ' *' : ''}` },
  { header: 'ms / batch 64', value: (r) => r.latencyBatch * 1000, digits: 3 },
  { header: 'ms / 10k set', value: (r) => r.latencySet * 1000, digits: 1 },
  { header: 'speed-up 10k', value: (r) => `${r.speedup.toFixed(2)}×` },
  { header: 'ms b1', value: (r) => r.latency1 * 1000, digits: 3 },
  { header: 'speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
  { header: 'fine-tuned', value: (r) => (r.fineTuned === undefined ? '' : (r.fineTuned * 100).toFixed(2)) },
];

/** `slimtensor activation-prune`: notebook section 3. */
export const activationPruneCommand: Command = {
  name: 'activation-prune',
  summary: 'section 3: remove neurons with low mean activation; smaller matrices, real speed-up',
  flagsHelp: `  --thresholds <list>     thresholds of the sweep (default 0,0.1,…,1, the notebook's)
  --score <mean|active|l1>  neuron score: mean activation (default), firing rate, L1 norm of weights
  --fine-tune <list>      fine-tune the pruned net at these thresholds and report the recovered accuracy
  --fine-tune-epochs <n>  epochs of that fine-tuning (default 1)
${MODEL_USAGE}
${EXPERIMENT_USAGE}`,
  options: { ...EXPERIMENT_FLAGS, ...MODEL_FLAG, thresholds: { type: 'string' }, score: { type: 'string' }, 'fine-tune': { type: 'string' }, 'fine-tune-epochs': { type: 'string' } },
  async run(values, io) {
    const score = (values.score as string | undefined) ?? 'mean';
    if (!['mean', 'active', 'l1'].includes(score)) throw new UsageError(`--score must be mean, active or l1, got '${score}'`);
    const config = {
      ...experimentConfig(values, io),
      thresholds: numberList('thresholds', values.thresholds as string | undefined) ?? NOTEBOOK_ACTIVATION_THRESHOLDS,
      score: score as 'mean' | 'active' | 'l1',
      fineTune: numberList('fine-tune', values['fine-tune'] as string | undefined) ?? [],
      fineTuneEpochs: integer('fine-tune-epochs', values['fine-tune-epochs'] as string | undefined, 1, 1),
      modelPath: await modelPath(values),
    };
    await prepareOut(config.out);
    io.out(`section 3, activation pruning (score: ${config.score})\n`);
    const result = await runActivationPruning(config, await loadExperimentData(config));
    io.out(`\n${result.layers.map((l) => `${l.layer}: ${l.neurons} neurons, mean activation ${l.meanActivation.toFixed(3)}, ${l.dead} never active`).join('\n')}\n`);
    io.out(`\n${formatTable(result.sweep, ACTIVATION_COLUMNS)}\n`);
    if (result.sweep.some((r) => r.emptied.length > 0)) io.out('* a layer had no neuron at or above the threshold; its strongest neuron was kept\n');
    if (config.out) io.out(`saved to ${config.out}\n`);
    return 0;
  },
};
