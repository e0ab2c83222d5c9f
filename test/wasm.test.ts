import { describe, expect, it } from 'vitest';
import { adamStep } from '../src/tensor/kernels/elementwise.js';
import { gemmNaive } from '../src/tensor/kernels/gemm-naive.js';
import { gemmInt8Naive, int8Weight } from '../src/tensor/kernels/int8.js';
import { linearForward } from '../src/tensor/kernels/linear.js';
import { wasmBackend } from '../src/tensor/kernels/wasm/backend.js';
import { relaxedSimdSupported } from '../src/tensor/kernels/wasm/build.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { Rng } from '../src/tensor/random.js';
import { maxAbsDiff, randomArray } from './helpers.js';

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [7, 1, 5],
  [3, 5, 1],
  [4, 8, 4],
  [5, 9, 13],
  [65, 33, 17],
  [64, 512, 784],
  [7, 65, 300],
  [3, 37, 301],
  [2, 520, 600],
  [130, 10, 257],
  [2, 784, 1],
  [1, 512, 784],
  [33, 17, 600],
  [100, 37, 300],
  [512, 25, 64],
  [300, 70, 530],
];
const LAYOUTS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

describe('wasm SIMD backend', () => {
  it('is built by npm ci and loads', () => {
    expect(wasmBackend().module).not.toBeNull();
    expect(wasmBackend().kernels?.name).toBe('wasm');
  });

  // Every build this V8 runs (plain SIMD always; relaxed SIMD's FMA where supported), on one thread and on two.
  const builds = (['plain', 'relaxed'] as const).filter((simd) => simd === 'plain' || relaxedSimdSupported());
  const modules = builds.flatMap((simd) =>
    [1, 2].map((threads) => {
      const loaded = WasmModule.load({ threads, simd });
      if (!loaded.module) throw new Error(`the ${simd} build does not load: ${loaded.reason}`);
      return [`${simd} SIMD, ${threads} thread${threads > 1 ? 's' : ''}`, loaded.module, wasmCalls(loaded.module)] as const;
    }),
  );

  it("fmaPeak (the gemm bench's multiply-add ceiling) keeps its 12 chains of 4 lanes at 1, on every thread of each build", () => {
    for (const [name, m] of modules) {
      expect(m.call('fmaPeak', { iters: 0 }), name).toBe(48);
      expect(m.call('fmaPeak', { iters: 1000 }), name).toBe(48); // 1·0.5 + 0.5 stays 1, fused or not
      expect(() => m.split('fmaPeak', m.threads, () => ({ iters: 1000 }))).not.toThrow();
    }
  });

  it('runs on one thread or on a pool of two, in each build', () => {
    expect(modules.map(([, m]) => [m.simd, m.threads])).toEqual(
      builds.flatMap((simd) => [
        [simd, 1],
        [simd, 2],
      ]),
    );
  });

  it('picks the relaxed-SIMD build where this V8 runs it, the plain one elsewhere (Node 20 needs a V8 flag, set at load)', () => {
    const expected = process.env.SLIMTENSOR_SIMD || (relaxedSimdSupported() ? 'relaxed' : 'plain');
    expect(WasmModule.load({ threads: 1 }).module!.simd).toBe(expected);
  });

  describe.each(modules)('GEMM equals the naive reference (%s)', (_, __, wasm) => {
    const rng = new Rng(17);
    for (const [M, N, K] of SIZES) {
      for (const [ta, tb] of LAYOUTS) {
        it(`${M}x${N}x${K} transA=${ta} transB=${tb}, overwrite and accumulate`, () => {
          const A = randomArray(M * K, rng);
          const B = randomArray(K * N, rng);
          const want = new Float32Array(M * N);
          gemmNaive(ta, tb, M, N, K, A, B, want, false);
          const got = new Float32Array(M * N).fill(NaN); // overwrite must not read C
          wasm.gemm(ta, tb, M, N, K, A, B, got, false);
          expect(maxAbsDiff(got, want)).toBeLessThan(1e-4 * Math.sqrt(K));
          const start = randomArray(M * N, rng);
          const acc = Float32Array.from(start);
          wasm.gemm(ta, tb, M, N, K, A, B, acc, true);
          expect(
            maxAbsDiff(
              acc,
              want.map((v, i) => v + start[i]),
            ),
          ).toBeLessThan(1e-4 * Math.sqrt(K));
        });
      }
    }
  });

  describe.each(modules)("linearForward (bias and ReLU in the GEMM's epilogue) equals the reference kernel (%s)", (_, __, wasm) => {
    const rng = new Rng(19);
    // GEMV rows (N ≤ 3), ragged tile edges, several blocks of K (the epilogue runs on the last only) and of rows.
    const shapes: [number, number, number][] = [
      [1, 9, 5],
      [3, 520, 600],
      [4, 8, 4],
      [64, 512, 784],
      [65, 33, 17],
      [300, 70, 530],
      [7, 13, 0],
    ];
    for (const [N, outF, inF] of shapes) {
      for (const withBias of [true, false]) {
        it(`${N}x${outF}x${inF}, ${withBias ? 'bias' : 'no bias'}, with and without ReLU`, () => {
          const x = randomArray(N * inF, rng),
            W = randomArray(outF * inF, rng),
            bias = withBias ? randomArray(outF, rng) : null;
          for (const relu of [false, true]) {
            const want = new Float32Array(N * outF),
              got = new Float32Array(N * outF).fill(NaN);
            linearForward(x, N, inF, W, outF, bias, relu, want);
            wasm.linearForward(x, N, inF, W, outF, bias, relu, got);
            expect(maxAbsDiff(got, want)).toBeLessThan(1e-4 * Math.sqrt(inF + 1));
            if (relu) expect(got.some((v) => v === 0) && got.every((v) => v >= 0)).toBe(true);
          }
        });
      }
    }

    it("a NaN stays NaN through the fused ReLU, as PyTorch's relu (and the reference) keeps it", () => {
      const [N, outF, inF] = [8, 16, 8];
      const x = randomArray(N * inF, rng),
        W = randomArray(outF * inF, rng);
      x[3 * inF] = NaN; // row 3 of y is all NaN
      const y = new Float32Array(N * outF),
        ref = new Float32Array(N * outF);
      wasm.linearForward(x, N, inF, W, outF, null, true, y);
      linearForward(x, N, inF, W, outF, null, true, ref);
      expect(y.subarray(3 * outF, 4 * outF).every(Number.isNaN)).toBe(true);
      expect(ref.subarray(3 * outF, 4 * outF).every(Number.isNaN)).toBe(true);
      expect(y.subarray(0, 3 * outF).some(Number.isNaN)).toBe(false);
    });
  });

  it('K = 0 clears C (or leaves it when accumulating); an empty M or N is a no-op', () => {
    const C = Float32Array.of(1, 2, 3, 4);
    wasmBackend().kernels!.gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), C, true);
    expect([...C]).toEqual([1, 2, 3, 4]);
    wasmBackend().kernels!.gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), C, false);
    expect([...C]).toEqual([0, 0, 0, 0]);
  });
});

