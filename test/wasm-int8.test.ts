import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { QuantizedConv2d, QuantizedLinear, quantizedCodec } from '../src/compress/int8-layers.js';
import { quantizeWeight } from '../src/compress/quantize-weight.js';
import { Linear } from '../src/nn/layers.js';
import type { ConvGeometry } from '../src/tensor/kernels/conv.js';
import type { PoolWindow } from '../src/tensor/kernels/conv-pool.js';
import { gemmInt8Naive, int8Weight } from '../src/tensor/kernels/int8.js';
import { int8Conv2d, int8Linear } from '../src/tensor/kernels/int8-layers.js';
import { activationQuant, quantFromRange, quantizeActivations } from '../src/tensor/kernels/quantize.js';
import { relaxedSimdSupported } from '../src/tensor/kernels/wasm/build.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { gemmInt8U7 } from '../src/tensor/kernels/wasm/calls/int8.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { maxPool2d } from '../src/tensor/ops/conv.js';
import { relu } from '../src/tensor/ops/elementwise.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectIdentical, randomArray } from './helpers.js';

function weights(N: number, K: number, perChannel: boolean, rng: Rng, reduceRange = true) {
  return quantizeWeight(randomArray(N * K, rng, -0.5, 0.5), N, K, perChannel, reduceRange);
}

describe('activation quantization', () => {
  it('rounds x·(1/scale) in float32, ties to even (as PyTorch), and clamps to the int8 range', () => {
    // 8-bit range [−127.5, 127.5]: scale 1, zero point 128 (from 127.5, ties to even), so x itself is rounded.
    const x = Float32Array.of(-127.5, 2.5, 3.5, -2.5, 0.5, 127.5, Number.NaN);
    const aq = activationQuant(x, false);
    expect(aq).toEqual({ scale: 1, zeroPoint: 128, qmin: 0, qmax: 255 });
    const q = new Int16Array(8).fill(99);
    quantizeActivations(x, aq, q, 1, 7, 8);
    expect([...q]).toEqual([-128, 2, 4, -2, 0, 127, 0, 0]); // NaN → 0; the padding column zeroed
    // 7-bit (reduce_range): [−63.5, 63.5] has scale 1 and zero point 64; q − z spans [−64, 63].
    const x7 = Float32Array.of(-63.5, 63.5, 1.5, 70);
    const aq7 = quantFromRange(-63.5, 63.5, true);
    expect(aq7).toEqual({ scale: 1, zeroPoint: 64, qmin: 0, qmax: 127 });
    const q7 = new Int16Array(4);
    quantizeActivations(x7, aq7, q7);
    expect([...q7]).toEqual([-64, 63, 2, 63]);
  });

  it('chooses the zero point as fbgemm does: from the end with the smaller error, clamped, and a tiny range widened', () => {
    expect(quantFromRange(0, 0)).toEqual({ scale: Math.fround(0.1), zeroPoint: 0, qmin: 0, qmax: 127 }); // an empty range
    expect(quantFromRange(-2, -1)).toMatchObject({ scale: Math.fround(2 / 127), zeroPoint: 127 }); // max widened to 0
    expect(quantFromRange(1e-6, 2e-6)).toMatchObject({ scale: Math.fround(6.1e-5), zeroPoint: 0 });
  });
});

