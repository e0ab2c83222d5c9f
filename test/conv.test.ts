import { describe, expect, it } from 'vitest';
import { type ConvGeometry, conv2dDirect } from '../src/tensor/kernels/conv.js';
import { conv2d, maxPool2d } from '../src/tensor/ops/conv.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose } from './helpers.js';

describe('conv2d (im2col + GEMM) equals the direct-loop reference', () => {
  const cases = [
    { N: 2, C: 1, H: 28, W: 28, OC: 32, K: 5, S: 1, P: 0 }, // the teacher's conv1
    { N: 1, C: 3, H: 7, W: 9, OC: 4, K: 3, S: 2, P: 1 },
    { N: 3, C: 2, H: 5, W: 5, OC: 1, K: 5, S: 1, P: 2 },
    { N: 1, C: 1, H: 1, W: 1, OC: 1, K: 1, S: 1, P: 0 },
  ];
  for (const c of cases) {
    it(`x [${c.N}, ${c.C}, ${c.H}, ${c.W}], ${c.OC} filters ${c.K}x${c.K}, stride ${c.S}, padding ${c.P}`, () => {
      const rng = new Rng(11);
      const x = Tensor.randn([c.N, c.C, c.H, c.W], rng);
      const w = Tensor.randn([c.OC, c.C, c.K, c.K], rng);
      const b = Tensor.randn([c.OC], rng);
      const got = conv2d(x, w, b, { stride: c.S, padding: c.P });
      const OH = Math.floor((c.H + 2 * c.P - c.K) / c.S) + 1;
      const OW = Math.floor((c.W + 2 * c.P - c.K) / c.S) + 1;
      const g: ConvGeometry = { C: c.C, H: c.H, W: c.W, KH: c.K, KW: c.K, SH: c.S, SW: c.S, PH: c.P, PW: c.P, OH, OW };
      const want = new Float32Array(c.N * c.OC * OH * OW);
      conv2dDirect(x.data, w.data, b.data, c.N, c.OC, g, want);
      expect(got.shape).toEqual([c.N, c.OC, OH, OW]);
      expectClose(got.data, want, 1e-4, 1e-4);
    });
  }
});

describe('maxPool2d', () => {
  it('takes the window maxima and routes the gradient to them', () => {
    const x = Tensor.from([1, 2, 5, 3, 4, 0, 1, 9, 7, 8, 2, 2, 6, 1, 3, 4], [1, 1, 4, 4], { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2 });
    expect(y.toArray()).toEqual([4, 9, 8, 4]);
    y.backward(Tensor.from([1, 2, 3, 4], [1, 1, 2, 2]));
    expect(x.grad!.toArray()).toEqual([0, 0, 0, 0, 1, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 4]);
  });

  it('the teacher pooling shape: [2, 32, 24, 24] with kernel 5 → [2, 32, 4, 4]', () => {
    expect(maxPool2d(Tensor.zeros([2, 32, 24, 24]), { kernelSize: 5 }).shape).toEqual([2, 32, 4, 4]);
  });
});
