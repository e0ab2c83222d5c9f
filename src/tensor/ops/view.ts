import { record } from '../autograd.js';
import { fmt, normalizeAxis, type Shape, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * The same values under a new shape, sharing storage (a view). One dimension may be −1
 * and is inferred.
 * @example reshape(x, [-1, 784]) // [64, 1, 28, 28] → [64, 784]
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new Error(`reshape: invalid target shape ${fmt(shape)}`);
  }
  let resolved = [...shape];
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} values) to ${fmt(shape)}`);
    }
    resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  if (sizeOf(resolved) !== x.size) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} values) to ${fmt(shape)}`);
  }
  const out = new Tensor(x.data, resolved);
  return record('reshape', [x], out, (g) => [g]);
}

/**
 * Collapses dimensions from `startDim` on into one: `[N, C, H, W]` → `[N, C·H·W]`.
 * @example flatten(images) // [64, 1, 28, 28] → [64, 784]
 */
export function flatten(x: Tensor, startDim = 1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normalizeAxis('flatten', startDim, x.rank);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s))]);
}

/**
 * Transpose of a 2-D tensor (copied): `[M, N]` → `[N, M]`.
 * @example transpose(w) // [512, 784] → [784, 512]
 */
export function transpose(x: Tensor): Tensor {
  if (x.rank !== 2) throw new Error(`transpose: expects a 2-D tensor, got ${fmt(x.shape)}`);
  const [m, n] = x.shape;
  const out = new Tensor(transposeData(x.data, m, n), [n, m]);
  return record('transpose', [x], out, (g) => [transposeData(g, n, m)]);
}

function transposeData(src: Float32Array, m: number, n: number): Float32Array {
  const dst = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) dst[j * m + i] = src[i * n + j];
  return dst;
}
