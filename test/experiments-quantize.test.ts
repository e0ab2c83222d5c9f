import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { QuantizedLinear } from '../src/compress/int8-layers.js';
import { runQuantize } from '../src/experiments/quantize.js';
import { SimpleNet } from '../src/nn/models.js';
import { loadCompressedModel } from '../src/node/files.js';
import { loadMnistData } from '../src/node/mnist.js';
import { Rng } from '../src/tensor/random.js';
import { evaluate } from '../src/train/evaluate.js';
import { tempDir } from './helpers.js';

describe('section 5: quantize experiment', () => {
  it('runs on a slice: int8 keeps accuracy, weights ~4× smaller, files reload', async () => {
    const data = await loadMnistData({ trainLimit: 1500, testLimit: 400 });
    const out = tempDir('quant');
    const r = await runQuantize({ epochs: 2, seed: 0, batchSize: 64, lr: 1e-3, out, skipTeacher: false }, data);
    expect(r.rows.map((x) => `${x.model} ${x.scheme}`)).toEqual([
      'simple-net fp32',
      'simple-net int8 per-tensor',
      'simple-net int8 per-channel',
      'teacher fp32',
      'teacher int8 per-tensor',
      'teacher int8 per-channel',
    ]);
    for (const model of ['simple-net', 'teacher']) {
      const [fp32, ...int8] = r.rows.filter((x) => x.model === model);
      expect(fp32.accuracy).toBeGreaterThan(0.5);
      for (const q of int8) {
        expect(Math.abs(q.accuracy - fp32.accuracy)).toBeLessThanOrEqual(0.01); // a point at most on 400 images
        expect(fp32.weightBytes / q.weightBytes).toBeGreaterThan(3.8);
        expect(q.fileBytes).toBeLessThan(fp32.fileBytes / 3.5);
      }
    }
    expect(r.layers.filter((l) => l.model === 'simple-net')).toHaveLength(8);
    for (const l of r.layers) expect(l.sqnrDb).toBeGreaterThan(25);
    const back = await loadCompressedModel(new SimpleNet(new Rng(0)), join(out, 'simple-net-int8-per-channel.safetensors'));
    expect(back.layers.every((l) => l instanceof QuantizedLinear)).toBe(true);
    expect(evaluate(back, data.testSet)).toBe(r.rows[2].accuracy);
    expect(existsSync(join(out, 'teacher-int8-per-tensor.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'quantize.json'), 'utf8')).rows).toHaveLength(6);
  });

  it('the CLI refuses a missing teacher file', async () => {
    let err = '';
    expect(await main(['quantize', '--teacher', '/nonexistent.safetensors'], { out: () => {}, err: (t) => (err += t) })).toBe(2);
    expect(err).toMatch(/--teacher \/nonexistent.safetensors: no such file/);
  });
});
