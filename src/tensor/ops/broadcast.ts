import { fmt, type Shape, shapesEqual, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * How two operands of an elementwise op line up. Broadcasting is explicit and one-way:
 * one operand must broadcast to the other's shape (after padding its rank with leading
 * 1s, each of its dimensions equals the other's or is 1), as in a bias `[C]` added to
 * `[N, C]`, a column `[N, 1]` subtracted from `[N, C]`, or a scalar `[]` anywhere.
 * Anything else is an error rather than a guess.
 */
export interface BroadcastPlan {
  shape: Shape;
  /** For each output element, the element of `a` it reads; null when `a` has the output's shape. */
  aIndex: Int32Array | null;
  /** Likewise for `b`. */
  bIndex: Int32Array | null;
}

/** Lines up `a` and `b` for the op named `op`, or throws naming both shapes. */
export function broadcastPlan(op: string, a: Shape, b: Shape): BroadcastPlan {
  if (shapesEqual(a, b)) return { shape: a, aIndex: null, bIndex: null };
  if (broadcastsTo(b, a)) return { shape: a, aIndex: null, bIndex: broadcastIndex(b, a) };
  if (broadcastsTo(a, b)) return { shape: b, aIndex: broadcastIndex(a, b), bIndex: null };
  throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} do not broadcast (one must broadcast to the other)`);
}

function broadcastsTo(small: Shape, big: Shape): boolean {
  if (small.length > big.length) return false;
  const offset = big.length - small.length;
  return small.every((d, i) => d === 1 || d === big[offset + i]);
}

/** For every element of `big` (row-major), the flat index of the `small` element it reads. */
function broadcastIndex(small: Shape, big: Shape): Int32Array {
  const rank = big.length;
  const padded = [...new Array<number>(rank - small.length).fill(1), ...small];
  const strides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : s;
    s *= padded[d];
  }
  const index = new Int32Array(sizeOf(big));
  const counter = new Array<number>(rank).fill(0);
  let at = 0;
  for (let i = 0; i < index.length; i++) {
    index[i] = at;
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      at += strides[d];
      if (counter[d] < big[d]) break;
      at -= strides[d] * big[d];
      counter[d] = 0;
    }
  }
  return index;
}

/**
 * Backward of a broadcast: sums the output gradient `g` back onto the operand's `size`
 * elements (the identity when the operand was not broadcast).
 */
export function unbroadcast(g: Float32Array, index: Int32Array | null, size: number): Float32Array {
  if (!index) return g;
  const out = new Float32Array(size);
  for (let i = 0; i < g.length; i++) out[index[i]] += g[i];
  return out;
}

/** Numbers become scalar tensors, so `mul(x, 0.5)` reads naturally. */
export function asTensor(v: Tensor | number): Tensor {
  return typeof v === 'number' ? Tensor.scalar(v) : v;
}
