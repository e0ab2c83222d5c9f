import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { loadModel } from '../src/nn/checkpoint.js';
import { MLP } from '../src/nn/models.js';
import { tempDir } from './helpers.js';

describe('slimtensor CLI', () => {
  it('bad input is a usage error: exit code 2, the reason and the usage on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['train', '--epochs', 'five'], /--epochs must be an integer ≥ 1, got 'five'/],
      [['train', '--epochs', '0'], /--epochs must be an integer ≥ 1, got '0'/],
      [['train', '--lr=-1'], /--lr must be a number > 0, got '-1'/],
      [['train', '--lr', 'fast'], /--lr must be a number > 0, got 'fast'/],
      [['train', '--model', 'resnet'], /--model must be mlp, cnn or all, got 'resnet'/],
      [['train', '--bogus'], /Unknown option '--bogus'/],
      [['train', 'extra'], /positional/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/usage: slimtensor /);
    }
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(['--help'])).code).toBe(0);
  });

  it('an --out that is a file is refused before anything is written', async () => {
    const dir = tempDir('cli');
    const file = join(dir, 'taken');
    writeFileSync(file, 'keep me');
    const r = await runCli(['train', '--model', 'mlp', '--train-limit', '64', '--out', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--out .*taken is a file, not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(readdirSync(dir)).toEqual(['taken']);
  });

  it('train runs end to end on a slice and saves a loadable model and valid JSON', async () => {
    const out = join(tempDir('cli'), 'run');
    const r = await runCli(['train', '--model', 'mlp', '--epochs', '1', '--train-limit', '640', '--test-limit', '500', '--seed', '3', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/mlp epoch 1: loss \d+\.\d+, accuracy \d+\.\d+%/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.rows).toHaveLength(1);
    expect(results.rows[0]).toMatchObject({ model: 'mlp', epoch: 1, params: 567434 });
    expect(results.rows[0].accuracy).toBeGreaterThan(0.3);
    expect(existsSync(join(out, 'mlp.safetensors'))).toBe(true);
    const meta = await loadModel(new MLP([784, 512, 256, 128, 10]), join(out, 'mlp.safetensors'));
    expect(meta).toEqual({ model: 'mlp', seed: '3' });
  });
});
