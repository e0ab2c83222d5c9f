import { record } from '../autograd.js';
import { type ConvGeometry, kernels, type PoolWindow } from '../kernels/index.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';

/** Stride and zero padding of a 2-D window op; a number means the same for height and width. */
export interface Conv2dOptions {
  /** Step between windows: one for both axes, or [rows, columns] (default 1). */
  stride?: number | [number, number];
  /** Zeros added on each side: one for both axes, or [rows, columns] (default 0). */
  padding?: number | [number, number];
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** Checks a convolution's operands for `op` (the weight given by its shape `[OC, C, KH, KW]`) and works out its geometry. */
export function convGeometry(
  op: string,
  x: Tensor,
  weightShape: readonly number[],
  bias: Tensor | null,
  options: Conv2dOptions,
): ConvGeometry {
  const [SH, SW] = pair(options.stride ?? 1);
  const [PH, PW] = pair(options.padding ?? 0);
  if (x.rank !== 4 || weightShape.length !== 4) {
    throw new Error(`${op}: expects input [N, C, H, W] and weight [OC, C, KH, KW], got ${fmt(x.shape)} and ${fmt(weightShape)}`);
  }
  const [, C, H, W] = x.shape;
  const [OC, WC, KH, KW] = weightShape;
  if (C !== WC) throw new Error(`${op}: input ${fmt(x.shape)} has ${C} channels but weight ${fmt(weightShape)} expects ${WC}`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== OC)) {
    throw new Error(`${op}: bias ${fmt(bias.shape)} does not match weight ${fmt(weightShape)} (expected [${OC}])`);
  }
  if (![SH, SW].every((s) => Number.isInteger(s) && s >= 1) || ![PH, PW].every((p) => Number.isInteger(p) && p >= 0)) {
    throw new Error(`${op}: stride must be integers ≥ 1 and padding integers ≥ 0, got stride ${SH},${SW} padding ${PH},${PW}`);
  }
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  if (OH < 1 || OW < 1) {
    throw new Error(`${op}: kernel ${KH}x${KW} is larger than the padded input ${H + 2 * PH}x${W + 2 * PW} of ${fmt(x.shape)}`);
  }
  return { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW };
}

/**
 * 2-D convolution (cross-correlation, as PyTorch), by im2col + GEMM per image.
 * x `[N, C, H, W]`, weight `[OC, C, KH, KW]`, bias `[OC]` or null → `[N, OC, OH, OW]`,
 * OH = floor((H + 2·padding − KH) / stride) + 1.
 * Backward per image: dW += dy·colᵀ (the image unfolded again), dcol = Wᵀ·dy then col2im
 * into dx, db = Σ dy. (The teacher runs `conv2dMaxPool`, whose backward is much cheaper.)
 * @example conv2d(images, conv1.weight, conv1.bias) // [64, 1, 28, 28] → [64, 32, 24, 24]
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dOptions = {}): Tensor {
  const g = convGeometry('conv2d', x, weight.shape, bias, options);
  const [N] = x.shape;
  const OC = weight.shape[0];
  const out = Tensor.zeros([N, OC, g.OH, g.OW]);
  kernels.conv2dForward(x.data, weight.data, bias ? bias.data : null, N, OC, g, out.data);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('conv2d', inputs, out, (dy) => {
    const dx = x.requiresGrad ? new Float32Array(x.size) : null;
    const dw = weight.requiresGrad ? new Float32Array(weight.size) : null;
    const db = bias?.requiresGrad ? new Float32Array(OC) : null;
    kernels.conv2dBackward(x.data, weight.data, dy, N, OC, g, dx, dw, db);
    return [dx, dw, db];
  });
}

/** Kernel size and stride of max pooling; the stride defaults to the kernel size, as PyTorch. */
export interface MaxPool2dOptions {
  /** The window: one side for a square, or [rows, columns]. */
  kernelSize: number | [number, number];
  /** Step between windows (default: the window, so windows do not overlap). */
  stride?: number | [number, number];
}

