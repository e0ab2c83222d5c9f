import { describe, expect, it } from 'vitest';
import { relu, reluBackward } from '../src/tensor/kernels/elementwise.js';
import { linearBackward } from '../src/tensor/kernels/linear.js';
import { relaxedSimdSupported } from '../src/tensor/kernels/wasm/build.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { Rng } from '../src/tensor/random.js';
import { maxAbsDiff, randomArray } from './helpers.js';

// Every build this V8 runs, on one thread and on two (two take the path where dx and dW run at once).
const builds = (['plain', 'relaxed'] as const).filter((simd) => simd === 'plain' || relaxedSimdSupported());
const modules = builds.flatMap((simd) =>
  [1, 2].map((threads) => {
    const module = WasmModule.load({ threads, simd }).module!;
    return [`${simd} SIMD, ${threads} thread${threads > 1 ? 's' : ''}`, module] as const;
  }),
);

/** Which of dx, dW, db a case asks for. */
const WANTS = [
  [true, true, true],
  [false, true, true],
  [true, false, false],
  [true, true, false],
] as const;

describe.each(modules)('linearBackward (ReLU mask, dx and dW at once) equals the reference kernel (%s)', (_, module) => {
  const wasm = wasmCalls(module);
  const rng = new Rng(31);
  // GEMV rows (N ≤ 3), ragged tile edges, fc1's shape (large enough to run dx and dW on two threads), K = N·… = 0 columns.
  const shapes: [number, number, number][] = [
    [1, 9, 5],
    [3, 520, 600],
    [5, 9, 13],
    [64, 512, 784],
    [65, 33, 17],
    [64, 10, 128],
    [4, 0, 7],
  ];
  for (const [N, outF, inF] of shapes) {
    it(`${N} rows, ${inF} → ${outF}: with and without the ReLU, each gradient on its own, overwritten and accumulated`, () => {
      const x = randomArray(N * inF, rng),
        W = randomArray(outF * inF, rng),
        dy = randomArray(N * outF, rng);
      const y = randomArray(N * outF, rng).map((v, i) => (i % 7 === 0 ? 0 : v)); // the forward's output: negatives, zeros, positives
      for (const mask of [null, y]) {
        for (const [wantX, wantW, wantB] of WANTS) {
          for (const add of [false, true]) {
            const start = [randomArray(outF * inF, rng), randomArray(outF, rng)];
            const ref = {
              dx: wantX ? new Float32Array(N * inF) : null,
              dW: wantW ? start[0].slice() : null,
              db: wantB ? start[1].slice() : null,
            };
            // dW resident in the module's memory (a parameter's gradient), db a plain array: both kinds of output.
            const dW = wantW ? module.heap.allocFloat32(outF * inF)! : null;
            dW?.set(start[0]);
            const got = { dx: wantX ? new Float32Array(N * inF).fill(NaN) : null, dW, db: wantB ? start[1].slice() : null };
            linearBackward(dy, mask, N, inF, outF, x, W, ref.dx, ref.dW, add, ref.db, add);
            wasm.linearBackward(dy, mask, N, inF, outF, x, W, got.dx, got.dW, add, got.db, add);
            const tol = 1e-4 * Math.sqrt(Math.max(N, outF) + 1);
            if (ref.dx) expect(maxAbsDiff(got.dx!, ref.dx)).toBeLessThan(tol);
            if (ref.dW) expect(maxAbsDiff(got.dW!, ref.dW)).toBeLessThan(tol);
            if (ref.db) expect(maxAbsDiff(got.db!, ref.db)).toBeLessThan(tol);
          }
        }
      }
    });
  }

  it('masks exactly where the ReLU output is ≤ 0: rows of y all zero give zero gradients', () => {
    const [N, inF, outF] = [64, 784, 512];
    const x = randomArray(N * inF, rng),
      W = randomArray(outF * inF, rng),
      dy = randomArray(N * outF, rng);
    const y = new Float32Array(N * outF); // every unit off
    const dx = new Float32Array(N * inF).fill(NaN),
      dW = new Float32Array(outF * inF).fill(NaN),
      db = new Float32Array(outF).fill(NaN);
    wasm.linearBackward(dy, y, N, inF, outF, x, W, dx, dW, false, db, false);
    expect([dx, dW, db].every((a) => a.every((v) => v === 0))).toBe(true);
  });

  it('a NaN in the ReLU output passes its gradient on, as the reference (NaN ≤ 0 is false)', () => {
    const [N, inF, outF] = [8, 16, 12];
    const x = randomArray(N * inF, rng),
      W = randomArray(outF * inF, rng),
      dy = randomArray(N * outF, rng);
    const y = new Float32Array(N * outF).fill(NaN);
    const [want, got] = [new Float32Array(outF), new Float32Array(outF)];
    linearBackward(dy, y, N, inF, outF, x, W, null, null, false, want, false);
    wasm.linearBackward(dy, y, N, inF, outF, x, W, null, null, false, got, false);
    expect(want.some((v) => v !== 0)).toBe(true);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
  });
});

describe.each(modules)('relu and its backward in SIMD equal the reference bit for bit (%s)', (_, module) => {
  const wasm = wasmCalls(module);
  const rng = new Rng(37);
  for (const n of [7, 5003]) {
    it(`${n} values with NaN, −0, +0 and infinities among them, out of place and in place`, () => {
      const x = randomArray(n, rng);
      [NaN, -0, 0, Infinity, -Infinity].forEach((v, i) => {
        x[(i * 3) % n] = v;
      });
      const want = new Float32Array(n),
        got = new Float32Array(n).fill(7);
      relu(x, want);
      wasm.relu(x, got);
      expect(got).toEqual(want);
      expect(Object.is(got[3 % n], -0)).toBe(Object.is(want[3 % n], -0));
      const inPlace = x.slice();
      wasm.relu(inPlace, inPlace);
      expect(inPlace).toEqual(want);
      const dy = randomArray(n, rng),
        dxWant = new Float32Array(n),
        dxGot = new Float32Array(n).fill(7);
      reluBackward(dy, x, dxWant);
      wasm.reluBackward(dy, x, dxGot);
      expect(dxGot).toEqual(dxWant);
    });
  }
});
