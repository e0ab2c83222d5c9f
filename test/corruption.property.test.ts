import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { modelFromBytes, modelToBytes } from '../src/compress/checkpoint.js';
import { toSparse } from '../src/compress/csr.js';
import { encodeDeepCompressed } from '../src/compress/deep-compression-file.js';
import { FactorizedLinear } from '../src/compress/low-rank.js';
import { Pruner } from '../src/compress/prune.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { quantizeStatic } from '../src/compress/static-quantize.js';
import { SharedWeights } from '../src/compress/weight-sharing.js';
import { roundToFloat16 } from '../src/io/float16.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { LeNet300100, MLP, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * A byte of any file slimtensor writes, flipped anywhere (its header length, its JSON
 * header, every tensor): the loader refuses it with an Error naming the file, or gives
 * exactly the model it would have given before. It never gives a different model silently.
 * Seeded; `PROPERTY_RUNS` sets the runs (50 in `npm test`, thousands in `npm run test:deep`).
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const SOURCE = 'model.safetensors';

function mlp(seed: number): MLP {
  return new MLP([20, 8, 6, 4], new Rng(seed));
}

function deepCompressed(): Uint8Array {
  const net = new LeNet300100(new Rng(5));
  new Pruner(net).pruneLayersTo({ fc1: 0.92, fc2: 0.91, fc3: 0.74 });
  const shared = new SharedWeights(net, (name) => (name === 'fc3' ? 2 : 5));
  shared.roundCentroids(roundToFloat16);
  const layers = new Map(net.namedModules());
  return encodeDeepCompressed(
    'lenet-300-100',
    shared.layers.map((l) => ({
      name: l.name,
      shape: l.weight.shape,
      codebook: l.centroids.data,
      groups: l.groups,
      bias: Float32Array.from((layers.get(l.name) as Linear).bias!.data, roundToFloat16),
      indexBits: 'auto',
    })),
  ).bytes;
}

/** A small CNN in static int8 (conv, ReLU, pool, flatten, Linear), calibrated on random images. */
function staticCnn(): Uint8Array {
  const rng = new Rng(7);
  const net = new Sequential(
    new Conv2d(1, 3, 3, { rng, padding: 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(48, 5, { rng }),
  );
  return modelToBytes(quantizeStatic(net, { x: Tensor.randn([8, 1, 8, 8], rng), labels: new Int32Array(8) }));
}

/** The files: dense, CSR, int8 (dynamic and static), factorized, the teacher CNN, and a Deep Compression file. */
function files(): [string, Uint8Array][] {
  const pruned = mlp(2);
  new Pruner(pruned).pruneToSparsity(0.7, { scope: 'global' });
  const factorized = mlp(4);
  factorized.setChild('fc2', FactorizedLinear.fromLinear(factorized.layers[1] as Linear, { rank: 3 }));
  return [
    ['dense MLP', modelToBytes(mlp(1))],
    ['CSR MLP', modelToBytes(toSparse(pruned))],
    ['int8 MLP', modelToBytes(quantizeDynamic(mlp(3), { perChannel: true }))],
    ['factorized MLP', modelToBytes(factorized)],
    ['teacher CNN', modelToBytes(new TeacherNet(new Rng(6)))],
    ['static int8 MLP', modelToBytes(quantizeStatic(mlp(8), { x: Tensor.randn([16, 20], new Rng(9)), labels: new Int32Array(16) }))],
    ['static int8 CNN', staticCnn()],
    ['Deep Compression', deepCompressed()],
  ];
}

/** The model's class and every tensor it holds (name, dtype, shape, bytes): what "the same model" means. */
function fingerprint(model: Module): unknown {
  return [
    model.constructor.name,
    [...model.stateDict()].map(([name, e]) => [
      name,
      e.dtype,
      [...e.shape],
      [...new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength)],
    ]),
  ];
}

describe('a flipped byte in a file slimtensor writes', () => {
  for (const [what, bytes] of files()) {
    const want = fingerprint(modelFromBytes(bytes, { source: SOURCE }));
    const headerEnd = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    // Half the flips land in the 8-byte length or the JSON header, where a flip can change the meaning of the rest.
    const at = fc.oneof(fc.integer({ min: 0, max: headerEnd - 1 }), fc.integer({ min: 0, max: bytes.length - 1 }));
    test.prop([at, fc.integer({ min: 1, max: 255 })], { seed: 2026, numRuns: RUNS })(
      `${what} (${bytes.length} bytes): refused with the file's name, or the same model`,
      (index, mask) => {
        const flipped = Uint8Array.from(bytes);
        flipped[index] ^= mask;
        let model: Module;
        try {
          model = modelFromBytes(flipped, { source: SOURCE });
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect((e as Error).constructor).toBe(Error); // not a TypeError or RangeError from deep inside
          expect((e as Error).message.startsWith(`${SOURCE}:`), (e as Error).message).toBe(true);
          return;
        }
        expect(fingerprint(model)).toEqual(want);
      },
    );
  }
});
