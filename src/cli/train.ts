import { writeJson } from '../experiments/config.js';
import { runTrain, TRAIN_MODELS, type TrainModel, type TrainRow } from '../experiments/train.js';
import { type Column, formatTable } from '../report/table.js';
import { EPOCH_COLUMNS } from '../train/classifier.js';
import { type Command, EXPERIMENT_FLAGS, EXPERIMENT_USAGE, experimentConfig, UsageError, withOutFolder } from './args.js';

const COLUMNS: Column<TrainRow>[] = [...EPOCH_COLUMNS.slice(0, 4), { header: 'params', value: (r) => r.params }, ...EPOCH_COLUMNS.slice(4)];

/** `slimtensor train`: trains the notebook's models with cross-entropy. */
export const trainCommand: Command = {
  name: 'train',
  summary: "train the notebook's models (MLP 784-512-256-128-10, teacher CNN)",
  flagsHelp: `  --model <mlp|cnn|all>   which model (default all)
  --epochs <n>            epochs per model (default 1)
${EXPERIMENT_USAGE.split('\n')
  .filter((l) => !l.includes('--epochs'))
  .join('\n')}`,
  options: { ...EXPERIMENT_FLAGS, model: { type: 'string' } },
  async run(values, io) {
    const model = (values.model as string | undefined) ?? 'all';
    // Object.hasOwn, not `in`: `--model toString` names no model.
    if (model !== 'all' && !Object.hasOwn(TRAIN_MODELS, model)) throw new UsageError(`--model must be mlp, cnn or all, got '${model}'`);
    const models = (model === 'all' ? Object.keys(TRAIN_MODELS) : [model]) as TrainModel[];
    const config = { ...experimentConfig({ epochs: '1', ...values }, io), models };
    await withOutFolder(config.out, async () => {
      io.out(
        `training ${models.join(', ')}: ${config.epochs} epoch(s), batch ${config.batchSize}, Adam lr ${config.lr}, seed ${config.seed}\n`,
      );
      const start = performance.now();
      const rows = await runTrain({
        ...config,
        onEpoch: (r) => io.out(`${r.model} epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, accuracy ${(r.accuracy * 100).toFixed(2)}%\n`),
      });
      io.out(`\n${formatTable(rows, COLUMNS)}\n`);
      io.out(`\ntotal ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
      if (config.out) {
        const { log: _log, progress: _progress, ...settings } = config;
        await writeJson(config.out, 'results.json', { command: 'train', config: settings, node: process.version, rows });
        io.out(`saved to ${config.out}\n`);
      }
    });
    return 0;
  },
};
