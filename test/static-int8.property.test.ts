import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { convert, prepareQat } from '../src/compress/qat.js';
import { MLP } from '../src/nn/models.js';
import { noGrad } from '../src/tensor/autograd.js';
import { kernels } from '../src/tensor/kernels/index.js';
import { int8Weight } from '../src/tensor/kernels/int8.js';
import { roundHalfEven } from '../src/tensor/kernels/quantize.js';
import { dequantizeU8, maxPoolU8, quantizeU8, staticConv2d, staticLinear } from '../src/tensor/kernels/static-int8.js';
import { fakeQuantize } from '../src/tensor/ops/fake-quant.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { naiveConv, naivePool } from './naive.js';

/**
 * The static int8 kernels against their definition (seeded; `PROPERTY_RUNS` runs): a layer's
 * uint8 output is the real number Σ (q − zₓ)·w·sₓ·s_w + b over the output's scale, rounded
 * (ties to even), plus the output's zero point, clamped to [relu ? z : 0, 255]. The kernels
 * compute it in int32 and float32, so they may round the other way only where the real
 * value lies within float32's error of a tie. The backend's kernels (wasm's integer product
 * under the wasm backend) give the TypeScript kernels' bits.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const OPTIONS = { seed: 2035, numRuns: RUNS };

const params = fc.record({
  inScale: fc.integer({ min: 1, max: 1000 }).map((k) => k / 10_000),
  inZero: fc.integer({ min: 0, max: 255 }),
  outScale: fc.integer({ min: 1, max: 1000 }).map((k) => k / 2_000),
  outZero: fc.integer({ min: 0, max: 255 }),
  perChannel: fc.boolean(),
  bias: fc.boolean(),
  relu: fc.boolean(),
  seed: fc.integer(),
});
type Params = typeof params extends fc.Arbitrary<infer T> ? T : never;

/** Random int8 weights `[N, K]` with their scales, a bias or none, uint8 inputs. */
function layer(p: Params, N: number, K: number, inputs: number) {
  const rng = new Rng(p.seed);
  const q = Int8Array.from({ length: N * K }, () => rng.int(256) - 128);
  const scales = Float32Array.from({ length: p.perChannel ? N : 1 }, () => Math.fround(1e-3 + rng.uniform() * 0.05));
  const bias = p.bias ? Float32Array.from({ length: N }, () => Math.fround(rng.uniformRange(-2, 2))) : null;
  const x = Uint8Array.from({ length: inputs }, () => rng.int(256));
  return { w: int8Weight(q, N, K, scales), bias, x };
}

/** The definition for one output: its real value over the output scale, and the uint8 it rounds to. */
function expected(acc: number, j: number, p: Params, scales: Float32Array, bias: Float32Array | null): { v: number; q: number } {
  const sw = scales[scales.length > 1 ? j : 0];
  const v = (acc * p.inScale * sw + (bias ? bias[j] : 0)) / p.outScale;
  const q = Math.min(255, Math.max(p.relu ? p.outZero : 0, roundHalfEven(v) + p.outZero));
  return { v, q };
}

/** Equal, or one apart where v is within float32's error of a rounding tie. */
function expectDefinition(got: number, want: { v: number; q: number }, label: string): void {
  if (got === want.q) return;
  const tie = Math.abs(Math.abs(want.v - Math.floor(want.v)) - 0.5);
  expect(Math.abs(got - want.q), label).toBe(1);
  expect(tie, `${label}: ${got} for ${want.v} (${want.q})`).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.v)));
}

