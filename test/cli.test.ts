import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MLP } from '../src/nn/models.js';
import { loadWeights } from '../src/node/files.js';
import { tempDir } from './helpers.js';
import { runCli } from './run-cli.js';

describe('slimtensor CLI', () => {
  it('bad input is a usage error: exit code 2, the reason and the usage on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['train', '--epochs', 'five'], /--epochs must be an integer ≥ 1, got 'five'/],
      [['train', '--epochs', '0'], /--epochs must be an integer ≥ 1, got '0'/],
      [['train', '--lr=-1'], /--lr must be a number > 0, got '-1'/],
      [['train', '--lr', 'fast'], /--lr must be a number > 0, got 'fast'/],
      [['train', '--model', 'resnet'], /--model must be mlp, cnn or all, got 'resnet'/],
      [['train', '--model', 'toString'], /--model must be mlp, cnn or all, got 'toString'/],
      [['train', '--model', 'constructor'], /--model must be mlp, cnn or all, got 'constructor'/],
      [['all', '--sections', 'constructor'], /unknown section 'constructor'/],
      [['constructor'], /unknown command 'constructor'/],
      [['prune', '--scope', '__proto__'], /--scope must be global or layer, got '__proto__'/],
      [['quantize', '--quick', '--teacher', 'toString'], /--teacher toString: no such file/],
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

  it('a run that fails removes the --out folder it created, and keeps one that existed', async () => {
    const dir = tempDir('cli');
    const out = join(dir, 'fresh');
    // A model file of the wrong architecture makes the section fail after its flags were accepted.
    const wrong = join(dir, 'wrong.safetensors');
    writeFileSync(wrong, 'not a checkpoint');
    await expect(runCli(['prune', '--model', wrong, '--test-limit', '50', '--out', out])).rejects.toThrow(/wrong\.safetensors/);
    expect(existsSync(out)).toBe(false);
    await expect(runCli(['prune', '--model', wrong, '--test-limit', '50', '--out', dir])).rejects.toThrow(/wrong\.safetensors/);
    expect(existsSync(wrong)).toBe(true);
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
    const r = await runCli([
      'train',
      '--model',
      'mlp',
      '--epochs',
      '1',
      '--train-limit',
      '640',
      '--test-limit',
      '500',
      '--seed',
      '3',
      '--out',
      out,
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/mlp epoch 1: loss \d+\.\d+, accuracy \d+\.\d+%/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.rows).toHaveLength(1);
    expect(results.rows[0]).toMatchObject({ model: 'mlp', epoch: 1, params: 567434 });
    expect(results.rows[0].accuracy).toBeGreaterThan(0.3);
    expect(existsSync(join(out, 'mlp.safetensors'))).toBe(true);
    const meta = await loadWeights(new MLP([784, 512, 256, 128, 10]), join(out, 'mlp.safetensors'));
    expect(meta).toEqual({ model: 'mlp', seed: '3' });
  });

  it('every value flag of every command, given a wrong value, is a usage error that names the flag, before any work', async () => {
    const commands = [...(await runCli(['--help'])).out.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]);
    expect(commands).toEqual(
      expect.arrayContaining(['train', 'distill', 'prune', 'activation-prune', 'low-rank', 'quantize', 'all', 'report']),
    );
    const paths = new Set(['out', 'model', 'teacher', 'run', 'markdown']);
    let checked = 0;
    for (const command of commands) {
      const help = (await runCli([command, '--help'])).out;
      for (const [, flag] of help.matchAll(/^ {2}--([a-z-]+) <[^>]+>/gm)) {
        if (paths.has(flag)) continue;
        for (const bad of ['abc', '1e999', '-', ',']) {
          const r = await runCli([command, `--${flag}`, bad]);
          expect(r.code, `${command} --${flag} ${bad}`).toBe(2);
          expect(r.err, `${command} --${flag} ${bad}`).toContain(`--${flag}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(60);
  });
});
