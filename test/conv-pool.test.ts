import { describe, expect, it } from 'vitest';
import { type ConvGeometry, conv2dBackward, conv2dForward } from '../src/tensor/kernels/conv.js';
import { convPoolBackward, convPoolForward, type PoolWindow } from '../src/tensor/kernels/conv-pool.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { conv2d, conv2dMaxPool, maxPool2d } from '../src/tensor/ops/conv.js';
import { relu } from '../src/tensor/ops/elementwise.js';
import { sum } from '../src/tensor/ops/reduce.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, randomArray } from './helpers.js';

interface Case {
  N: number;
  C: number;
  H: number;
  W: number;
  OC: number;
  K: number;
  S: number;
  P: number;
  pool: number;
  poolStride: number;
}

const CASES: Case[] = [
  { N: 16, C: 1, H: 28, W: 28, OC: 32, K: 5, S: 1, P: 0, pool: 5, poolStride: 5 }, // the teacher (big enough for two threads)
  { N: 2, C: 3, H: 9, W: 7, OC: 4, K: 3, S: 2, P: 1, pool: 2, poolStride: 1 }, // overlapping windows
  { N: 2, C: 20, H: 12, W: 12, OC: 50, K: 5, S: 1, P: 0, pool: 2, poolStride: 2 }, // LeNet-5's conv2 (a small window: conv2d's backward)
  { N: 2, C: 2, H: 11, W: 11, OC: 3, K: 3, S: 1, P: 1, pool: 4, poolStride: 3 }, // overlapping 16-position windows (the winners' backward)
  { N: 1, C: 2, H: 6, W: 6, OC: 5, K: 3, S: 1, P: 2, pool: 3, poolStride: 2 }, // taps in the padding
  { N: 2, C: 1, H: 5, W: 4, OC: 1, K: 1, S: 1, P: 0, pool: 1, poolStride: 1 },
  { N: 1, C: 1, H: 1, W: 1, OC: 3, K: 1, S: 1, P: 0, pool: 1, poolStride: 1 },
  // a scratch of ~40 winners: the wasm backward lists them in chunks
  { N: 300, C: 1, H: 2, W: 2, OC: 2, K: 2, S: 1, P: 0, pool: 1, poolStride: 1 },
];

const name = (c: Case): string =>
  `x [${c.N}, ${c.C}, ${c.H}, ${c.W}], ${c.OC} filters ${c.K}x${c.K} stride ${c.S} padding ${c.P}, pool ${c.pool} stride ${c.poolStride}`;

function geometry(c: Case): { g: ConvGeometry; p: PoolWindow } {
  const OH = Math.floor((c.H + 2 * c.P - c.K) / c.S) + 1,
    OW = Math.floor((c.W + 2 * c.P - c.K) / c.S) + 1;
  const g = { C: c.C, H: c.H, W: c.W, KH: c.K, KW: c.K, SH: c.S, SW: c.S, PH: c.P, PW: c.P, OH, OW };
  const pooled = (n: number): number => Math.floor((n - c.pool) / c.poolStride) + 1;
  return { g, p: { KH: c.pool, KW: c.pool, SH: c.poolStride, SW: c.poolStride, OH: pooled(OH), OW: pooled(OW) } };
}

function operands(c: Case, seed: number): [Tensor, Tensor, Tensor] {
  const rng = new Rng(seed);
  return [Tensor.randn([c.N, c.C, c.H, c.W], rng), Tensor.randn([c.OC, c.C, c.K, c.K], rng), Tensor.randn([c.OC], rng)];
}

describe('conv2dMaxPool equals maxPool2d(conv2d(...)) in value and gradient', () => {
  for (const c of CASES) {
    it(name(c), () => {
      const [x, w, b] = operands(c, 5);
      const conv = { stride: c.S, padding: c.P },
        pool = { kernelSize: c.pool, stride: c.poolStride };
      const run = (f: () => Tensor): Float32Array[] => {
        for (const t of [x, w, b]) {
          t.requiresGrad = true;
          t.grad = null;
        }
        const y = f();
        // A ReLU after the pooling (as the teacher) leaves zero gradients the fused backward skips.
        sum(relu(y)).backward();
        return [y.detach().data, x.grad!.data, w.grad!.data, b.grad!.data];
      };
      const fused = run(() => conv2dMaxPool(x, w, b, conv, pool));
      const composed = run(() => maxPool2d(conv2d(x, w, b, conv), pool));
      expect(fused[0].length).toBe(composed[0].length);
      fused.forEach((got, i) => {
        expectClose(got, composed[i], 1e-4, 1e-4);
      });
    });
  }

  it('runs without a bias and without wanting every gradient', () => {
    const c = CASES[1];
    const [x, w] = operands(c, 6);
    w.requiresGrad = true;
    const y = conv2dMaxPool(x, w, null, { stride: c.S, padding: c.P }, { kernelSize: c.pool, stride: c.poolStride });
    sum(y).backward();
    expect(x.grad).toBeNull();
    const w2 = w.detach();
    w2.requiresGrad = true;
    sum(maxPool2d(conv2d(x, w2, null, { stride: c.S, padding: c.P }), { kernelSize: c.pool, stride: c.poolStride })).backward();
    expectClose(w.grad!.data, w2.grad!.data, 1e-4, 1e-4);
  });
});

