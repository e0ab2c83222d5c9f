import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { conv2d, conv2dMaxPool, crossEntropy, klDivSoftTargets, linear, linearRelu, maxPool2d } from '../src/tensor/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, gradCheck } from './helpers.js';
import { distinct, naiveConv, naivePool } from './naive.js';

/**
 * The window ops, linear and the losses over random shapes (seeded; `PROPERTY_RUNS` runs
 * each): values against the definitions written out below as plain loops in float64, and
 * gradients against finite differences. Each axis gets its own kernel size, stride and
 * padding, so a height/width mix-up cannot hide behind a square case.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);
const OPTIONS = { seed: 2028, numRuns: RUNS };
/** Gradient checks cost a forward per probed element: fewer runs, small shapes. */
const GRAD_OPTIONS = { seed: 2029, numRuns: Math.max(1, Math.round(RUNS / 2)) };

/** A convolution's geometry, one axis at a time, drawn so that at least one window fits. */
const axis = fc
  .record({
    K: fc.integer({ min: 1, max: 4 }),
    S: fc.integer({ min: 1, max: 3 }),
    P: fc.integer({ min: 0, max: 2 }),
    extra: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ K, S, P, extra }) => ({ K, S, P, size: Math.max(1, K - 2 * P + extra) }));

const convCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  C: fc.integer({ min: 1, max: 3 }),
  OC: fc.integer({ min: 1, max: 3 }),
  h: axis,
  w: axis,
  bias: fc.boolean(),
  seed: fc.integer(),
});
type ConvCase = typeof convCase extends fc.Arbitrary<infer T> ? T : never;

function convInputs(c: ConvCase): { x: Tensor; weight: Tensor; bias: Tensor | null } {
  const rng = new Rng(c.seed);
  return {
    x: Tensor.randn([c.N, c.C, c.h.size, c.w.size], rng),
    weight: Tensor.randn([c.OC, c.C, c.h.K, c.w.K], rng),
    bias: c.bias ? Tensor.randn([c.OC], rng) : null,
  };
}

const options = (c: ConvCase) => ({ stride: [c.h.S, c.w.S] as [number, number], padding: [c.h.P, c.w.P] as [number, number] });

describe('conv2d over random geometry', () => {
  test.prop([convCase], OPTIONS)('equals the definition, each axis its own kernel, stride and padding', (c) => {
    const { x, weight, bias } = convInputs(c);
    const got = conv2d(x, weight, bias, options(c));
    const want = naiveConv(x, weight, bias, [c.h.S, c.w.S], [c.h.P, c.w.P]);
    expect(got.shape).toEqual(want.shape);
    expectClose(got.data, want.data, 1e-4, 1e-5);
  });

  test.prop([convCase], GRAD_OPTIONS)('has the gradients of finite differences, for input, weight and bias', (c) => {
    const { x, weight, bias } = convInputs(c);
    const inputs = bias ? [x, weight, bias] : [x, weight];
    gradCheck((a, w, b) => conv2d(a, w, b ?? null, options(c)), inputs, new Rng(c.seed ^ 1), 8);
  });
});

const poolCase = fc.record({
  N: fc.integer({ min: 1, max: 2 }),
  C: fc.integer({ min: 1, max: 3 }),
  KH: fc.integer({ min: 1, max: 4 }),
  KW: fc.integer({ min: 1, max: 4 }),
  SH: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  SW: fc.integer({ min: 1, max: 3 }),
  extraH: fc.integer({ min: 0, max: 5 }),
  extraW: fc.integer({ min: 0, max: 5 }),
  seed: fc.integer(),
});

describe('maxPool2d over random windows', () => {
  test.prop([poolCase], OPTIONS)('equals the definition, and routes each gradient to its maximum', (c) => {
    const shape = [c.N, c.C, c.KH + c.extraH, c.KW + c.extraW];
    const x = distinct(shape, new Rng(c.seed));
    // Without a stride of its own, an axis steps by its kernel size (as PyTorch); mix the two cases.
    const stride: [number, number] = [c.SH ?? c.KH, c.SW];
    const pool = { kernelSize: [c.KH, c.KW] as [number, number], stride: c.SH === undefined ? undefined : stride };
    const usedStride = c.SH === undefined ? [c.KH, c.KW] : stride;
    const got = maxPool2d(x, pool);
    const want = naivePool(x.data, shape, [c.KH, c.KW], usedStride);
    expect(got.shape).toEqual(want.shape);
    expect([...got.data]).toEqual(want.data.map(Math.fround));
    gradCheck((a) => maxPool2d(a, pool), [x], new Rng(c.seed ^ 2), 8);
  });
});