describe("the whole int8 layer in wasm gives the TypeScript reference's bits", () => {
  for (const threads of [1, 2]) {
    const wasm = wasmCalls(WasmModule.load({ threads }).module!);
    // Each build, 7- and 8-bit activations: the relaxed build's 7-bit layers take the i8 × i7 dot product (gemmU7I8), the rest the 16-bit
    // one.
    const variants = (['relaxed', 'plain'] as const)
      .filter((simd) => simd === 'plain' || relaxedSimdSupported())
      .flatMap((simd) =>
        [true, false].map((reduceRange) => ({ simd, reduceRange, calls: wasmCalls(WasmModule.load({ threads, simd }).module!) })),
      );
    it(
      `Linear: batch 1–64, K not a multiple of 8 or 16, bias or not, ReLU or not, per tensor or channel, each build, 7 and 8 bits ` +
        `(${threads} thread(s))`,
      () => {
        const rng = new Rng(40 + threads);
        for (const [M, N, K] of [
          [1, 1, 1],
          [1, 10, 128],
          [2, 7, 13],
          [3, 33, 100],
          [5, 16, 784],
          [64, 512, 784],
          [64, 10, 128],
          [4, 9, 24],
        ]) {
          for (const [perChannel, { simd, reduceRange, calls }] of [false, true].flatMap((p) => variants.map((v) => [p, v] as const))) {
            const w = weights(N, K, perChannel, rng, reduceRange);
            const bias = M % 2 ? randomArray(N, rng) : null;
            const x = randomArray(M * K, rng, -1, 2);
            for (const fuse of [false, true]) {
              const want = new Float32Array(M * N),
                got = new Float32Array(M * N).fill(NaN);
              int8Linear(x, M, w, bias, fuse, want);
              calls.int8Linear(x, M, w, bias, fuse, got);
              expect(got.every(Number.isFinite), `${simd} ${reduceRange}`).toBe(true);
              expectIdentical(got, want);
            }
          }
        }
        // Ties in the activations round the same way on both paths.
        const w = weights(4, 7, false, rng);
        const x = Float32Array.of(-127.5, 2.5, 3.5, -2.5, 0.5, 127.5, 1.5);
        const want = new Float32Array(4),
          got = new Float32Array(4);
        int8Linear(x, 1, w, null, false, want);
        wasm.int8Linear(x, 1, w, null, false, got);
        expectIdentical(got, want);
      },
    );

    it(`Conv2d: stride, padding, several channels, batch 1 and more, each build, 7 and 8 bits (${threads} thread(s))`, () => {
      const rng = new Rng(50 + threads);
      for (const c of [
        { N: 1, C: 1, H: 5, W: 5, OC: 1, K: 5, S: 1, P: 0 },
        { N: 3, C: 2, H: 7, W: 6, OC: 5, K: 3, S: 2, P: 1 },
        { N: 64, C: 1, H: 28, W: 28, OC: 32, K: 5, S: 1, P: 0 }, // the teacher's conv1
        { N: 2, C: 3, H: 9, W: 9, OC: 8, K: 4, S: 3, P: 2 },
      ]) {
        const OH = Math.floor((c.H + 2 * c.P - c.K) / c.S) + 1,
          OW = Math.floor((c.W + 2 * c.P - c.K) / c.S) + 1;
        const g: ConvGeometry = { C: c.C, H: c.H, W: c.W, KH: c.K, KW: c.K, SH: c.S, SW: c.S, PH: c.P, PW: c.P, OH, OW };
        for (const { reduceRange, calls } of variants)
          for (const perChannel of [false, true]) {
            const w = weights(c.OC, c.C * c.K * c.K, perChannel, rng, reduceRange);
            const bias = perChannel ? randomArray(c.OC, rng) : null;
            const x = randomArray(c.N * c.C * c.H * c.W, rng);
            const size = c.N * c.OC * OH * OW;
            const want = new Float32Array(size),
              got = new Float32Array(size).fill(NaN);
            int8Conv2d(x, c.N, w, bias, g, null, want);
            calls.int8Conv2d(x, c.N, w, bias, g, null, got);
            expectIdentical(got, want);
            // Fused with a max pool: the pooled sums scaled back are the max-pool of the scaled
            // convolution, bit for bit. A window of 5 leaves positions no window reaches (the
            // teacher's 24 × 24 pooled by 5 uses 20 × 20), which the wasm kernel skips.
            for (const k of new Set([Math.min(2, OH, OW), Math.min(5, OH, OW)])) {
              const p: PoolWindow = { KH: k, KW: k, SH: k, SW: k, OH: Math.floor(OH / k), OW: Math.floor(OW / k) };
              const pooledSize = c.N * c.OC * p.OH * p.OW;
              const pooled = new Float32Array(pooledSize),
                pooledWasm = new Float32Array(pooledSize).fill(NaN);
              int8Conv2d(x, c.N, w, bias, g, p, pooled);
              calls.int8Conv2d(x, c.N, w, bias, g, p, pooledWasm);
              expectIdentical(pooledWasm, pooled);
              const composed = maxPool2d(new Tensor(want, [c.N, c.OC, OH, OW]), { kernelSize: k });
              expectIdentical(pooled, composed.data);
            }
          }
      }
    });
  }
});

