import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakEvenRank, energyKept, FactorizedLinear, matrixChainOrder, rankForEnergy } from '../src/compress/low-rank.js';
import { svd } from '../src/compress/svd.js';
import { Linear } from '../src/nn/layers.js';
import { MLP } from '../src/nn/models.js';
import { loadCompressedModel, saveModel } from '../src/node/files.js';
import { noGrad } from '../src/tensor/autograd.js';
import { gemmNaive } from '../src/tensor/kernels/gemm-naive.js';
import { lowRankLinear } from '../src/tensor/kernels/lowrank.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { mul } from '../src/tensor/ops/elementwise.js';
import { lowRankLinear as lowRankOp } from '../src/tensor/ops/matmul.js';
import { sum } from '../src/tensor/ops/reduce.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, gradCheck, randomArray, tempDir } from './helpers.js';

/** The notebook's exponential recursion, for comparison on small chains. */
function chainByRecursion(p: number[], i: number, j: number): number {
  if (i === j) return 0;
  let best = Infinity;
  for (let k = i; k < j; k++) best = Math.min(best, chainByRecursion(p, i, k) + chainByRecursion(p, k + 1, j) + p[i - 1] * p[k] * p[j]);
  return best;
}

describe('low-rank factorization', () => {
  const rng = new Rng(5);

  it('at full rank it computes the dense layer; at rank r its weight is the SVD truncation', () => {
    const layer = new Linear(24, 10, { rng });
    const x = new Tensor(randomArray(7 * 24, rng), [7, 24]);
    const full = FactorizedLinear.fromLinear(layer, { rank: 10 });
    expectClose(noGrad(() => full.forward(x)).data, noGrad(() => layer.forward(x)).data, 1e-4, 1e-5);
    const d = svd(layer.weight.data, 10, 24);
    const r3 = FactorizedLinear.fromLinear(layer, { rank: 3 }, d);
    let err = 0;
    const w = r3.toDense();
    for (let i = 0; i < w.length; i++) err += (w[i] - layer.weight.data[i]) ** 2;
    const dropped = d.S.slice(3).reduce((a, s) => a + s * s, 0);
    expect(Math.sqrt(err)).toBeCloseTo(Math.sqrt(dropped), 4); // Eckart–Young, through float32 factors
    expect(r3.numParameters()).toBe(3 * (24 + 10) + 10);
    expect(r3.macsPerRow).toBe(3 * 34);
  });

  it('rank by energy, break-even rank, energy kept', () => {
    const S = [4, 2, 1, 1];
    expect(energyKept(S, 1)).toBeCloseTo(16 / 22, 12);
    expect(rankForEnergy(S, 0.7)).toBe(1);
    expect(rankForEnergy(S, 0.95)).toBe(3);
    expect(rankForEnergy(S, 1)).toBe(4);
    expect(breakEvenRank(128, 256)).toBeCloseTo(85.33, 2);
    const layer = new Linear(30, 20, { rng });
    expect(FactorizedLinear.fromLinear(layer, { energy: 1 }).rank).toBe(20);
  });

  it('trains: gradients of both factors and the bias pass the finite-difference check', () => {
    const layer = FactorizedLinear.fromLinear(new Linear(6, 5, { rng }), { rank: 2 });
    const x = new Tensor(randomArray(3 * 6, rng), [3, 6]);
    const weights = new Tensor(randomArray(15, rng), [3, 5]);
    gradCheck(
      (down, up, bias) => sum(mul(new FactorizedLinear(down, up, bias).forward(x), weights)),
      [layer.down, layer.up, layer.bias!],
      rng,
    );
  });

  it('matrix-chain order by DP equals the recursion and the notebook figures', () => {
    expect(matrixChainOrder([32, 256, 100, 100, 128]).cost).toBe(1548800);
    expect(matrixChainOrder([32, 256, 5, 5, 128]).cost).toBe(62240);
    for (let t = 0; t < 10; t++) {
      const dims = Array.from({ length: 2 + rng.int(5) }, () => 1 + rng.int(40));
      expect(matrixChainOrder(dims).cost).toBe(chainByRecursion(dims, 1, dims.length - 1));
    }
    expect(matrixChainOrder([10, 20, 30]).order).toBe('(A1·A2)');
    expect(matrixChainOrder([10, 100, 5, 50]).order).toBe('((A1·A2)·A3)');
  });

  it('saves and reloads in a model; bad input gives clear errors', async () => {
    const model = new MLP([12, 8, 4], rng);
    model.setLayer(0, FactorizedLinear.fromLinear(model.layers[0] as Linear, { rank: 3 }));
    const path = join(tempDir('lr'), 'lr.safetensors');
    await saveModel(model, path);
    const back = await loadCompressedModel(new MLP([12, 8, 4]), path);
    const x = new Tensor(randomArray(2 * 12, rng), [2, 12]);
    expect(back.layers[0]).toBeInstanceOf(FactorizedLinear);
    expect(noGrad(() => back.forward(x)).data).toEqual(noGrad(() => model.forward(x)).data);

    const layer = new Linear(12, 8, { rng });
    expect(() => FactorizedLinear.fromLinear(layer, { rank: 0 })).toThrow(
      /rank must be an integer in \[1, 8\] for a \[8, 12\] weight, got 0/,
    );
    expect(() => FactorizedLinear.fromLinear(layer, { rank: 9 })).toThrow(/got 9/);
    expect(() => FactorizedLinear.fromLinear(layer, { energy: 0 })).toThrow(/energy must lie in \(0, 1\], got 0/);
    expect(() => FactorizedLinear.fromLinear(layer, { energy: 1.2 })).toThrow(/got 1.2/);
    expect(() => matrixChainOrder([5])).toThrow(/at least two/);
  });
});

