import { describe, expect, it } from 'vitest';
import * as T from '../src/tensor/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, gradCheck } from './helpers.js';
import { OP_CATALOG } from './op-catalog.js';

describe('every op passes the finite-difference gradient check (3 seeded random shapes each)', () => {
  for (const op of OP_CATALOG) {
    it(op.name, () => {
      for (let seed = 0; seed < 3; seed++) {
        const rng = new Rng(1000 + seed);
        gradCheck(op.fn, op.inputs(rng), rng);
      }
    });
  }
});

describe('every op refuses bad shapes with an error naming the op and the shapes', () => {
  for (const op of OP_CATALOG.filter((o) => o.bad)) {
    it(op.name, () => {
      expect(op.bad!).toThrow(op.badMessage!);
    });
  }
});

describe('op values', () => {
  it('elementwise ops and broadcasting', () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(T.add(a, Tensor.from([10, 20, 30])).toArray()).toEqual([11, 22, 33, 14, 25, 36]);
    expect(T.sub(a, Tensor.from([1, 2], [2, 1])).toArray()).toEqual([0, 1, 2, 2, 3, 4]);
    expect(T.mul(2, a).toArray()).toEqual([2, 4, 6, 8, 10, 12]);
    expect(T.div(a, 2).toArray()).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect(T.relu(Tensor.from([-1, 0, 2])).toArray()).toEqual([0, 0, 2]);
    expect(T.xlogx(Tensor.from([0, 1])).toArray()).toEqual([0, 0]);
    expect(() => T.add(Tensor.zeros([2, 1]), Tensor.zeros([1, 3]))).toThrow(/add: shapes \[2, 1\] and \[1, 3\] do not broadcast/);
  });

  it('reductions', () => {
    const a = Tensor.from([1, 5, 3, 4, 2, 6], [2, 3]);
    expect(T.sum(a).item()).toBe(21);
    expect(T.sum(a, 0).toArray()).toEqual([5, 7, 9]);
    expect(T.sum(a, 1, true).shape).toEqual([2, 1]);
    expect(T.mean(a, 1).toArray()).toEqual([3, 4]);
    expect(T.max(a, 1).toArray()).toEqual([5, 6]);
    expect(T.argmax(a, 1).toArray()).toEqual([1, 2]);
    expect(T.argmax(Tensor.from([3, 3, 1]), 0).toArray()).toEqual([0]); // first of a tie
  });

  it('reshape is a view on the same storage; transpose copies', () => {
    const a = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = T.reshape(a, [3, -1]);
    expect(v.shape).toEqual([3, 2]);
    expect(v.data).toBe(a.data);
    expect(T.transpose(a).toArray()).toEqual([1, 4, 2, 5, 3, 6]);
    expect(T.flatten(Tensor.zeros([2, 3, 4])).shape).toEqual([2, 12]);
  });

  it('softmax rows sum to one and logSoftmax is stable for huge logits', () => {
    const x = Tensor.from([1000, 1001, 1002, -5, 0, 5], [2, 3]);
    const p = T.softmax(x);
    expect(p.data[0] + p.data[1] + p.data[2]).toBeCloseTo(1, 6);
    expect(Number.isFinite(T.logSoftmax(x).data[0])).toBe(true);
  });

  it('fused crossEntropy equals the composed one, forward and backward', () => {
    const rng = new Rng(3);
    const labels = Int32Array.from({ length: 16 }, () => rng.int(10));
    const x1 = Tensor.randn([16, 10], rng, 3, 0, { requiresGrad: true });
    const x2 = x1.clone();
    const fused = T.crossEntropy(x1, labels);
    const composed = T.crossEntropyComposed(x2, labels);
    expect(fused.item()).toBeCloseTo(composed.item(), 5);
    fused.backward();
    composed.backward();
    expectClose(x1.grad!.data, x2.grad!.data, 1e-4, 1e-6);
  });

  it('fused klDivSoftTargets equals klDiv(logSoftmax(s / T), softmax(t / T)) composed, forward and backward, T = 1 and 4', () => {
    const rng = new Rng(4);
    for (const temperature of [1, 4]) {
      const s1 = Tensor.randn([16, 10], rng, 3, 0, { requiresGrad: true });
      const s2 = s1.clone();
      const teacher = Tensor.randn([16, 10], rng, 5);
      teacher.data[3] = -200; // a class the teacher rules out: p underflows to 0 (0·log 0 = 0)
      const fused = T.klDivSoftTargets(s1, teacher, temperature);
      const composed = T.klDiv(T.logSoftmax(T.div(s2, temperature), 1), T.softmax(T.div(teacher, temperature), 1));
      expect(fused.item()).toBeGreaterThan(0);
      expect(fused.item()).toBeCloseTo(composed.item(), 5);
      fused.backward();
      composed.backward();
      expectClose(s1.grad!.data, s2.grad!.data, 1e-4, 1e-6);
    }
    // Equal distributions are 0 apart, at any temperature.
    const same = Tensor.randn([4, 6], rng);
    expect(Math.abs(T.klDivSoftTargets(same, same, 2).item())).toBeLessThan(1e-6);
  });

  it('crossEntropy of uniform logits is log(C)', () => {
    expect(T.crossEntropy(Tensor.zeros([4, 10]), [0, 1, 2, 3]).item()).toBeCloseTo(Math.log(10), 6);
  });

  it('klDiv matches its definition and is zero for equal distributions', () => {
    const p = Tensor.from([0.5, 0.5, 0, 0.25, 0.25, 0.5], [2, 3]);
    const q = Tensor.from([0.25, 0.5, 0.25, 0.25, 0.5, 0.25], [2, 3]);
    const logQ = T.log(q);
    // Σ p log(p/q) per row, zero entries contributing nothing; batchmean divides by 2.
    const want = (0.5 * Math.log(2) + 0 + (0.25 * 0 + 0.25 * Math.log(0.5) + 0.5 * Math.log(2))) / 2;
    expect(T.klDiv(logQ, p).item()).toBeCloseTo(want, 6);
    expect(T.klDiv(logQ, p, 'sum').item()).toBeCloseTo(want * 2, 6);
    expect(T.klDiv(logQ, q).item()).toBeCloseTo(0, 6);
  });

  it('linear equals matmul with the transposed weight plus the bias', () => {
    const rng = new Rng(5);
    const x = Tensor.randn([5, 7], rng);
    const w = Tensor.randn([3, 7], rng);
    const b = Tensor.randn([3], rng);
    expectClose(T.linear(x, w, b).data, T.add(T.matmul(x, T.transpose(w)), b).data, 1e-5, 1e-5);
  });
});
