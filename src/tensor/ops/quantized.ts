import { kernels } from '../kernels/index.js';
import type { Int8Weight } from '../kernels/int8.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';
import { type Conv2dOptions, convGeometry, type MaxPool2dOptions, poolWindow } from './conv.js';

/**
 * A fully connected layer with int8 weights, as PyTorch's dynamic quantized Linear:
 * y = x·Wᵀ + b, the activations quantized per call from their own range, the product in
 * exact int32, then scaled back to float (kernels/int8-layers.ts). `relu` fuses a following
 * ReLU. Inference only. x `[N, in]`, W `[out, in]` int8, bias `[out]` or null → `[N, out]`.
 * @example quantizedLinear(x, int8Weights(q, 512, 784, scales), fc1.bias) // [64, 784] → [64, 512]
 */
export function quantizedLinear(x: Tensor, weight: Int8Weight, bias: Tensor | null = null, options: { relu?: boolean } = {}): Tensor {
  if (x.rank !== 2 || x.shape[1] !== weight.cols) {
    throw new Error(`quantizedLinear: input ${fmt(x.shape)} does not match weight [${weight.rows}, ${weight.cols}]`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.rows)) {
    throw new Error(
      `quantizedLinear: bias ${fmt(bias.shape)} does not match weight [${weight.rows}, ${weight.cols}] (expected [${weight.rows}])`,
    );
  }
  const out = Tensor.zeros([x.shape[0], weight.rows]);
  kernels.int8Linear(x.data, x.shape[0], weight, bias?.data ?? null, options.relu ?? false, out.data);
  return out;
}

/**
 * A 2-D convolution with int8 filters: the batch quantized once from its range, unfolded
 * and multiplied in exact int32, then scaled back (kernels/int8-layers.ts int8Conv2d). Inference
 * only. x `[N, C, H, W]`, filters `[OC, C·KH·KW]` int8 of shape `weightShape`
 * `[OC, C, KH, KW]`, bias `[OC]` or null → `[N, OC, OH, OW]`.
 */
export function quantizedConv2d(
  x: Tensor,
  weight: Int8Weight,
  weightShape: readonly number[],
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
): Tensor {
  return int8Conv('quantizedConv2d', x, weight, weightShape, bias, options, null);
}

/**
 * maxPool2d(quantizedConv2d(x, ...), pool) in one pass: each window's largest int32 sum is
 * scaled back, which is exactly the max-pool of the scaled values (scaling by a positive
 * factor keeps the order), so only the pooled outputs are ever made in float.
 * @example quantizedConv2dMaxPool(images, conv1.packed, [32, 1, 5, 5], bias, {}, { kernelSize: 5 }) // → [N, 32, 4, 4]
 */
export function quantizedConv2dMaxPool(
  x: Tensor,
  weight: Int8Weight,
  weightShape: readonly number[],
  bias: Tensor | null,
  conv: Conv2dOptions,
  pool: MaxPool2dOptions,
): Tensor {
  return int8Conv('quantizedConv2dMaxPool', x, weight, weightShape, bias, conv, pool);
}

function int8Conv(
  op: string,
  x: Tensor,
  weight: Int8Weight,
  weightShape: readonly number[],
  bias: Tensor | null,
  conv: Conv2dOptions,
  pool: MaxPool2dOptions | null,
): Tensor {
  const g = convGeometry(op, x, weightShape, bias, conv);
  if (weight.rows !== weightShape[0] || weight.cols !== g.C * g.KH * g.KW) {
    throw new Error(`${op}: int8 filters [${weight.rows}, ${weight.cols}] do not match weight shape ${fmt(weightShape)}`);
  }
  const [N] = x.shape,
    OC = weight.rows;
  const p = pool ? poolWindow(op, [N, OC, g.OH, g.OW], g.OH, g.OW, pool) : null;
  const out = Tensor.zeros([N, OC, p ? p.OH : g.OH, p ? p.OW : g.OW]);
  kernels.int8Conv2d(x.data, N, weight, bias?.data ?? null, g, p, out.data);
  return out;
}
