import type { Conv2d, Linear } from '../nn/layers.js';
import { Module, type StateEntry } from '../nn/module.js';
import { type Int8Weight, int8Weight } from '../tensor/kernels/int8.js';
import type { MaxPool2dOptions } from '../tensor/ops/conv.js';
import { quantizedConv2d, quantizedConv2dMaxPool, quantizedLinear } from '../tensor/ops/quantized.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { CompressedLayer, LayerCodec } from './codec.js';
import { quantizeWeight } from './quantize-weight.js';

/** How a float layer becomes int8: one weight scale per tensor or per output channel, and 7- or 8-bit activations. */
export interface Int8Options {
  /** One scale per output channel (default false: per tensor, PyTorch's default). */
  perChannel?: boolean;
  /** Quantize the activations to 7 bits (default true, as PyTorch's dynamic Linear on x86). */
  reduceRange?: boolean;
}

/** Shared by the two int8 layers: the weight (as the kernels take it), the bias, and how they save. */
abstract class Int8Layer extends Module implements CompressedLayer {
  /** `[out]` float32, or null. */
  readonly bias: Tensor | null;

  /**
   * @param weight The int8 weight `[out, in·…]`, its scales (one, or one per output channel)
   *   and the width of the activations it meets (7 bits, as PyTorch's dynamic Linear on x86,
   *   unless `reduceRange` is false).
   * @param bias `[out]`, or null.
   * @param weightShape The shape of the float weight it stands for.
   */
  constructor(
    readonly weight: Int8Weight,
    bias: Float32Array | null,
    readonly weightShape: readonly number[],
  ) {
    super();
    if (bias && bias.length !== weight.rows)
      throw new Error(`${this.constructor.name}: ${bias.length} biases for ${weight.rows} output channels`);
    this.bias = bias ? new Tensor(bias, [bias.length]) : null;
  }

  /** Whether the activations are quantized to 7 bits (PyTorch's `reduce_range`) rather than 8. */
  get reduceRange(): boolean {
    return this.weight.reduceRange;
  }

  /** The shape of the dense weight this layer stands for. */
  get denseShape(): readonly number[] {
    return this.weightShape;
  }

  /** Stored weights plus biases. */
  override ownParameterCount(): number {
    return this.weight.q.length + (this.bias?.size ?? 0);
  }

  /** Saves `weight` (int8), `weight.scale` (float32), `reduce_range` (u8: 1 or 0) and `bias`. */
  protected override ownState(): [string, StateEntry][] {
    const state: [string, StateEntry][] = [
      ['weight', { dtype: 'I8', shape: this.weightShape, data: this.weight.q }],
      ['weight.scale', { dtype: 'F32', shape: [this.weight.scales.length], data: this.weight.scales }],
      ['reduce_range', { dtype: 'U8', shape: [1], data: Uint8Array.of(this.reduceRange ? 1 : 0) }],
    ];
    if (this.bias) state.push(['bias', { dtype: 'F32', shape: this.bias.shape, data: this.bias.data }]);
    return state;
  }
}

/**
 * A Linear layer with int8 weights that computes in int8, as PyTorch's dynamic
 * `nn.quantized.dynamic.Linear`. Inference only. x `[N, in]` → `[N, out]`.
 * @example model.fc1 = QuantizedLinear.fromFloat(model.fc1 as Linear, { perChannel: true })
 */
export class QuantizedLinear extends Int8Layer {
  /** The int8 twin of a float Linear: its weight quantized symmetrically (per tensor or per row), its bias kept in float. */
  static fromFloat(layer: Linear, options: Int8Options = {}): QuantizedLinear {
    const w = quantizeWeight(
      layer.weight.data,
      layer.outFeatures,
      layer.inFeatures,
      options.perChannel ?? false,
      options.reduceRange ?? true,
    );
    return new QuantizedLinear(w, layer.bias ? Float32Array.from(layer.bias.data) : null, [layer.outFeatures, layer.inFeatures]);
  }

  forward(x: Tensor): Tensor {
    return quantizedLinear(x, this.weight, this.bias);
  }

  /** relu(forward(x)) in one pass: the ReLU is applied as the int32 sums are scaled back. */
  forwardRelu(x: Tensor): Tensor {
    return quantizedLinear(x, this.weight, this.bias, { relu: true });
  }
}

/**
 * A Conv2d with int8 weights (PyTorch's dynamic mode leaves convolutions in float; here
 * they shrink and speed up too): the batch is quantized once, unfolded and multiplied in
 * int32 (see ops/quantized.ts). x `[N, C, H, W]` → `[N, OC, OH, OW]`.
 * @example teacher.conv1 = QuantizedConv2d.fromFloat(teacher.conv1 as Conv2d)
 */
