import { describe, expect, it } from 'vitest';
import { CsrMatrix } from '../src/compress/csr.js';
import { int8Weight } from '../src/tensor/kernels/int8.js';
import { linear, linearRelu, lowRankLinear, matmul } from '../src/tensor/ops/matmul.js';
import { quantizedConv2d, quantizedLinear } from '../src/tensor/ops/quantized.js';
import { sparseChain, sparseLinear } from '../src/tensor/ops/sparse.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * Every shape check of the fully connected ops, one bad input at a time: each condition of
 * each check refuses on its own, with the message naming the op and the shapes (a check
 * that silently passed would let a kernel read past its arrays).
 */

const t = (...shape: number[]) => Tensor.zeros(shape);

describe('the fully connected ops refuse each bad shape on its own, naming the op and the shapes', () => {
  it('matmul', () => {
    expect(() => matmul(t(2, 3, 1), t(3, 4))).toThrow(/^matmul: expects 2-D tensors, got \[2, 3, 1\] x \[3, 4\]$/);
    expect(() => matmul(t(2, 3), t(3))).toThrow(/^matmul: expects 2-D tensors, got \[2, 3\] x \[3\]$/);
    expect(() => matmul(t(2, 3), t(4, 5))).toThrow(/^matmul: inner dimensions differ: \[2, 3\] x \[4, 5\]$/);
    expect(matmul(t(2, 3), t(3, 5)).shape).toEqual([2, 5]);
  });

  for (const [op, fn] of [
    ['linear', linear],
    ['linearRelu', linearRelu],
  ] as const) {
    it(op, () => {
      expect(() => fn(t(2, 3, 1), t(4, 3))).toThrow(
        new RegExp(`^${op}: expects input \\[N, in\\] and weight \\[out, in\\], got \\[2, 3, 1\\] and \\[4, 3\\]$`),
      );
      expect(() => fn(t(2, 3), t(3))).toThrow(new RegExp(`^${op}: expects input .* got \\[2, 3\\] and \\[3\\]$`));
      expect(() => fn(t(2, 3), t(4, 5))).toThrow(
        new RegExp(`^${op}: input \\[2, 3\\] does not match weight \\[4, 5\\] \\(in_features 5\\)$`),
      );
      expect(() => fn(t(2, 3), t(4, 3), t(4, 1))).toThrow(
        new RegExp(`^${op}: bias \\[4, 1\\] does not match weight \\[4, 3\\] \\(expected \\[4\\]\\)$`),
      );
      expect(() => fn(t(2, 3), t(4, 3), t(5))).toThrow(new RegExp(`^${op}: bias \\[5\\] does not match`));
      expect(fn(t(2, 3), t(4, 3), t(4)).shape).toEqual([2, 4]);
    });
  }

  it('lowRankLinear: input, down and up must chain; the bias must fit up', () => {
    const chain = /^lowRankLinear: input \[.*\], down \[.*\] and up \[.*\] do not chain$/;
    expect(() => lowRankLinear(t(2, 6, 1), t(3, 6), t(4, 3))).toThrow(chain);
    expect(() => lowRankLinear(t(2, 6), t(18), t(4, 3))).toThrow(chain);
    expect(() => lowRankLinear(t(2, 6), t(3, 6), t(12))).toThrow(chain);
    expect(() => lowRankLinear(t(2, 5), t(3, 6), t(4, 3))).toThrow(chain);
    expect(() => lowRankLinear(t(2, 6), t(3, 6), t(4, 2))).toThrow(chain);
    expect(() => lowRankLinear(t(2, 6), t(3, 6), t(4, 3), t(4, 1))).toThrow(
      /^lowRankLinear: bias \[4, 1\] does not match up \[4, 3\] \(expected \[4\]\)$/,
    );
    expect(() => lowRankLinear(t(2, 6), t(3, 6), t(4, 3), t(5))).toThrow(/^lowRankLinear: bias \[5\] does not match up/);
    expect(lowRankLinear(t(2, 6), t(3, 6), t(4, 3), t(4)).shape).toEqual([2, 4]);
  });

  it('sparseLinear and sparseChain', () => {
    const w = CsrMatrix.fromDense(new Float32Array(12), 4, 3);
    expect(() => sparseLinear(t(6), w)).toThrow(/^sparseLinear: input \[6\] does not match weight \[4, 3\]$/);
    expect(() => sparseLinear(t(2, 5), w)).toThrow(/^sparseLinear: input \[2, 5\] does not match weight \[4, 3\]$/);
    expect(() => sparseLinear(t(2, 3), w, t(4, 1))).toThrow(
      /^sparseLinear: bias \[4, 1\] does not match weight \[4, 3\] \(expected \[4\]\)$/,
    );
    expect(() => sparseLinear(t(2, 3), w, t(3))).toThrow(/^sparseLinear: bias \[3\] does not match/);
    expect(sparseLinear(t(2, 3), w, t(4)).shape).toEqual([2, 4]);
    const v = CsrMatrix.fromDense(new Float32Array(8), 2, 4);
    expect(() => sparseChain(t(2, 3), [])).toThrow(/^sparseChain: needs at least one layer$/);
    expect(() => sparseChain(t(6), [{ weight: w, bias: null, relu: true }])).toThrow(
      /^sparseChain: input \[6\] does not match weight \[4, 3\]$/,
    );
    expect(() => sparseChain(t(2, 5), [{ weight: w, bias: null, relu: true }])).toThrow(/^sparseChain: input \[2, 5\] does not match/);
    expect(() =>
      sparseChain(t(2, 3), [
        { weight: w, bias: null, relu: true },
        { weight: w, bias: null, relu: false },
      ]),
    ).toThrow(/^sparseChain: layer 0 \[4, 3\] does not chain into layer 1 \[4, 3\]$/);
    expect(() => sparseChain(t(2, 3), [{ weight: w, bias: t(4, 1), relu: true }])).toThrow(
      /^sparseChain: bias \[4, 1\] of layer 0 does not match weight \[4, 3\] \(expected \[4\]\)$/,
    );
    expect(() =>
      sparseChain(t(2, 3), [
        { weight: w, bias: null, relu: true },
        { weight: v, bias: t(3), relu: false },
      ]),
    ).toThrow(/^sparseChain: bias \[3\] of layer 1 does not match weight \[2, 4\]/);
    expect(
      sparseChain(t(2, 3), [
        { weight: w, bias: null, relu: true },
        { weight: v, bias: t(2), relu: false },
      ]).shape,
    ).toEqual([2, 2]);
  });

  it('quantizedLinear and quantizedConv2d', () => {
    const w = int8Weight(new Int8Array(12), 4, 3);
    expect(() => quantizedLinear(t(6), w)).toThrow(/^quantizedLinear: input \[6\] does not match weight \[4, 3\]$/);
    expect(() => quantizedLinear(t(2, 5), w)).toThrow(/^quantizedLinear: input \[2, 5\] does not match weight \[4, 3\]$/);
    expect(() => quantizedLinear(t(2, 3), w, t(4, 1))).toThrow(
      /^quantizedLinear: bias \[4, 1\] does not match weight \[4, 3\] \(expected \[4\]\)$/,
    );
    expect(() => quantizedLinear(t(2, 3), w, t(3))).toThrow(/^quantizedLinear: bias \[3\] does not match/);
    expect(quantizedLinear(t(2, 3), w, t(4)).shape).toEqual([2, 4]);
    const filters = int8Weight(new Int8Array(2 * 9), 2, 9);
    expect(() => quantizedConv2d(t(1, 1, 5, 5), filters, [2, 1, 3, 2], null, {})).toThrow(
      /^quantizedConv2d: int8 filters \[2, 9\] do not match weight shape \[2, 1, 3, 2\]$/,
    );
    expect(() => quantizedConv2d(t(1, 1, 5, 5), filters, [3, 1, 3, 3], null, {})).toThrow(
      /int8 filters \[2, 9\] do not match weight shape \[3, 1, 3, 3\]/,
    );
    expect(quantizedConv2d(t(1, 1, 5, 5), filters, [2, 1, 3, 3], null, {}).shape).toEqual([1, 2, 3, 3]);
  });
});