describe('wasm memory', () => {
  it('a call that needs more than the module may use is refused with the bytes it needs, before any kernel runs', () => {
    const m = WasmModule.load({ threads: 1 }).module!;
    const frame = m.heap.frame();
    try {
      expect(() => frame.take(2 ** 31)).toThrow(/wasm: a call needs \d+ bytes of memory, more than the 1048576 KiB the module may use/);
    } finally {
      frame.finish();
    }
    // The module still works after the refusal.
    const wasm = wasmCalls(m);
    const c = new Float32Array(4);
    wasm.gemm(false, false, 2, 2, 2, Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), c, false);
    expect([...c]).toEqual([1, 2, 3, 4]);
  });

  it("a resident array placed while a call's scratch is in use is refused, not laid over that scratch", () => {
    const m = WasmModule.load({ threads: 1 }).module!;
    const frame = m.heap.frame();
    frame.take(64);
    m.heap.allocFloat32(16); // moves the start of scratch past the frame's first bytes
    expect(() => frame.take(64)).toThrow(/wasm: a resident array was placed during a call, over its scratch/);
    expect(() => frame.finish()).toThrow(/over its scratch/);
    const after = m.heap.frame(); // a new call starts past the resident block
    expect(after.take(16)).toBeGreaterThanOrEqual(m.heap.scratchStart);
    after.finish();
  });
});