export class QuantizedConv2d extends Int8Layer {
  /**
   * @param weight The int8 filters `[OC, C·KH·KW]` and their scales.
   * @param bias `[OC]`, or null.
   * @param weightShape `[OC, C, KH, KW]`.
   * @param stride [rows, columns] between windows.
   * @param padding Zeros added above and below, left and right.
   */
  constructor(
    weight: Int8Weight,
    bias: Float32Array | null,
    weightShape: readonly number[],
    readonly stride: [number, number],
    readonly padding: [number, number],
  ) {
    super(weight, bias, weightShape);
    if (weightShape.length !== 4 || weightShape[0] !== weight.rows || weightShape[1] * weightShape[2] * weightShape[3] !== weight.cols) {
      throw new Error(`QuantizedConv2d: weight shape ${fmt(weightShape)} does not hold [${weight.rows}, ${weight.cols}] int8 filters`);
    }
    const fits = [0, 1].every((a) => {
      const [S, P, K] = [stride[a], padding[a], weightShape[2 + a]];
      return Number.isInteger(S) && S >= 1 && S <= 64 && Number.isInteger(P) && P >= 0 && P < K;
    });
    if (stride.length !== 2 || padding.length !== 2 || !fits) {
      throw new Error(
        `QuantizedConv2d: stride ${fmt(stride)} and padding ${fmt(padding)} are out of range for a ${weightShape[2]}x${weightShape[3]} ` +
          `kernel (stride 1..64, padding below the kernel size, each [rows, columns])`,
      );
    }
  }

  /** The int8 twin of a float Conv2d: each filter quantized symmetrically (per tensor or per filter), the bias kept in float. */
  static fromFloat(layer: Conv2d, options: Int8Options = {}): QuantizedConv2d {
    const [OC, C, KH, KW] = layer.weight.shape;
    const w = quantizeWeight(layer.weight.data, OC, C * KH * KW, options.perChannel ?? false, options.reduceRange ?? true);
    return new QuantizedConv2d(w, layer.bias ? Float32Array.from(layer.bias.data) : null, layer.weight.shape, layer.stride, layer.padding);
  }

  forward(x: Tensor): Tensor {
    return quantizedConv2d(x, this.weight, this.weightShape, this.bias, { stride: this.stride, padding: this.padding });
  }

  /** maxPool2d(forward(x), pool) in one pass: only the pooled outputs are scaled back to float (see `quantizedConv2dMaxPool`). */
  forwardMaxPool(x: Tensor, pool: MaxPool2dOptions): Tensor {
    return quantizedConv2dMaxPool(x, this.weight, this.weightShape, this.bias, { stride: this.stride, padding: this.padding }, pool);
  }

  /**
   * Adds `geometry` to the int8 weight, scales and bias: [stride, padding] when both are the
   * same on each axis (as every file before per-axis geometry), else [stride rows, stride
   * columns, padding rows, padding columns].
   */
  protected override ownState(): [string, StateEntry][] {
    const [SH, SW] = this.stride;
    const [PH, PW] = this.padding;
    const data = SH === SW && PH === PW ? Int32Array.of(SH, PH) : Int32Array.of(SH, SW, PH, PW);
    return [...super.ownState(), ['geometry', { dtype: 'I32', shape: [data.length], data }]];
  }
}

/** Rebuilds a quantized layer from `weight` (I8), `weight.scale`, `reduce_range` (7-bit activations when absent) and `bias`. */
export const quantizedCodec: LayerCodec = {
  marker: 'weight.scale',
  decode(entries) {
    const w = entries.get('weight'),
      scale = entries.get('weight.scale')!,
      bias = entries.get('bias');
    if (w?.dtype !== 'I8' || scale.dtype !== 'F32') throw new Error("a quantized layer needs int8 'weight' and float32 'weight.scale'");
    const rows = w.shape[0],
      cols = w.data.length / rows;
    if (scale.data.length !== 1 && scale.data.length !== rows)
      throw new Error(`a quantized layer has ${scale.data.length} scales for ${rows} output channels`);
    const b = bias ? Float32Array.from(bias.data) : null;
    const range = entries.get('reduce_range');
    if (range && (range.dtype !== 'U8' || range.data.length !== 1 || range.data[0] > 1))
      throw new Error("a quantized layer's 'reduce_range' must be one u8, 0 or 1");
    const qw = int8Weight(Int8Array.from(w.data), rows, cols, Float32Array.from(scale.data), range ? range.data[0] === 1 : true);
    if (w.shape.length === 2) return new QuantizedLinear(qw, b, w.shape);
    // Two int32 (stride, padding: the same on both axes) or four (stride and padding, rows then columns).
    const meta = entries.get('geometry');
    if (meta && (meta.dtype !== 'I32' || (meta.data.length !== 2 && meta.data.length !== 4)))
      throw new Error(
        "a quantized convolution's 'geometry' must be four int32 (stride and padding, rows and columns) or two (stride, padding)",
      );
    const g = meta ? Array.from(meta.data) : [1, 0];
    const [SH, SW, PH, PW] = g.length === 2 ? [g[0], g[0], g[1], g[1]] : g;
    return new QuantizedConv2d(qw, b, w.shape, [SH, SW], [PH, PW]);
  },
};
