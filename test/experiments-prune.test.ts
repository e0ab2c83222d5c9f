import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { SparseLinear } from '../src/compress/csr.js';
import { runPrune } from '../src/experiments/prune.js';
import { SimpleNet } from '../src/nn/models.js';
import { loadCompressedModel } from '../src/node/files.js';
import { loadMnistData, type MnistData } from '../src/node/mnist.js';
import { Rng } from '../src/tensor/random.js';
import { evaluate } from '../src/train/evaluate.js';
import { tempDir } from './helpers.js';

describe('section 2: prune experiment', () => {
  let data: MnistData;
  beforeAll(async () => {
    data = await loadMnistData({ trainLimit: 1500, testLimit: 500 });
  });

  it('runs on a slice: the sweep counts zeros and every CSR array, rounds hold their masks', async () => {
    const out = tempDir('prune');
    const r = await runPrune(
      {
        epochs: 2,
        seed: 0,
        batchSize: 64,
        lr: 1e-3,
        out,
        thresholds: [0, 0.03, 0.1],
        fineTuneSchedule: [0.5, 0.9],
        fineTuneEpochs: 1,
        scope: 'global',
      },
      data,
    );
    expect(r.sweep.map((s) => s.threshold)).toEqual([0, 0.03, 0.1]);
    expect(r.sweep[0]).toMatchObject({ zeros: 0, weights: 566528, accuracy: r.baseAccuracy, denseBytes: 566528 * 4 });
    for (const row of r.sweep) {
      // values + int32 column indices + int32 row pointers of the four layers (512+256+128+10 rows, +1 each).
      expect(row.csrBytes).toBe(2 * row.csrValueBytes + 4 * (512 + 256 + 128 + 10 + 4));
      expect(row.csrValueBytes).toBe(4 * (row.weights - row.zeros));
      expect(row.csrBytesNarrow).toBeLessThan(row.csrBytes);
    }
    expect(r.sweep[1].zeros).toBeGreaterThan(0);
    expect(r.sweep[2].zeros).toBeGreaterThan(r.sweep[1].zeros);
    expect(r.fineTune.map((f) => f.sparsity)).toEqual([expect.closeTo(0.5, 3), expect.closeTo(0.9, 3)]);
    expect(r.fineTune[1].reduction).toBeCloseTo(10, 0);
    if (r.bestWithinHalfPoint) {
      const back = await loadCompressedModel(new SimpleNet(new Rng(0)), join(out, 'pruned-sparse.safetensors'));
      expect(back.layers.every((l) => l instanceof SparseLinear)).toBe(true);
      expect(evaluate(back, data.testSet)).toBeCloseTo(r.bestWithinHalfPoint.accuracy, 10);
    }
    expect(JSON.parse(readFileSync(join(out, 'prune.json'), 'utf8')).sweep).toHaveLength(3);
    expect(existsSync(join(out, 'simple-net.safetensors'))).toBe(true);
  });

  it('the CLI starts from a saved model and prints the sweep; bad flags are usage errors', async () => {
    const out = tempDir('prune-cli');
    let text = '';
    let err = '';
    const io = { out: (t: string) => (text += t), err: (t: string) => (err += t) };
    expect(await main(['train', '--model', 'mlp', '--train-limit', '300', '--test-limit', '100', '--out', out], io)).toBe(0);
    text = '';
    const argv = ['prune', '--model', join(out, 'mlp.safetensors'), '--test-limit', '100', '--thresholds', '0,0.05', '--schedule', 'none'];
    expect(await main(argv, io)).toBe(0);
    expect(text).toMatch(/loaded .*mlp\.safetensors/);
    expect(text).toMatch(/CSR int32 MB/);
    expect(text).not.toMatch(/fine-tune rounds/);
    for (const bad of [
      ['--thresholds', '-0.1'],
      ['--schedule', '1'],
      ['--scope', 'row'],
      ['--model', join(out, 'nope')],
    ]) {
      err = '';
      expect(await main(['prune', ...bad], io), bad.join(' ')).toBe(2);
      expect(err).toMatch(/usage: slimtensor prune/);
    }
  });
});