describe('static int8 kernels against their definition', () => {
  test.prop([params, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 })], OPTIONS)(
    'staticLinear: the requantized sum of (q − zₓ)·w, bias and ReLU in the epilogue',
    (p, M, K, N) => {
      const { w, bias, x } = layer(p, N, K, M * K);
      const out = new Uint8Array(M * N);
      const io = [
        { scale: p.inScale, zeroPoint: p.inZero },
        { scale: p.outScale, zeroPoint: p.outZero },
      ] as const;
      staticLinear(x, M, io[0], w, bias, io[1], p.relu, out);
      const backend = new Uint8Array(M * N);
      kernels.staticLinear(x, M, io[0], w, bias, io[1], p.relu, backend);
      expect([...backend], kernels.name).toEqual([...out]);
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let acc = 0;
          for (let k = 0; k < K; k++) acc += (x[i * K + k] - p.inZero) * w.q[j * K + k];
          expectDefinition(out[i * N + j], expected(acc, j, p, w.scales, bias), `out[${i}, ${j}]`);
        }
    },
  );

  const geometry = fc.record({
    N: fc.integer({ min: 1, max: 2 }),
    C: fc.integer({ min: 1, max: 3 }),
    OC: fc.integer({ min: 1, max: 4 }),
    KH: fc.integer({ min: 1, max: 3 }),
    KW: fc.integer({ min: 1, max: 3 }),
    SH: fc.integer({ min: 1, max: 2 }),
    SW: fc.integer({ min: 1, max: 2 }),
    PH: fc.integer({ min: 0, max: 2 }),
    PW: fc.integer({ min: 0, max: 2 }),
    extra: fc.integer({ min: 0, max: 4 }),
  });

  test.prop([params, geometry], OPTIONS)('staticConv2d: each output the definition over its window, the padding the zero point', (p, g) => {
    const H = g.KH + g.extra,
      W = g.KW + Math.max(0, g.extra - 1);
    const { w, bias, x } = layer(p, g.OC, g.C * g.KH * g.KW, g.N * g.C * H * W);
    const OH = Math.floor((H + 2 * g.PH - g.KH) / g.SH) + 1,
      OW = Math.floor((W + 2 * g.PW - g.KW) / g.SW) + 1;
    const out = new Uint8Array(g.N * g.OC * OH * OW);
    const geo = { C: g.C, H, W, KH: g.KH, KW: g.KW, SH: g.SH, SW: g.SW, PH: g.PH, PW: g.PW, OH, OW };
    const io = [
      { scale: p.inScale, zeroPoint: p.inZero },
      { scale: p.outScale, zeroPoint: p.outZero },
    ] as const;
    staticConv2d(x, g.N, io[0], w, bias, geo, io[1], p.relu, out);
    const backend = new Uint8Array(out.length);
    kernels.staticConv2d(x, g.N, io[0], w, bias, geo, io[1], p.relu, backend);
    expect([...backend], kernels.name).toEqual([...out]);
    // The exact integer sums: the convolution of (q − zₓ) with the int8 filters, zero-padded.
    const centred = new Tensor(
      Float32Array.from(x, (v) => v - p.inZero),
      [g.N, g.C, H, W],
    );
    const sums = naiveConv(centred, new Tensor(Float32Array.from(w.q), [g.OC, g.C, g.KH, g.KW]), null, [g.SH, g.SW], [g.PH, g.PW]);
    expect(sums.shape).toEqual([g.N, g.OC, OH, OW]);
    sums.data.forEach((acc, i) => {
      expectDefinition(out[i], expected(acc, Math.floor(i / (OH * OW)) % g.OC, p, w.scales, bias), `out[${i}]`);
    });
  });

  test.prop(
    [
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer(),
    ],
    OPTIONS,
  )('maxPoolU8: the largest integer of each window', (planes, H, W, K, S, seed) => {
    const [KH, KW] = [Math.min(K, H), Math.min(K, W)];
    const rng = new Rng(seed);
    const q = Uint8Array.from({ length: planes * H * W }, () => rng.int(256));
    const OH = Math.floor((H - KH) / S) + 1,
      OW = Math.floor((W - KW) / S) + 1;
    const out = new Uint8Array(planes * OH * OW);
    maxPoolU8(q, planes, H, W, { KH, KW, SH: S, SW: S, OH, OW }, out);
    expect([...out]).toEqual(naivePool(q, [planes, 1, H, W], [KH, KW], [S, S]).data);
  });

  /** 64 values around a uint8 grid of `scale` and `zeroPoint` (many beyond its ends), quantized and back. */
  function roundTripU8(k: number, zeroPoint: number, seed: number) {
    const scale = Math.fround(k / 5000);
    const rng = new Rng(seed);
    const x = Float32Array.from({ length: 64 }, () => rng.uniformRange(-300, 300) * scale);
    const q = new Uint8Array(x.length),
      back = new Float32Array(x.length);
    quantizeU8(x, { scale, zeroPoint }, q);
    dequantizeU8(q, { scale, zeroPoint }, back);
    return { scale, x, back };
  }

  test.prop([fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 255 }), fc.integer()], OPTIONS)(
    'quantizeU8 then dequantizeU8: within half a step inside the range, clamped outside',
    (k, zeroPoint, seed) => {
      const { scale, x, back } = roundTripU8(k, zeroPoint, seed);
      const [lo, hi] = [(0 - zeroPoint) * scale, (255 - zeroPoint) * scale];
      x.forEach((v, i) => {
        const clamped = Math.min(hi, Math.max(lo, v));
        expect(Math.abs(back[i] - clamped)).toBeLessThanOrEqual(scale / 2 + 1e-6 * Math.abs(v));
      });
    },
  );

  test.prop([fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 255 }), fc.integer()], OPTIONS)(
    "fakeQuantize on uint8's grid gives exactly what quantizeU8 then dequantizeU8 give: training sees the static model's values",
    (k, zeroPoint, seed) => {
      const { scale, x, back } = roundTripU8(k, zeroPoint, seed);
      const grid = { scale: Float32Array.of(scale), zeroPoint: Int32Array.of(zeroPoint), quantMin: 0, quantMax: 255 };
      expect([...fakeQuantize(new Tensor(x, [64]), grid).data]).toEqual([...back]);
    },
  );

  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 4 }),
      fc.constantFrom(8, 4, 2),
      fc.constantFrom(8, 4),
      fc.boolean(),
      fc.integer(),
    ],
    OPTIONS,
  )(
    'convert gives the integers a QAT model stands for: its evaluation-mode logits, to a level',
    (widths, wBits, aBits, perChannel, seed) => {
      const rng = new Rng(seed);
      const qat = prepareQat(new MLP(widths, rng), {
        weightBits: wBits as 8 | 4 | 2,
        activationBits: aBits as 8 | 4,
        perChannel,
        averagingConstant: 0.5,
      });
      for (let i = 0; i < 3; i++) noGrad(() => qat.train().forward(Tensor.randn([8, widths[0]], rng)));
      const x = Tensor.randn([8, widths[0]], rng);
      const want = noGrad(() => qat.eval().forward(x)).data;
      const q = convert(qat);
      const got = noGrad(() => q.forward(x)).data;
      const last = q.stages[q.stages.length - 1];
      const step = 'output' in last ? last.output.scale : 1;
      got.forEach((v, i) => {
        expect(Math.abs(v - want[i]) / step).toBeLessThanOrEqual(1.001);
      });
    },
  );
});
