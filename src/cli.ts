import { promises as fs } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BASELINE_MODELS, runBaseline, type BaselineModel, type BaselineRow } from './experiments/baseline.js';
import { writeFileAtomic } from './io/atomic.js';
import { formatTable, type Column } from './report/table.js';
import { join } from 'node:path';

export const USAGE = `usage: slimtensor <command> [flags]

commands:
  train      train the notebook's models (MLP 784-512-256-128-10, teacher CNN)

flags of train:
  --model <mlp|cnn|all>   which model (default all)
  --epochs <n>            epochs per model (default 1)
  --seed <n>              seed of initialization and shuffling (default 0)
  --batch-size <n>        batch size (default 64)
  --lr <x>                Adam learning rate (default 0.001)
  --train-limit <n>       train on the first n images only
  --test-limit <n>        evaluate on the first n test images only
  --out <dir>             save the models (safetensors) and results.json there
  -h, --help              show this help
`;

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** Where the CLI writes; tests pass their own. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function integer(flag: string, raw: string | undefined, fallback: number | undefined, min: number): number | undefined {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
    throw new UsageError(`--${flag} must be an integer ≥ ${min}, got '${raw}'`);
  }
  return v;
}

function positiveNumber(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || v <= 0) throw new UsageError(`--${flag} must be a number > 0, got '${raw}'`);
  return v;
}

/** Refuses an --out that exists and is not a folder, before anything is written. */
async function checkOutDir(out: string | undefined): Promise<void> {
  if (out === undefined) return;
  const stat = await fs.stat(out).catch(() => null);
  if (stat && !stat.isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`);
}

const TRAIN_FLAGS = {
  model: { type: 'string' },
  epochs: { type: 'string' },
  seed: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'train-limit': { type: 'string' },
  'test-limit': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

const EPOCH_COLUMNS: Column<BaselineRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'epoch', value: (r) => r.epoch },
  { header: 'loss', value: (r) => r.loss, digits: 4 },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'params', value: (r) => r.params },
  { header: 'seconds', value: (r) => r.seconds, digits: 1 },
  { header: 'images/s', value: (r) => r.imagesPerSecond, digits: 0 },
];

async function train(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: TRAIN_FLAGS, strict: true, allowPositionals: false });
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const model = values.model ?? 'all';
  if (model !== 'all' && !(model in BASELINE_MODELS)) throw new UsageError(`--model must be mlp, cnn or all, got '${model}'`);
  const models = (model === 'all' ? Object.keys(BASELINE_MODELS) : [model]) as BaselineModel[];
  const config = {
    models,
    epochs: integer('epochs', values.epochs, 1, 1)!,
    seed: integer('seed', values.seed, 0, 0)!,
    batchSize: integer('batch-size', values['batch-size'], 64, 1)!,
    lr: positiveNumber('lr', values.lr, 1e-3),
    trainLimit: integer('train-limit', values['train-limit'], undefined, 1),
    testLimit: integer('test-limit', values['test-limit'], undefined, 1),
    out: values.out,
    progress: true,
  };
  await checkOutDir(config.out);
  if (config.out) await fs.mkdir(config.out, { recursive: true });

  io.out(`training ${models.join(', ')}: ${config.epochs} epoch(s), batch ${config.batchSize}, Adam lr ${config.lr}, seed ${config.seed}\n`);
  const start = performance.now();
  const rows = await runBaseline({ ...config, onEpoch: (r) => io.out(`${r.model} epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, accuracy ${(r.accuracy * 100).toFixed(2)}%\n`) });
  io.out(`\n${formatTable(rows, EPOCH_COLUMNS)}\n`);
  io.out(`\ntotal ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
  if (config.out) {
    const results = { command: 'train', config: { ...config, progress: undefined }, node: process.version, rows };
    await writeFileAtomic(join(config.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    io.out(`saved to ${config.out}\n`);
  }
  return 0;
}

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = { train };

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit code:
 * 0 on success, 2 for a usage error (the message and the usage go to stderr).
 */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.out(USAGE);
    return command === undefined ? 2 : 0;
  }
  const run = COMMANDS[command];
  try {
    if (!run) throw new UsageError(`unknown command '${command}'`);
    return await run(rest, io);
  } catch (e) {
    const usage = e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if (!usage) throw e;
    io.err(`slimtensor: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
}