describe('conv2dMaxPool over random geometry', () => {
  // Windows of 16 positions or more take the winners-only backward, smaller ones the GEMMs: both drawn.
  const fused = fc.record({
    conv: convCase,
    KH: fc.integer({ min: 1, max: 5 }),
    KW: fc.integer({ min: 1, max: 5 }),
    S: fc.integer({ min: 1, max: 3 }),
  });
  const large = fused.map((f) => ({
    ...f,
    conv: { ...f.conv, h: { ...f.conv.h, S: 1, size: f.conv.h.size + 5 }, w: { ...f.conv.w, S: 1, size: f.conv.w.size + 5 } },
    KH: 4,
    KW: 4 + (f.KW % 2),
  }));
  test.prop([fc.oneof(fused, large)], OPTIONS)('equals maxPool2d(conv2d(…)) in value and gradient, small and large windows', (f) => {
    const { x, weight, bias } = convInputs(f.conv);
    const conv = options(f.conv);
    const plane = naiveConv(x, weight, bias, [f.conv.h.S, f.conv.w.S], [f.conv.h.P, f.conv.w.P]).shape;
    const pool = { kernelSize: [Math.min(f.KH, plane[2]), Math.min(f.KW, plane[3])] as [number, number], stride: f.S };
    const want = maxPool2d(conv2d(x, weight, bias, conv), pool);
    const got = conv2dMaxPool(x, weight, bias, conv, pool);
    expect(got.shape).toEqual(want.shape);
    expectClose(got.data, want.data, 1e-5, 1e-6);
    // Its spec is the composed pair's gradient, itself checked against finite differences
    // above. (Finite differences here would trip on near-ties: padded outputs are exactly 0.)
    const grads = (f: () => Tensor): number[][] => {
      const inputs = bias ? [x, weight, bias] : [x, weight];
      for (const t of inputs) {
        t.requiresGrad = true;
        t.grad = null;
      }
      const y = f();
      y.backward(Tensor.randn(y.shape, new Rng(f.length + 7)));
      return inputs.map((t) => Array.from(t.grad!.data));
    };
    const fusedGrads = grads(() => conv2dMaxPool(x, weight, bias, conv, pool));
    const composedGrads = grads(() => maxPool2d(conv2d(x, weight, bias, conv), pool));
    for (const [k, g] of fusedGrads.entries()) expectClose(g, composedGrads[k], 1e-4, 1e-5);
  });
});

const linearCase = fc.record({
  N: fc.integer({ min: 1, max: 5 }),
  I: fc.integer({ min: 1, max: 17 }),
  O: fc.integer({ min: 1, max: 9 }),
  bias: fc.boolean(),
  seed: fc.integer(),
});

describe('linear over random shapes', () => {
  test.prop([linearCase], OPTIONS)('linear and linearRelu equal x·Wᵀ + b (then max(0, ·)), and their gradients are right', (c) => {
    const rng = new Rng(c.seed);
    const x = Tensor.randn([c.N, c.I], rng);
    const weight = Tensor.randn([c.O, c.I], rng);
    const bias = c.bias ? Tensor.randn([c.O], rng) : null;
    const want: number[] = [];
    for (let n = 0; n < c.N; n++) {
      for (let o = 0; o < c.O; o++) {
        let s = bias ? bias.data[o] : 0;
        for (let i = 0; i < c.I; i++) s += x.data[n * c.I + i] * weight.data[o * c.I + i];
        want.push(s);
      }
    }
    expectClose(linear(x, weight, bias).data, want, 1e-5, 1e-5);
    expectClose(
      linearRelu(x, weight, bias).data,
      want.map((v) => Math.max(0, v)),
      1e-5,
      1e-5,
    );
    const inputs = bias ? [x, weight, bias] : [x, weight];
    gradCheck((a, w, b) => linear(a, w, b ?? null), inputs, new Rng(c.seed ^ 4), 8);
  });
});