describe('wasm int8 GEMM', () => {
  const rng = new Rng(23);
  for (const threads of [1, 2]) {
    const wasm = wasmCalls(WasmModule.load({ threads }).module!);
    it(`equals exact integer loops, odd K and N, extremes (${threads} thread${threads > 1 ? 's' : ''})`, () => {
      for (const [M, N, K] of [
        [1, 1, 1],
        [3, 5, 7],
        [2, 9, 16],
        [7, 13, 1100],
        [64, 512, 784],
        [65, 37, 300],
      ]) {
        const A = Int16Array.from({ length: M * K }, (_, i) => (i % 7 === 0 ? 255 : i % 11 === 0 ? -255 : rng.int(511) - 255));
        const B = Int8Array.from({ length: N * K }, (_, i) => (i % 5 === 0 ? 127 : i % 13 === 0 ? -127 : rng.int(255) - 127));
        const want = new Int32Array(M * N);
        gemmInt8Naive(M, N, K, A, B, want);
        const got = new Int32Array(M * N).fill(7);
        const w = int8Weight(B, N, K);
        wasm.gemmInt8(M, A, w, got);
        expect(got).toEqual(want);
        wasm.gemmInt8(M, A, w, got); // the packed weights are reused
        expect(got).toEqual(want);
      }
    });
  }
});

describe('wasm Adam step', () => {
  const module = WasmModule.load({ threads: 1 }).module!;
  const rng = new Rng(29);
  // Past ADAM_SPLIT_MIN values a parameter is split into one range per thread: 100,003 on two threads.
  for (const [n, threads] of [
    [1, 1],
    [3, 1],
    [4, 1],
    [37, 1],
    [1000, 1],
    [100_003, 2],
  ]) {
    const own = threads === 1 ? module : WasmModule.load({ threads }).module!;
    const wasm = wasmCalls(own);
    it(
      `equals the TypeScript update over 3 steps, n = ${n} on ${threads} thread(s), with and without weight decay, moments resident or ` +
        `not`,
      () => {
        for (const weightDecay of [0, 0.01]) {
          for (const resident of [true, false]) {
            const p = randomArray(n, rng),
              m = new Float32Array(n),
              v = new Float32Array(n);
            const start = p.slice(),
              p2 = p.slice();
            const m2 = resident ? own.heap.allocFloat32(n)! : new Float32Array(n);
            const v2 = resident ? own.heap.allocFloat32(n)! : new Float32Array(n);
            for (let step = 1; step <= 3; step++) {
              const g = randomArray(n, rng);
              adamStep(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, step, weightDecay);
              wasm.adamStep(p2, g, m2, v2, 1e-3, 0.9, 0.999, 1e-8, step, weightDecay);
            }
            // float32 arithmetic against float64: the step is lr-sized, so compare with an lr-scaled tolerance.
            expect(maxAbsDiff(p2, p)).toBeLessThan(1e-6);
            expect(maxAbsDiff(m2, m)).toBeLessThan(1e-6);
            expect(maxAbsDiff(v2, v)).toBeLessThan(1e-6);
            expect(maxAbsDiff(p2, start)).toBeGreaterThan(1e-4); // three steps of about lr each
          }
        }
      },
    );
  }

  it('flushes a first moment that decays below the smallest normal float to zero, the weights still those of the reference', () => {
    // A weight whose gradient stops (a dead unit's): β1ᵗ·m sinks into the subnormal range,
    // where the reference keeps it for good (0.9·m rounds back to m) and every multiply on
    // it is slow; the wasm kernel sets it to zero. The weights stay as close to the
    // reference's (float64 arithmetic) as in the tests above.
    const n = 9,
      wasm = wasmCalls(module);
    const p = randomArray(n, rng),
      p2 = p.slice();
    const [m, v, m2, v2] = [new Float32Array(n), new Float32Array(n), new Float32Array(n), new Float32Array(n)];
    for (let step = 1; step <= 1200; step++) {
      const g = step <= 5 ? randomArray(n, rng) : new Float32Array(n);
      adamStep(p, g, m, v, 1e-3, 0.9, 0.999, 1e-8, step, 0);
      wasm.adamStep(p2, g, m2, v2, 1e-3, 0.9, 0.999, 1e-8, step, 0);
    }
    expect(m.some((x) => x !== 0 && Math.abs(x) < 1.1754944e-38)).toBe(true); // the reference's stuck subnormals
    expect([...m2]).toEqual(new Array(n).fill(0));
    expect(maxAbsDiff(p2, p)).toBeLessThan(1e-6);
  });

  it("allocFloat32 gives zeros that live in the module's shared memory", () => {
    const a = module.heap.allocFloat32(5)!;
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...a]).toEqual([0, 0, 0, 0, 0]);
  });
});
