import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SparseLinear, toSparse } from '../src/compress/csr.js';
import { QuantizedLinear } from '../src/compress/int8-layers.js';
import { FactorizedLinear } from '../src/compress/low-rank.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { Flatten, Linear, ReLU, Sequential } from '../src/nn/layers.js';
import { MLP } from '../src/nn/models.js';
import { loadCompressedModel, saveModel } from '../src/node/files.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

/** Each compressed type, made from a 30-21-10 MLP (so fc1 is [21, 30] and fc2 [10, 21]). */
const COMPRESSED: [string, () => MLP][] = [
  ['sparse', () => toSparse(new MLP([30, 21, 10], new Rng(1)))],
  ['int8', () => quantizeDynamic(new MLP([30, 21, 10], new Rng(1)))],
  [
    'factorized',
    () => {
      const m = new MLP([30, 21, 10], new Rng(1));
      m.setLayer(0, FactorizedLinear.fromLinear(m.layers[0] as Linear, { rank: 4 }));
      return m;
    },
  ],
];

describe('loadCompressedModel checks each layer against the skeleton', () => {
  for (const [kind, make] of COMPRESSED) {
    it(`refuses a ${kind} layer of the wrong size at load, naming the file and the layer, and leaves the model as it was`, async () => {
      const path = join(tempDir('checkpoint'), `${kind}.safetensors`);
      await saveModel(make(), path);
      const skeleton = new MLP([30, 20, 10], new Rng(2));
      const before = skeleton.layers[0];
      await expect(loadCompressedModel(skeleton, path)).rejects.toThrow(
        new RegExp(`${kind}\\.safetensors: fc1: the file's \\w+ has a \\[21, 30\\] weight, the model's Linear has \\[20, 30\\]`),
      );
      expect(skeleton.layers[0]).toBe(before);
      // The right skeleton loads the same file.
      await expect(loadCompressedModel(new MLP([30, 21, 10]), path)).resolves.toBeInstanceOf(MLP);
    });
  }
});

describe('swapping layers inside a Sequential (its children live in a list, not in fields)', () => {
  it('quantizeDynamic, toSparse and loadCompressedModel replace the layers forward runs', async () => {
    const make = (): Sequential =>
      new Sequential(new Flatten(), new Linear(12, 6, { rng: new Rng(3) }), new ReLU(), new Linear(6, 3, { rng: new Rng(4) }));
    const q = quantizeDynamic(make());
    expect(q.layers[1]).toBeInstanceOf(QuantizedLinear);
    expect(q.layers[3]).toBeInstanceOf(QuantizedLinear);
    expect(q.namedChildren().map(([, m]) => m.constructor.name)).toEqual(['Flatten', 'QuantizedLinear', 'ReLU', 'QuantizedLinear']);
    const sparse = toSparse(make());
    expect(sparse.layers[1]).toBeInstanceOf(SparseLinear);
    const path = join(tempDir('checkpoint'), 'seq.safetensors');
    await saveModel(q, path);
    const back = await loadCompressedModel(make(), path);
    expect(back.layers[1]).toBeInstanceOf(QuantizedLinear);
    const x = Tensor.ones([2, 12]);
    expect([...back.forward(x).data]).toEqual([...q.forward(x).data]);
    expect(() => make().setChild('7', new ReLU())).toThrow(/Sequential.setChild: there is no layer '7'/);
    expect(() => new MLP([2, 2]).setChild('fc9', new ReLU())).toThrow(/MLP.setChild: there is no child 'fc9'/);
  });
});
