import { Conv2d, Linear } from '../nn/layers.js';
import { Module, type StateEntry } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { kernels, type ConvGeometry } from '../tensor/kernels/index.js';
import { int8Weights, type Int8Weights } from '../tensor/kernels/int8.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { LayerCodec } from './checkpoint.js';

/**
 * Dynamic int8 quantization, as PyTorch's `quantize_dynamic`: weights are stored as int8
 * once (symmetric: w ≈ s·q, q ∈ [−127, 127], one scale per tensor or per output channel);
 * activations are quantized at run time, per batch, from the batch's own range
 * (asymmetric: x ≈ sₓ·(q − z), q ∈ [−128, 127]). The product runs in integers (exact int32
 * sums), then y = sₓ·s_w·Σ(q − z)·q_w + b in float.
 */

/** Symmetric int8 weights of a `[rows, cols]` matrix and their scales (1 or `rows`). */
export interface QuantizedWeight {
  q: Int8Array;
  scales: Float32Array;
  rows: number;
  cols: number;
}

/**
 * Quantizes a `[rows, cols]` weight symmetrically: scale = max|w| ÷ 127 over the whole
 * tensor or per row (output channel). An all-zero row gets scale 1 (its q are all 0), so
 * nothing divides by zero. Each element's error is at most scale/2.
 */
export function quantizeWeight(w: Float32Array, rows: number, cols: number, perChannel: boolean): QuantizedWeight {
  if (w.length !== rows * cols) throw new Error(`quantizeWeight: ${w.length} values do not fill [${rows}, ${cols}]`);
  const groups = perChannel ? rows : 1;
  const span = perChannel ? cols : rows * cols;
  const scales = new Float32Array(groups);
  const q = new Int8Array(rows * cols);
  for (let g = 0; g < groups; g++) {
    let max = 0;
    for (let i = g * span; i < (g + 1) * span; i++) max = Math.max(max, Math.abs(w[i]));
    const s = max > 0 ? max / 127 : 1;
    scales[g] = s;
    for (let i = g * span; i < (g + 1) * span; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i] / s)));
  }
  return { q, scales, rows, cols };
}

/** The float weights that int8 weights stand for: q·scale. */
export function dequantizeWeight({ q, scales, rows, cols }: QuantizedWeight): Float32Array {
  const out = new Float32Array(rows * cols);
  const span = scales.length === 1 ? rows * cols : cols;
  for (let i = 0; i < out.length; i++) out[i] = q[i] * scales[Math.floor(i / span)];
  return out;
}

/** Scale and zero point of an activation batch: x ≈ scale·(q − zeroPoint), q ∈ [−128, 127]. */
export interface ActivationQuant {
  scale: number;
  zeroPoint: number;
}

/**
 * Asymmetric parameters from the range of `x`, widened to include 0 (so that 0, e.g. a
 * ReLU's output, is exact), as PyTorch's dynamic quantization does. A batch whose range is
 * zero (all zeros) gets scale 1.
 */
export function activationQuant(x: Float32Array): ActivationQuant {
  let min = 0, max = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  const scale = max > min ? (max - min) / 255 : 1;
  const zeroPoint = Math.max(-128, Math.min(127, Math.round(-128 - min / scale)));
  return { scale, zeroPoint };
}

/** Quantizes activations and subtracts the zero point: out[i] = clamp(round(x/s) + z) − z. */
export function quantizeActivations(x: Float32Array, { scale, zeroPoint }: ActivationQuant, out: Int16Array): void {
  const inv = 1 / scale, lo = -128 - zeroPoint, hi = 127 - zeroPoint;
  for (let i = 0; i < x.length; i++) {
    const q = Math.round(x[i] * inv); // the range was chosen to cover x, so clamping only trims rounding at the ends
    out[i] = q < lo ? lo : q > hi ? hi : q;
  }
}