describe('int8 layers refuse bad weights before any kernel runs', () => {
  it('scales that are NaN, zero, negative or infinite, or of the wrong count', () => {
    const q = new Int8Array(6);
    for (const bad of [Number.NaN, 0, -1, Infinity]) {
      expect(() => int8Weight(q, 2, 3, Float32Array.of(1, bad))).toThrow(
        `int8Weight: scale 1 is ${bad}; scales must be finite and positive`,
      );
    }
    expect(() => int8Weight(q, 2, 3, Float32Array.of(1, 1, 1))).toThrow(/3 scales for 2 output channels/);
    expect(() => int8Weight(q, 4, 3)).toThrow(/6 values do not fill \[4, 3\]/);
    const entries = (scale: Float32Array) =>
      new Map([
        ['weight', { dtype: 'I8' as const, shape: [2, 3], data: q }],
        ['weight.scale', { dtype: 'F32' as const, shape: [scale.length], data: scale }],
      ]);
    expect(() => quantizedCodec.decode(entries(Float32Array.of(Number.NaN)))).toThrow(/scale 0 is NaN/);
  });

  it('a conv geometry out of range', () => {
    const w = quantizeWeight(new Float32Array(2 * 9), 2, 9, false);
    expect(() => new QuantizedConv2d(w, null, [2, 1, 3, 3], [0, 1], [0, 0])).toThrow(
      /stride \[0, 1\] and padding \[0, 0\] are out of range/,
    );
    expect(() => new QuantizedConv2d(w, null, [2, 1, 3, 3], [1, 1], [0, 1e6])).toThrow(/padding \[0, 1000000\] are out of range/);
    expect(() => new QuantizedConv2d(w, null, [2, 1, 3, 3], [1, 1], [0, 3])).toThrow(/padding \[0, 3\] are out of range for a 3x3/);
    expect(() => new QuantizedConv2d(w, null, [2, 1, 2, 3], [1, 1], [0, 0])).toThrow(/weight shape \[2, 1, 2, 3\] does not hold \[2, 9\]/);
  });
});

describe('QuantizedLinear', () => {
  it('forwardRelu equals relu(forward)', () => {
    const rng = new Rng(9);
    const q = QuantizedLinear.fromFloat(new Linear(30, 12, { rng }));
    const x = new Tensor(randomArray(4 * 30, rng), [4, 30]);
    expect(q.forwardRelu(x).data).toEqual(relu(q.forward(x)).data);
  });
});

describe("the relaxed build's i8 × i7 integer product (gemmU7I8)", () => {
  it('equals exact integer loops on (q − z)·Wᵀ: odd shapes, the extreme values, 1 and 2 threads', () => {
    if (!relaxedSimdSupported()) return;
    const rng = new Rng(90);
    for (const threads of [1, 2]) {
      const m = WasmModule.load({ threads, simd: 'relaxed' }).module!;
      for (const [M, N, K] of [
        [1, 1, 1],
        [3, 5, 17],
        [2, 9, 16],
        [64, 512, 784],
        [7, 33, 300],
        [1, 512, 784],
        [3, 130, 600],
      ]) {
        const Q = Uint8Array.from({ length: M * K }, (_, i) => (i % 11 === 0 ? 127 : i % 13 === 0 ? 0 : rng.int(128)));
        const q = Int8Array.from({ length: N * K }, (_, i) => (i % 7 === 0 ? -128 : i % 5 === 0 ? 127 : rng.int(256) - 128));
        const z = rng.int(128);
        const want = new Int32Array(M * N),
          got = new Int32Array(M * N).fill(-1);
        gemmInt8Naive(
          M,
          N,
          K,
          Int16Array.from(Q, (v) => v - z),
          q,
          want,
        );
        gemmInt8U7(m, M, Q, z, int8Weight(q, N, K), got);
        expect([...got]).toEqual([...want]);
      }
    }
    expect(() =>
      gemmInt8U7(
        WasmModule.load({ threads: 1, simd: 'plain' }).module!,
        1,
        new Uint8Array(1),
        0,
        int8Weight(Int8Array.of(1), 1, 1),
        new Int32Array(1),
      ),
    ).toThrow(/needs the relaxed-SIMD build/);
  });
});