/** Checks a max-pooling window over an H×W plane for `op` and works out the pooled size. */
export function poolWindow(op: string, shape: readonly number[], H: number, W: number, options: MaxPool2dOptions): PoolWindow {
  const [KH, KW] = pair(options.kernelSize);
  const [SH, SW] = pair(options.stride ?? options.kernelSize);
  if (![KH, KW, SH, SW].every((v) => Number.isInteger(v) && v >= 1)) {
    throw new Error(`${op}: kernel size and stride must be integers ≥ 1, got kernel ${KH}x${KW} stride ${SH}x${SW}`);
  }
  if (KH > H || KW > W) throw new Error(`${op}: pooling kernel ${KH}x${KW} is larger than the ${H}x${W} planes of ${fmt(shape)}`);
  return { KH, KW, SH, SW, OH: Math.floor((H - KH) / SH) + 1, OW: Math.floor((W - KW) / SW) + 1 };
}

/**
 * 2-D max pooling without padding: x `[N, C, H, W]` → `[N, C, OH, OW]`,
 * OH = floor((H − KH) / SH) + 1. Backward routes each gradient to its window's maximum.
 * @example maxPool2d(x, { kernelSize: 5 }) // [64, 32, 24, 24] → [64, 32, 4, 4]
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  if (x.rank !== 4) throw new Error(`maxPool2d: expects input [N, C, H, W], got ${fmt(x.shape)}`);
  const [N, C, H, W] = x.shape;
  const p = poolWindow('maxPool2d', x.shape, H, W, options);
  const out = Tensor.zeros([N, C, p.OH, p.OW]);
  const argmax = new Int32Array(out.size);
  kernels.maxPool2d(x.data, N * C, H, W, p.KH, p.KW, p.SH, p.SW, p.OH, p.OW, out.data, argmax);
  return record('maxPool2d', [x], out, (g) => {
    const dx = new Float32Array(x.size);
    kernels.maxPool2dBackward(g, argmax, dx);
    return [dx];
  });
}

/**
 * Pool windows of at least this many positions take the winners-only backward (it does
 * C·KH·KW scalar multiply-adds per pooled output, so it wins when the window drops most of
 * the convolution's outputs: the teacher's 5×5); smaller ones go through conv2d's GEMMs
 * (LeNet-5's 2×2 pools: 193 → 43 ms per training step).
 */
const SMALL_POOL = 16;

/**
 * maxPool2d(conv2d(x, weight, bias, conv), pool) as one primitive, equal to the composed
 * pair in value and gradient. It never builds the `[N, OC, OH, OW]` convolution output
 * (it pools each image's as it is made), and for a window of 16 positions or more its
 * backward visits only the pooled winners instead of multiplying a gradient that is zero
 * almost everywhere (kernels/conv-pool.ts says why that is 36× less work for the teacher).
 * @example conv2dMaxPool(images, conv1.weight, conv1.bias, {}, { kernelSize: 5 }) // [64, 1, 28, 28] → [64, 32, 4, 4]
 */
export function conv2dMaxPool(x: Tensor, weight: Tensor, bias: Tensor | null, conv: Conv2dOptions, pool: MaxPool2dOptions): Tensor {
  const g = convGeometry('conv2dMaxPool', x, weight.shape, bias, conv);
  const p = poolWindow('conv2dMaxPool', [x.shape[0], weight.shape[0], g.OH, g.OW], g.OH, g.OW, pool);
  const [N] = x.shape;
  const OC = weight.shape[0];
  const out = Tensor.zeros([N, OC, p.OH, p.OW]);
  const argmax = new Int32Array(out.size);
  kernels.convPoolForward(x.data, weight.data, bias ? bias.data : null, N, OC, g, p, out.data, argmax);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('conv2dMaxPool', inputs, out, (dout) => {
    const dx = x.requiresGrad ? new Float32Array(x.size) : null;
    const dw = weight.requiresGrad ? new Float32Array(weight.size) : null;
    const db = bias?.requiresGrad ? new Float32Array(OC) : null;
    if (p.KH * p.KW >= SMALL_POOL) {
      kernels.convPoolBackward(x.data, weight.data, dout, argmax, N, OC, g, p, dx, dw, db);
      return [dx, dw, db];
    }
    // A small window leaves few outputs out: the winners' scalar loops would cost more than
    // the GEMMs of conv2d's backward on the gradient scattered back to the winners.
    const L = g.OH * g.OW;
    const perImage = OC * p.OH * p.OW;
    const dy = new Float32Array(N * OC * L);
    for (let i = 0; i < dout.length; i++) dy[Math.floor(i / perImage) * OC * L + argmax[i]] += dout[i];
    kernels.conv2dBackward(x.data, weight.data, dy, N, OC, g, dx, dw, db);
    return [dx, dw, db];
  });
}