/** Signal-to-quantization-noise ratio in dB: 10·log10(Σw² ÷ Σ(w − ŵ)²); Infinity when exact. */
export function sqnr(original: Float32Array, approx: Float32Array): number {
  let signal = 0, noise = 0;
  for (let i = 0; i < original.length; i++) {
    signal += original[i] ** 2;
    noise += (original[i] - approx[i]) ** 2;
  }
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

let actScratch = new Int16Array(0);
let accScratch = new Int32Array(0);

/**
 * y[N, out] = x[N, in]·Wᵀ + b with int8 weights and per-batch int8 activations: the integer
 * GEMM, then one float multiply per output by sₓ·s_w (per channel when there are several).
 */
function int8Linear(x: Float32Array, N: number, w: QuantizedWeight, packed: Int8Weights, bias: Float32Array | null, y: Float32Array): void {
  const { rows: out, cols: inF, scales } = w;
  if (actScratch.length < N * inF) actScratch = new Int16Array(N * inF);
  if (accScratch.length < N * out) accScratch = new Int32Array(N * out);
  const a = actScratch.subarray(0, N * inF);
  const acc = accScratch.subarray(0, N * out);
  const aq = activationQuant(x);
  quantizeActivations(x, aq, a);
  kernels.gemmInt8(N, a, packed, acc);
  const factor = new Float32Array(out);
  for (let j = 0; j < out; j++) factor[j] = aq.scale * scales[scales.length > 1 ? j : 0];
  for (let n = 0, k = 0; n < N; n++) {
    for (let j = 0; j < out; j++, k++) y[k] = acc[k] * factor[j] + (bias ? bias[j] : 0);
  }
}

/** Shared by the two int8 layers: the weight (with each backend's packed form), the bias, and how they save. */
abstract class Int8Layer extends Module {
  readonly packed: Int8Weights;

  constructor(readonly weight: QuantizedWeight, readonly bias: Float32Array | null, readonly weightShape: readonly number[]) {
    super();
    this.packed = int8Weights(weight.q, weight.rows, weight.cols);
  }

  /** Stored weights plus biases. */
  override ownParameterCount(): number {
    return this.weight.q.length + (this.bias?.length ?? 0);
  }

  /** Saves `weight` (int8), `weight.scale` (float32) and `bias`. */
  protected override ownState(): [string, StateEntry][] {
    const state: [string, StateEntry][] = [
      ['weight', { dtype: 'I8', shape: this.weightShape, data: this.weight.q }],
      ['weight.scale', { dtype: 'F32', shape: [this.weight.scales.length], data: this.weight.scales }],
    ];
    if (this.bias) state.push(['bias', { dtype: 'F32', shape: [this.bias.length], data: this.bias }]);
    return state;
  }
}

/**
 * A Linear layer with int8 weights that computes in int8, as PyTorch's dynamic
 * `nn.quantized.dynamic.Linear`. Inference only. x `[N, in]` → `[N, out]`.
 * @example model.fc1 = QuantizedLinear.fromFloat(model.fc1 as Linear, { perChannel: true })
 */
export class QuantizedLinear extends Int8Layer {
  static fromFloat(layer: Linear, options: { perChannel?: boolean } = {}): QuantizedLinear {
    const w = quantizeWeight(layer.weight.data, layer.outFeatures, layer.inFeatures, options.perChannel ?? false);
    return new QuantizedLinear(w, layer.bias ? Float32Array.from(layer.bias.data) : null, [layer.outFeatures, layer.inFeatures]);
  }

  forward(x: Tensor): Tensor {
    const { rows: out, cols: inF } = this.weight;
    if (x.rank !== 2 || x.shape[1] !== inF) throw new Error(`QuantizedLinear: input ${fmt(x.shape)} does not match weight [${out}, ${inF}]`);
    const y = Tensor.zeros([x.shape[0], out]);
    int8Linear(x.data, x.shape[0], this.weight, this.packed, this.bias, y.data);
    return y;
  }
}

/**
 * A Conv2d with int8 weights, computed as im2col + the int8 GEMM per image (PyTorch's
 * dynamic mode leaves convolutions in float; here they shrink and speed up too).
 * x `[N, C, H, W]` → `[N, OC, OH, OW]`.
 */
export class QuantizedConv2d extends Int8Layer {
  private colT = new Float32Array(0);

  constructor(weight: QuantizedWeight, bias: Float32Array | null, weightShape: readonly number[], readonly stride: number, readonly padding: number) {
    super(weight, bias, weightShape);
  }

  static fromFloat(layer: Conv2d, options: { perChannel?: boolean } = {}): QuantizedConv2d {
    const [OC, C, KH, KW] = layer.weight.shape;
    const w = quantizeWeight(layer.weight.data, OC, C * KH * KW, options.perChannel ?? false);
    return new QuantizedConv2d(w, layer.bias ? Float32Array.from(layer.bias.data) : null, layer.weight.shape, layer.stride, layer.padding);
  }

  forward(x: Tensor): Tensor {
    const [OC, WC, KH, KW] = this.weightShape;
    if (x.rank !== 4 || x.shape[1] !== WC) throw new Error(`QuantizedConv2d: input ${fmt(x.shape)} does not match weight ${fmt(this.weightShape)}`);
    const [N, C, H, W] = x.shape;
    const [S, P] = [this.stride, this.padding];
    const OH = Math.floor((H + 2 * P - KH) / S) + 1, OW = Math.floor((W + 2 * P - KW) / S) + 1;
    const g: ConvGeometry = { C, H, W, KH, KW, SH: S, SW: S, PH: P, PW: P, OH, OW };
    const CKK = C * KH * KW, L = OH * OW;
    if (this.colT.length < 2 * CKK * L) this.colT = new Float32Array(2 * CKK * L);
    const col = this.colT.subarray(0, CKK * L), patches = this.colT.subarray(CKK * L, 2 * CKK * L);
    const yT = new Float32Array(L * OC);
    const out = Tensor.zeros([N, OC, OH, OW]);
    for (let n = 0; n < N; n++) {
      kernels.im2col(x.data, n * C * H * W, g, col);
      // The int8 GEMM multiplies rows by weight rows (x·Wᵀ): one row per output position.
      for (let r = 0; r < CKK; r++) for (let l = 0; l < L; l++) patches[l * CKK + r] = col[r * L + l];
      int8Linear(patches, L, this.weight, this.packed, this.bias, yT);
      const y = out.data.subarray(n * OC * L, (n + 1) * OC * L);
      for (let l = 0; l < L; l++) for (let o = 0; o < OC; o++) y[o * L + l] = yT[l * OC + o];
    }
    return out;
  }

  /** Adds `geometry` = [stride, padding] to the int8 weight, scales and bias. */
  protected override ownState(): [string, StateEntry][] {
    return [...super.ownState(), ['geometry', { dtype: 'I32', shape: [2], data: Int32Array.of(this.stride, this.padding) }]];
  }
}

/** Rebuilds a quantized layer from `weight` (I8), `weight.scale` and `bias`. */
export const quantizedCodec: LayerCodec = {
  marker: 'weight.scale',
  decode(entries) {
    const w = entries.get('weight'), scale = entries.get('weight.scale')!, bias = entries.get('bias');
    if (!w || w.dtype !== 'I8' || scale.dtype !== 'F32') throw new Error("a quantized layer needs int8 'weight' and float32 'weight.scale'");
    const rows = w.shape[0], cols = w.data.length / rows;
    if (scale.data.length !== 1 && scale.data.length !== rows) throw new Error(`a quantized layer has ${scale.data.length} scales for ${rows} output channels`);
    const qw: QuantizedWeight = { q: Int8Array.from(w.data), scales: Float32Array.from(scale.data), rows, cols };
    const b = bias ? Float32Array.from(bias.data) : null;
    if (w.shape.length === 2) return new QuantizedLinear(qw, b, w.shape);
    const meta = entries.get('geometry');
    const [stride, padding] = meta ? [meta.data[0], meta.data[1]] : [1, 0];
    return new QuantizedConv2d(qw, b, w.shape, stride, padding);
  },
};

/** Which layers `quantizeDynamic` swaps. */
export interface QuantizeOptions {
  /** One scale per output channel instead of one per tensor (default false, PyTorch's default). */
  perChannel?: boolean;
  /** Also quantize Conv2d layers (default true; PyTorch's dynamic mode does only Linear). */
  conv?: boolean;
}

/**
 * Swaps every Linear (and Conv2d) of `model`, at any depth, for its int8 twin, in place,
 * and returns the model, as `torch.quantization.quantize_dynamic(model, {nn.Linear})`.
 * @example quantizeDynamic(copyOfNet, { perChannel: true })
 */
export function quantizeDynamic<M extends Module>(model: M, options: QuantizeOptions = {}): M {
  noGrad(() => {
    for (const [, parent] of model.namedModules()) {
      for (const [name, child] of parent.namedChildren()) {
        const slot = parent as unknown as Record<string, Module>;
        if (child instanceof Linear) slot[name] = QuantizedLinear.fromFloat(child, options);
        else if (child instanceof Conv2d && options.conv !== false) slot[name] = QuantizedConv2d.fromFloat(child, options);
      }
    }
  });
  return model;
}