describe('packed weights are kept per module', () => {
  it('one int8 layer run on two modules (each with its own memory) gives the reference on both, whichever ran first', () => {
    const rng = new Rng(77);
    const modules = [1, 2].map((threads) => wasmCalls(WasmModule.load({ threads }).module!));
    const w = weights(40, 300, true, rng);
    const x = randomArray(8 * 300, rng);
    const want = new Float32Array(8 * 40);
    int8Linear(x, 8, w, null, false, want);
    for (const calls of [...modules, ...modules]) {
      const got = new Float32Array(8 * 40);
      calls.int8Linear(x, 8, w, null, false, got);
      expectIdentical(got, want);
    }
  });
});

describe("the relaxed i8 × i7 dot product in both of V8's tiers", () => {
  // V8 11.3's baseline compiler (Liftoff) mis-adds the accumulator of i32x4.relaxed_dot_i8x16_i7x16_add_s;
  // gemmU7I8 and convU7I8 avoid that form. Held to the reference with only Liftoff, and with only TurboFan.
  for (const tier of ['--liftoff-only', '--no-liftoff']) {
    it(`gives the reference's bits under ${tier}`, () => {
      if (!relaxedSimdSupported()) return expect(WasmModule.load({ threads: 1 }).module!.simd).toBe('plain');
      const code = `
        import { int8Weight } from './src/tensor/kernels/int8.ts';
        import { int8Conv2d, int8Linear } from './src/tensor/kernels/int8-layers.ts';
        import { wasmCalls } from './src/tensor/kernels/wasm/calls/index.ts';
        import { WasmModule } from './src/tensor/kernels/wasm/module.ts';
        const m = WasmModule.load({ threads: 1, simd: 'relaxed' }).module;
        const [M, N, K] = [5, 24, 200];
        const w = int8Weight(Int8Array.from({ length: N * K }, (_, i) => ((i * 37) % 256) - 128), N, K, Float32Array.of(0.01));
        const x = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i));
        const want = new Float32Array(M * N), got = new Float32Array(M * N);
        int8Linear(x, M, w, null, false, want);
        wasmCalls(m).int8Linear(x, M, w, null, false, got);
        // The int8 convolution's byte kernel (convU7I8) too, with padding and a pool.
        const g = { C: 2, H: 9, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, OH: 9, OW: 9 };
        const pool = { KH: 2, KW: 2, SH: 2, SW: 2, OH: 4, OW: 4 };
        const wc = int8Weight(Int8Array.from({ length: 8 * 18 }, (_, i) => ((i * 53) % 256) - 128), 8, 18, Float32Array.of(0.02));
        const xc = Float32Array.from({ length: 3 * 2 * 81 }, (_, i) => Math.cos(i));
        const wantC = new Float32Array(3 * 8 * 16), gotC = new Float32Array(3 * 8 * 16);
        int8Conv2d(xc, 3, wc, null, g, pool, wantC);
        wasmCalls(m).int8Conv2d(xc, 3, wc, null, g, pool, gotC);
        const same = got.every((v, i) => Object.is(v, want[i])) && gotC.every((v, i) => Object.is(v, wantC[i]));
        console.log(JSON.stringify({ simd: m.simd, same }));
        process.exit(0);`;
      const out = execFileSync(process.execPath, [tier, '--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: new URL('..', import.meta.url).pathname,
        encoding: 'utf8',
      });
      expect(JSON.parse(out)).toEqual({ simd: 'relaxed', same: true });
    }, 30_000);
  }
});
