/**
 * "Look inside" a model: for each layer with weights, what it stores and what its weights
 * look like, from the public layer types: the dense view of the weight (CSR expanded, int8
 * times its scales, the two factors of a low-rank layer multiplied), its sparsity, its
 * int8 scales, a histogram, a picture (a Linear's matrix, a convolution's filters as tiles)
 * and, for a low-rank layer or a small Linear, its singular values.
 */
import { Conv2d, FactorizedLinear, Linear, type Module, QuantizedConv2d, QuantizedLinear, SparseLinear, svd } from 'slimtensor';

/** One layer, as the page draws it. */
export interface LayerView {
  name: string;
  kind: string;
  /** The dense weight's shape. */
  shape: number[];
  /** Values the layer stores for its weight (non-zeros for CSR, both factors for low rank). */
  stored: number;
  /** The fraction of the dense weight that is exactly zero. */
  sparsity: number;
  /** int8 scales (one per tensor, or per output channel), or null for float layers. */
  scales: number[] | null;
  histogram: { lo: number; hi: number; counts: number[] };
  /** A greyscale picture of the weights: 128 is zero, darker negative, lighter positive. */
  image: { width: number; height: number; data: Uint8Array };
  /** Singular values, largest first (low-rank layers and Linears of at most 64k weights), or null. */
  spectrum: number[] | null;
}

const BINS = 40;
const MAX_SIDE = 256;

/** The weight as floats `[rows, cols]` (a convolution's as `[OC, C·KH·KW]`), what is stored, and the int8 scales. */
function denseOf(layer: Module): { w: Float32Array; shape: number[]; stored: number; scales: number[] | null } | null {
  if (layer instanceof Linear) return { w: layer.weight.data, shape: [...layer.weight.shape], stored: layer.weight.size, scales: null };
  if (layer instanceof Conv2d) return { w: layer.weight.data, shape: [...layer.weight.shape], stored: layer.weight.size, scales: null };
  if (layer instanceof SparseLinear)
    return { w: layer.weight.toDense(), shape: [layer.weight.rows, layer.weight.cols], stored: layer.weight.values.length, scales: null };
  if (layer instanceof FactorizedLinear) {
    const [r, n] = layer.down.shape;
    const m = layer.up.shape[0];
    const w = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let k = 0; k < r; k++) {
        const u = layer.up.data[i * r + k];
        for (let j = 0; j < n; j++) w[i * n + j] += u * layer.down.data[k * n + j];
      }
    return { w, shape: [m, n], stored: layer.down.size + layer.up.size, scales: null };
  }
  if (layer instanceof QuantizedLinear || layer instanceof QuantizedConv2d) {
    const { q, scales, rows, cols } = layer.weight;
    const w = Float32Array.from(q, (v, i) => v * scales[scales.length > 1 ? Math.floor(i / cols) : 0]);
    return { w, shape: [...layer.denseShape], stored: rows * cols, scales: Array.from(scales) };
  }
  return null;
}

function histogram(w: Float32Array): LayerView['histogram'] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of w) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const counts = new Array<number>(BINS).fill(0);
  const width = hi > lo ? (hi - lo) / BINS : 1;
  for (const v of w) counts[Math.min(BINS - 1, Math.floor((v - lo) / width))]++;
  return { lo, hi, counts };
}

/** A matrix as a picture, block-averaged down to at most MAX_SIDE on a side. */
function matrixImage(w: Float32Array, rows: number, cols: number): LayerView['image'] {
  const fy = Math.ceil(rows / MAX_SIDE);
  const fx = Math.ceil(cols / MAX_SIDE);
  const height = Math.ceil(rows / fy);
  const width = Math.ceil(cols / fx);
  let top = 0;
  for (const v of w) top = Math.max(top, Math.abs(v));
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let n = 0;
      for (let r = y * fy; r < Math.min(rows, (y + 1) * fy); r++)
        for (let c = x * fx; c < Math.min(cols, (x + 1) * fx); c++, n++) sum += w[r * cols + c];
      data[y * width + x] = Math.round(128 + (127 * sum) / n / (top || 1));
    }
  return { width, height, data };
}

/** A convolution's filters as tiles: one row of KH × KW tiles per output channel's first input channel, 8 to a row. */
function filterTiles(w: Float32Array, shape: number[]): LayerView['image'] {
  const [OC, C, KH, KW] = shape;
  const perRow = 8;
  const width = perRow * (KW + 1);
  const height = Math.ceil(OC / perRow) * (KH + 1);
  const data = new Uint8Array(width * height).fill(255);
  for (let o = 0; o < OC; o++) {
    let top = 0;
    for (let k = 0; k < KH * KW; k++) top = Math.max(top, Math.abs(w[o * C * KH * KW + k]));
    const x0 = (o % perRow) * (KW + 1);
    const y0 = Math.floor(o / perRow) * (KH + 1);
    for (let i = 0; i < KH; i++)
      for (let j = 0; j < KW; j++) data[(y0 + i) * width + x0 + j] = Math.round(128 + (127 * w[o * C * KH * KW + i * KW + j]) / (top || 1));
  }
  return { width, height, data };
}

/** Every layer of `model` that holds a weight, in order. */
export function inspect(model: Module): LayerView[] {
  const views: LayerView[] = [];
  for (const [name, layer] of model.namedModules()) {
    const dense = denseOf(layer);
    if (!dense || name === '') continue;
    const { w, shape, stored, scales } = dense;
    const rows = shape[0];
    const cols = w.length / rows;
    let zeros = 0;
    for (const v of w) if (v === 0) zeros++;
    const lowRank = layer instanceof FactorizedLinear;
    views.push({
      name,
      kind: layer.constructor.name,
      shape,
      stored,
      sparsity: zeros / w.length,
      scales,
      histogram: histogram(w),
      image: shape.length === 4 ? filterTiles(w, shape) : matrixImage(w, rows, cols),
      spectrum:
        shape.length === 2 && (lowRank || w.length <= 65536)
          ? Array.from(svd(w, rows, cols).S).slice(0, lowRank ? (layer as FactorizedLinear).down.shape[0] : undefined)
          : null,
    });
  }
  return views;
}
