import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { runLowRank } from '../src/experiments/low-rank.js';
import { loadMnistData } from '../src/node/mnist.js';
import { tempDir } from './helpers.js';

describe('section 4: low-rank experiment', () => {
  it("runs on a slice: honest params and operations beside the notebook's, energy rows", async () => {
    const data = await loadMnistData({ trainLimit: 1200, testLimit: 300 });
    const out = tempDir('lr');
    const r = await runLowRank(
      { epochs: 1, seed: 0, batchSize: 64, lr: 1e-3, out, ranks: [128, 100, 5], energies: [0.8], fineTuneEpochs: 1, largeBatch: 500 },
      data,
    );
    expect(r.spectrum).toHaveLength(128);
    expect(r.breakEven).toBeCloseTo(85.33, 2);
    const [full, r100, r5] = r.sweep;
    // Full rank reproduces the dense layer (to float tolerance): same accuracy.
    expect(Math.abs(full.accuracy - r.baseAccuracy)).toBeLessThanOrEqual(1 / 300);
    expect(full.notebookOperations).toBe(32 * 256 * 128); // the notebook's dense count at full rank
    expect(r100).toMatchObject({ newParams: 100 * 384, notebookParams: 48400, notebookOperations: 1548800, operations: 32 * 100 * 384 });
    expect(r5).toMatchObject({ newParams: 5 * 384, notebookParams: 1945, notebookOperations: 62240 });
    expect(r5.energy).toBeLessThan(r100.energy);
    expect(full.energy).toBeCloseTo(1, 10);
    const [e80] = r.energy;
    expect(e80.params).toBeLessThan(r.original.params);
    expect(e80.flops).toBeLessThan(r.original.flops);
    expect(e80.fineTuned).toBeGreaterThan(0.5);
    expect(existsSync(join(out, 'low-rank-energy-0.8.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'low-rank.json'), 'utf8')).sweep).toHaveLength(3);
  });

  it('the CLI refuses a rank outside [1, 128] and an energy outside (0, 1]', async () => {
    let err = '';
    const io = { out: () => {}, err: (t: string) => (err += t) };
    for (const bad of [
      ['--ranks', '0'],
      ['--ranks', '129'],
      ['--ranks', '2.5'],
      ['--energies', '0'],
      ['--energies', '1.1'],
    ]) {
      err = '';
      expect(await main(['low-rank', ...bad], io), bad.join(' ')).toBe(2);
      expect(err).toMatch(/usage: slimtensor low-rank/);
    }
  });
});
