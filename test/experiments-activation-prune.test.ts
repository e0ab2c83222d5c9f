import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { runActivationPrune } from '../src/experiments/activation-prune.js';
import { loadMnistData } from '../src/node/mnist.js';
import { tempDir } from './helpers.js';

describe('section 3: activation-prune experiment', () => {
  it('runs on a slice: fewer neurons as the threshold rises, params counted from the kept sizes', async () => {
    const data = await loadMnistData({ trainLimit: 1500, testLimit: 500 });
    const out = tempDir('act');
    const r = await runActivationPrune(
      {
        epochs: 2,
        seed: 0,
        batchSize: 64,
        lr: 1e-3,
        out,
        thresholds: [0, 0.3, 5],
        score: 'mean',
        fineTune: [0.3],
        fineTuneEpochs: 1,
      },
      data,
    );
    expect(r.sweep[0]).toMatchObject({ kept: [512, 256, 128], newParams: 567434, sizeReduction: 0, accuracy: r.baseAccuracy });
    for (const row of r.sweep) {
      const sizes = [784, ...row.kept, 10];
      const params = sizes.slice(1).reduce((n, out, i) => n + (sizes[i] + 1) * out, 0);
      expect(row.newParams).toBe(params);
      expect(row.latencySet).toBeGreaterThan(0);
    }
    expect(r.sweep[1].newParams).toBeLessThan(r.sweep[0].newParams);
    expect(r.sweep[2].emptied.length).toBeGreaterThan(0); // a threshold of 5 empties some layer
    expect(r.sweep[1].fineTuned).toBeGreaterThan(0.5);
    expect(r.layers.map((l) => l.neurons)).toEqual([512, 256, 128]);
    expect(JSON.parse(readFileSync(join(out, 'activation-prune.json'), 'utf8')).sweep).toHaveLength(3);
  });

  it('the CLI rejects a bad score and a bad list', async () => {
    let err = '';
    const io = { out: () => {}, err: (t: string) => (err += t) };
    expect(await main(['activation-prune', '--score', 'max'], io)).toBe(2);
    expect(err).toMatch(/--score must be mean, active or l1, got 'max'/);
    expect(await main(['activation-prune', '--thresholds', '0.1,x'], io)).toBe(2);
    expect(err).toMatch(/usage: slimtensor activation-prune/);
  });
});