describe('the low-rank kernel', () => {
  it('equals two products, in TypeScript and in wasm on one thread or two, batch 1 to 64', () => {
    const rng = new Rng(12);
    const calls = [1, 2].map((threads) => wasmCalls(WasmModule.load({ threads }).module!));
    for (const [N, inF, outF, r] of [
      [1, 256, 128, 40],
      [3, 20, 7, 1],
      [64, 256, 128, 40],
      [64, 784, 512, 128],
      [5, 33, 65, 9],
    ]) {
      const x = randomArray(N * inF, rng),
        down = randomArray(r * inF, rng),
        up = randomArray(outF * r, rng);
      const t = new Float32Array(N * r),
        want = new Float32Array(N * outF);
      gemmNaive(false, true, N, r, inF, x, down, t, false);
      gemmNaive(false, true, N, outF, r, t, up, want, false);
      const bias = randomArray(outF, rng);
      const withEpilogue = want.map((v, i) => Math.max(0, v + bias[i % outF]));
      for (const kernel of [lowRankLinear, ...calls.map((c) => c.lowRankLinear)]) {
        const y = new Float32Array(N * outF).fill(NaN);
        kernel(x, N, down, up, r, inF, outF, y);
        expectClose(y, want, 1e-4, 1e-4);
        // The layer's bias and the ReLU after it, applied by the kernel (the wasm one in the second product's epilogue).
        const fused = new Float32Array(N * outF).fill(NaN);
        kernel(x, N, down, up, r, inF, outF, fused, bias, true);
        expectClose(fused, withEpilogue, 1e-4, 1e-4);
      }
    }
  });

  it('the op runs the kernel without gradients and two linear ops with them; both agree', () => {
    const rng = new Rng(13);
    const layer = FactorizedLinear.fromLinear(new Linear(30, 20, { rng }), { rank: 6 });
    const x = new Tensor(randomArray(4 * 30, rng), [4, 30]);
    const fused = noGrad(() => layer.forward(x));
    const composed = layer.forward(x);
    expect(composed.requiresGrad).toBe(true);
    expect(fused.requiresGrad).toBe(false);
    expectClose(fused.data, composed.data, 1e-5, 1e-6);
    // forwardRelu: fused without gradients, linearRelu with them; both relu(forward).
    const relu = (t: Tensor): number[] => [...t.data].map((v) => Math.max(0, v));
    expectClose(noGrad(() => layer.forwardRelu(x)).data, Float32Array.from(relu(composed)), 1e-5, 1e-6);
    expectClose(layer.forwardRelu(x).data, Float32Array.from(relu(composed)), 1e-5, 1e-6);
    expect(() => lowRankOp(x, layer.up, layer.down, null)).toThrow(
      /lowRankLinear: input \[4, 30\], down \[20, 6\] and up \[6, 30\] do not chain/,
    );
  });
});
