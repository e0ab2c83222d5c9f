import { record } from '../autograd.js';
import { fmt, normalizeAxis, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { mul } from './elementwise.js';

/** A tensor viewed as [outer, dim, inner] around the reduced axis. */
interface AxisView {
  outer: number;
  dim: number;
  inner: number;
  outShape: Shape;
}

function axisView(op: string, x: Tensor, axis: number | undefined, keepDim: boolean): AxisView {
  if (axis === undefined) {
    return { outer: 1, dim: x.size, inner: 1, outShape: keepDim ? x.shape.map(() => 1) : [] };
  }
  const a = normalizeAxis(op, axis, x.rank);
  const outer = x.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const outShape = keepDim ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  return { outer, dim: x.shape[a], inner, outShape };
}

/**
 * Sum of all elements (axis omitted, result `[]`) or along one axis.
 * @example sum(x, 1, true) // [N, C] → [N, 1]
 */
export function sum(x: Tensor, axis?: number, keepDim = false): Tensor {
  const { outer, dim, inner, outShape } = axisView('sum', x, axis, keepDim);
  const out = Tensor.zeros(outShape);
  const X = x.data,
    Y = out.data;
  for (let o = 0; o < outer; o++) {
    for (let d = 0; d < dim; d++) {
      const src = (o * dim + d) * inner;
      for (let i = 0; i < inner; i++) Y[o * inner + i] += X[src + i];
    }
  }
  return record('sum', [x], out, (g) => {
    const dx = new Float32Array(x.size);
    for (let o = 0; o < outer; o++) {
      for (let d = 0; d < dim; d++) {
        const dst = (o * dim + d) * inner;
        for (let i = 0; i < inner; i++) dx[dst + i] = g[o * inner + i];
      }
    }
    return [dx];
  });
}

/**
 * Mean of all elements or along one axis: sum / count.
 * @example mean(x, 0) // [N, C] → [C], the mean of each column
 */
export function mean(x: Tensor, axis?: number, keepDim = false): Tensor {
  if (x.size === 0) throw new Error(`mean: empty tensor ${fmt(x.shape)}`);
  const count = axis === undefined ? x.size : x.shape[normalizeAxis('mean', axis, x.rank)];
  return mul(sum(x, axis, keepDim), 1 / count);
}

/**
 * For each [outer, inner] position, the index along the axis of the largest value: the
 * first on ties, and the first NaN if there is one (as PyTorch's `max(dim)`).
 */
function argmaxIndices(x: Tensor, v: AxisView): Int32Array {
  const { outer, dim, inner } = v;
  const X = x.data;
  const idx = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = -Infinity;
      let bestD = 0;
      for (let d = 0; d < dim; d++) {
        const val = X[(o * dim + d) * inner + i];
        if (!Number.isNaN(best) && (val > best || Number.isNaN(val))) {
          best = val;
          bestD = d;
        }
      }
      idx[o * inner + i] = bestD;
    }
  }
  return idx;
}

/**
 * Largest element overall or along one axis. The gradient flows to the (first) maximum.
 * @example max(logits, 1) // [N, C] → [N], each row's largest
 */
export function max(x: Tensor, axis?: number, keepDim = false): Tensor {
  if (x.size === 0) throw new Error(`max: empty tensor ${fmt(x.shape)}`);
  const view = axisView('max', x, axis, keepDim);
  const { dim, inner } = view;
  const idx = argmaxIndices(x, view);
  const at = (k: number): number => (Math.floor(k / inner) * dim + idx[k]) * inner + (k % inner);
  const out = Tensor.zeros(view.outShape);
  for (let k = 0; k < idx.length; k++) out.data[k] = x.data[at(k)];
  return record('max', [x], out, (g) => {
    const dx = new Float32Array(x.size);
    for (let k = 0; k < idx.length; k++) dx[at(k)] += g[k];
    return [dx];
  });
}

/**
 * Index of the largest element along `axis` (the first on ties), as float values in a
 * tensor without gradient.
 * @example argmax(logits, 1) // [N, 10] → [N] predicted classes
 */
export function argmax(x: Tensor, axis: number): Tensor {
  if (x.size === 0) throw new Error(`argmax: empty tensor ${fmt(x.shape)}`);
  const view = axisView('argmax', x, axis, false);
  return new Tensor(Float32Array.from(argmaxIndices(x, view)), view.outShape);
}