const logitsCase = fc.record({
  N: fc.integer({ min: 1, max: 6 }),
  C: fc.integer({ min: 1, max: 10 }),
  scale: fc.constantFrom(0.1, 1, 10, 60),
  temperature: fc.constantFrom(0.5, 1, 2, 4, 20),
  seed: fc.integer(),
});

/** log Σ exp(row), stably, in float64. */
function logSumExp(row: number[]): number {
  const m = Math.max(...row);
  return m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
}

function rows(t: Tensor): number[][] {
  const [N, C] = t.shape;
  return Array.from({ length: N }, (_, i) => Array.from(t.data.subarray(i * C, (i + 1) * C)));
}

describe('the losses over random logits', () => {
  test.prop([logitsCase], OPTIONS)('crossEntropy is −(1/N) Σ log softmax(x)[y], with its gradient, at any logit scale', (c) => {
    const rng = new Rng(c.seed);
    const logits = Tensor.from(
      Array.from({ length: c.N * c.C }, () => c.scale * rng.normal()),
      [c.N, c.C],
    );
    const labels = Int32Array.from({ length: c.N }, () => rng.int(c.C));
    const want = rows(logits).reduce((s, row, i) => s + logSumExp(row) - row[labels[i]], 0) / c.N;
    const got = crossEntropy(logits, labels).item();
    expect(Number.isFinite(got)).toBe(true);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
    if (c.scale <= 1) gradCheck((x) => crossEntropy(x, labels), [logits], new Rng(c.seed ^ 5));
  });

  test.prop([logitsCase], OPTIONS)('klDivSoftTargets is (1/N) Σ p·(log p − log q) at temperature T, with its gradient', (c) => {
    const rng = new Rng(c.seed);
    const student = Tensor.from(
      Array.from({ length: c.N * c.C }, () => c.scale * rng.normal()),
      [c.N, c.C],
    );
    const teacher = Tensor.from(
      Array.from({ length: c.N * c.C }, () => c.scale * rng.normal()),
      [c.N, c.C],
    );
    const T = c.temperature;
    let want = 0;
    const s = rows(student),
      t = rows(teacher);
    for (let i = 0; i < c.N; i++) {
      const logq = s[i].map((v) => v / T - logSumExp(s[i].map((u) => u / T)));
      const logp = t[i].map((v) => v / T - logSumExp(t[i].map((u) => u / T)));
      for (let k = 0; k < c.C; k++) want += Math.exp(logp[k]) * (logp[k] - logq[k]);
    }
    want /= c.N;
    const got = klDivSoftTargets(student, teacher, T).item();
    expect(Number.isFinite(got)).toBe(true);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)) + 1e-6);
    if (c.scale <= 1) gradCheck((x) => klDivSoftTargets(x, teacher, T), [student], new Rng(c.seed ^ 6));
  });
});

describe('bad geometry gets a clear error, never an internal one', () => {
  const number = fc.oneof(fc.integer({ min: -3, max: 9 }), fc.constantFrom(0.5, Number.NaN, Number.POSITIVE_INFINITY));
  const attempt = fc.record({
    shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 5 }),
    weight: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 5 }),
    stride: fc.tuple(number, number),
    padding: fc.tuple(number, number),
    kernel: fc.tuple(number, number),
  });
  test.prop([attempt], OPTIONS)('conv2d, maxPool2d and conv2dMaxPool refuse it naming the op, or give finite values', (a) => {
    const x = Tensor.zeros(a.shape);
    const weight = Tensor.zeros(a.weight);
    const calls: [string, () => Tensor][] = [
      ['conv2d', () => conv2d(x, weight, null, { stride: a.stride, padding: a.padding })],
      ['maxPool2d', () => maxPool2d(x, { kernelSize: a.kernel, stride: a.stride })],
      ['conv2dMaxPool', () => conv2dMaxPool(x, weight, null, { stride: a.stride, padding: a.padding }, { kernelSize: a.kernel })],
    ];
    for (const [op, call] of calls) {
      let out: Tensor | undefined;
      try {
        out = call();
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).constructor).toBe(Error);
        expect((e as Error).message.startsWith(`${op}: `)).toBe(true);
        continue;
      }
      expect(out.data.every(Number.isFinite)).toBe(true);
    }
  });
});