describe('wasm convolution kernels (plain and fused with pooling) equal the TypeScript ones', () => {
  for (const threads of [1, 2]) {
    const wasm = wasmCalls(WasmModule.load({ threads }).module!);
    for (const c of CASES) {
      it(`${name(c)}, ${threads} thread(s)`, () => {
        const { g, p } = geometry(c);
        const rng = new Rng(9);
        const x = randomArray(c.N * c.C * c.H * c.W, rng),
          w = randomArray(c.OC * c.C * c.K * c.K, rng),
          b = randomArray(c.OC, rng);
        const size = c.N * c.OC * p.OH * p.OW;
        const want = new Float32Array(size),
          wantArg = new Int32Array(size);
        convPoolForward(x, w, b, c.N, c.OC, g, p, want, wantArg);
        const got = new Float32Array(size).fill(NaN),
          gotArg = new Int32Array(size).fill(-1);
        wasm.convPoolForward(x, w, b, c.N, c.OC, g, p, got, gotArg);
        expectClose(got, want, 1e-5, 1e-5);
        expect([...gotArg]).toEqual([...wantArg]);

        // Gradients accumulate into what is there; some pooled gradients are zero.
        const dout = randomArray(size, rng).map((v) => (v < -0.5 ? 0 : v));
        const start = (n: number): Float32Array => randomArray(n, rng);
        const dx = start(x.length),
          dw = start(w.length),
          db = start(c.OC);
        const [dx2, dw2, db2] = [dx.slice(), dw.slice(), db.slice()];
        convPoolBackward(x, w, dout, wantArg, c.N, c.OC, g, p, dx, dw, db);
        wasm.convPoolBackward(x, w, dout, wantArg, c.N, c.OC, g, p, dx2, dw2, db2);
        expectClose(dx2, dx, 1e-5, 1e-5);
        expectClose(dw2, dw, 1e-5, 1e-5);
        expectClose(db2, db, 1e-5, 1e-5);
        // Unwanted gradients are skipped.
        const dw3 = new Float32Array(w.length);
        wasm.convPoolBackward(x, w, dout, wantArg, c.N, c.OC, g, p, null, dw3, null);
        const dw4 = new Float32Array(w.length);
        convPoolBackward(x, w, dout, wantArg, c.N, c.OC, g, p, null, dw4, null);
        expectClose(dw3, dw4, 1e-5, 1e-5);

        // The plain convolution, forward and backward.
        const convSize = c.N * c.OC * g.OH * g.OW;
        const y = new Float32Array(convSize),
          y2 = new Float32Array(convSize).fill(NaN);
        conv2dForward(x, w, b, c.N, c.OC, g, y);
        wasm.conv2dForward(x, w, b, c.N, c.OC, g, y2);
        expectClose(y2, y, 1e-5, 1e-5);
        const dy = randomArray(convSize, rng);
        const grads = [start(x.length), start(w.length), start(c.OC)];
        const grads2 = grads.map((a) => a.slice());
        conv2dBackward(x, w, dy, c.N, c.OC, g, grads[0], grads[1], grads[2]);
        wasm.conv2dBackward(x, w, dy, c.N, c.OC, g, grads2[0], grads2[1], grads2[2]);
        grads.forEach((want, i) => {
          expectClose(grads2[i], want, 1e-4, 1e-4);
        });
        const onlyDw = new Float32Array(w.length),
          onlyDw2 = new Float32Array(w.length);
        conv2dBackward(x, w, dy, c.N, c.OC, g, null, onlyDw, null);
        wasm.conv2dBackward(x, w, dy, c.N, c.OC, g, null, onlyDw2, null);
        expectClose(onlyDw2, onlyDw, 1e-4, 1e-4);
      });
    }
  }
});
