import type { Dataset } from '../data/dataset.js';
import type { TensorSet } from '../data/tensor-set.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU } from '../nn/layers.js';
import { Module, type StateEntry } from '../nn/module.js';
import { kernels } from '../tensor/kernels/index.js';
import type { Int8Weight } from '../tensor/kernels/int8.js';
import { dequantizeU8, maxPoolU8, quantizeU8, reluU8, type U8Params } from '../tensor/kernels/static-int8.js';
import { poolWindow } from '../tensor/ops/conv.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { type CalibrationOptions, calibrate } from './calibrate.js';
import { HistogramObserver } from './histogram-observer.js';
import { MinMaxObserver } from './observers.js';
import { quantizeWeight } from './quantize-weight.js';

/**
 * Static int8 quantization (PyTorch's eager `prepare`, calibrate, `convert`): the model's
 * activation ranges are fixed by calibration, and its activations stay uint8 from layer to
 * layer. Each Linear and Conv2d becomes an int8 layer that requantizes its int32 sums
 * straight to the next layer's uint8 (the bias and a ReLU right after it fused in its
 * epilogue, as `fuse_modules` fuses them); max pooling, flattening and a lone ReLU work on
 * the integers; only the logits go back to float. The kernels are in kernels/static-int8.ts;
 * on the wasm backend their integer product is wasm's.
 */

/** What every stage has: its name, the model step it stands for. */
interface StageBase {
  /** The step's name in the float model (`fc1`, `conv1`, `pool`). */
  name: string;
}

/** A static int8 layer: int8 weights, a float bias, its output's uint8 parameters and a fused ReLU. */
export interface StaticLayerStage extends StageBase {
  /** Which layer: a Linear or a Conv2d. */
  kind: 'linear' | 'conv';
  /** The int8 weight `[out, in·…]` and its scales (per channel or one). */
  weight: Int8Weight;
  /** `[out]` float32, or null. */
  bias: Float32Array | null;
  /** The scale and zero point its uint8 output is requantized to. */
  output: U8Params;
  /** Whether the ReLU after it is fused (its output clamped at the zero point). */
  relu: boolean;
}

/** A static int8 Linear. */
export interface StaticLinearStage extends StaticLayerStage {
  kind: 'linear';
}

/** A static int8 convolution. */
export interface StaticConvStage extends StaticLayerStage {
  kind: 'conv';
  /** `[OC, C, KH, KW]`. */
  weightShape: [number, number, number, number];
  /** [rows, columns]. */
  stride: [number, number];
  /** [rows, columns]. */
  padding: [number, number];
}

/** Max pooling on the uint8 values. */
export interface StaticPoolStage extends StageBase {
  /** Always 'pool'. */
  kind: 'pool';
  /** The window, [rows, columns]. */
  kernelSize: [number, number];
  /** [rows, columns]. */
  stride: [number, number];
}

/** A ReLU not fused into a layer, or a flattening: no parameters. */
export interface StaticPlainStage extends StageBase {
  /** Which of the two. */
  kind: 'relu' | 'flatten';
}

/** One step of a static int8 model. */
export type StaticStage = StaticLinearStage | StaticConvStage | StaticPoolStage | StaticPlainStage;

/**
 * A model in static int8: float images in, the input quantized once with the calibrated
 * scale and zero point, then uint8 from stage to stage, float logits out.
 * @example const q = quantizeStatic(net, trainset, { images: 1000 }); evaluate(q, testset)
 */
export class StaticQuantizedModel extends Module {
  /**
   * @param input The input's scale and zero point (from calibration).
   * @param stages The model's steps, each layer with its int8 weights and output parameters.
   */
  constructor(
    readonly input: U8Params,
    readonly stages: readonly StaticStage[],
  ) {
    super();
  }

  /** Float in `[N, ...]`, float logits out; integers in between. */
  override forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new Error(`StaticQuantizedModel: expected a Tensor, got ${String(x)}`);
    let q: Uint8Array = new Uint8Array(x.size);
    quantizeU8(x.data, this.input, q);
    let shape = [...x.shape];
    let params = this.input;
    for (const stage of this.stages) [q, shape, params] = run(stage, q, shape, params);
    const out = new Tensor(new Float32Array(q.length), shape);
    dequantizeU8(q, params, out.data);
    return out;
  }

  /** Stored int8 weights plus biases. */
  override ownParameterCount(): number {
    return this.stages.reduce((n, s) => n + ('weight' in s ? s.weight.q.length + (s.bias?.length ?? 0) : 0), 0);
  }

  /**
   * The stages' kinds (u8 codes, in order), the input's scale and zero point, and per stage
   * what it needs: a layer its int8 weight, weight scales, bias, output scale and zero point
   * and ReLU flag (a convolution its stride and padding too), a pooling its window. Every
   * number is a tensor, so the file's CRC-32s cover the whole structure.
   */
  protected override ownState(): [string, StateEntry][] {
    const state: [string, StateEntry][] = [
      ['stages', { dtype: 'U8', shape: [this.stages.length], data: Uint8Array.from(this.stages, (s) => STAGE_KINDS.indexOf(s.kind) + 1) }],
      ['input.scale', { dtype: 'F32', shape: [1], data: Float32Array.of(this.input.scale) }],
      ['input.zero_point', { dtype: 'I32', shape: [1], data: Int32Array.of(this.input.zeroPoint) }],
    ];
    if (this.input.quantMax !== undefined)
      state.push(['input.quant_max', { dtype: 'U8', shape: [1], data: Uint8Array.of(this.input.quantMax) }]);
    for (const s of this.stages) {
      if (s.kind === 'pool')
        state.push([`${s.name}.pool`, { dtype: 'I32', shape: [4], data: Int32Array.of(...s.kernelSize, ...s.stride) }]);
      if (s.kind !== 'linear' && s.kind !== 'conv') continue;
      const shape = s.kind === 'conv' ? s.weightShape : [s.weight.rows, s.weight.cols];
      state.push([`${s.name}.weight`, { dtype: 'I8', shape, data: s.weight.q }]);
      state.push([`${s.name}.weight.scale`, { dtype: 'F32', shape: [s.weight.scales.length], data: s.weight.scales }]);
      if (s.bias) state.push([`${s.name}.bias`, { dtype: 'F32', shape: [s.bias.length], data: s.bias }]);
      state.push([`${s.name}.scale`, { dtype: 'F32', shape: [1], data: Float32Array.of(s.output.scale) }]);
      state.push([`${s.name}.zero_point`, { dtype: 'I32', shape: [1], data: Int32Array.of(s.output.zeroPoint) }]);
      if (s.output.quantMax !== undefined)
        state.push([`${s.name}.quant_max`, { dtype: 'U8', shape: [1], data: Uint8Array.of(s.output.quantMax) }]);
      state.push([`${s.name}.relu`, { dtype: 'U8', shape: [1], data: Uint8Array.of(s.relu ? 1 : 0) }]);
      if (s.kind === 'conv')
        state.push([`${s.name}.geometry`, { dtype: 'I32', shape: [4], data: Int32Array.of(...s.stride, ...s.padding) }]);
    }
    return state;
  }

  /** What a file of this model records beside its tensors: its format, and its stages' names in order. */
  fileMetadata(): Record<string, string> {
    return { format: STATIC_INT8_FORMAT, stages: JSON.stringify(this.stages.map((s) => s.name)) };
  }
}

/** The `format` of a static int8 model's file. */
export const STATIC_INT8_FORMAT = 'slimtensor-static-int8';

/** The stage kinds, in the order of their codes in a file (1 = linear, …). */
export const STAGE_KINDS = ['linear', 'conv', 'pool', 'relu', 'flatten'] as const;

/** One stage on uint8 values `q` of `shape` (with `params`): the next values, shape and params. */
function run(stage: StaticStage, q: Uint8Array, shape: number[], params: U8Params): [Uint8Array, number[], U8Params] {
  const where = `StaticQuantizedModel ${stage.name}`;
  const [N] = shape;
  switch (stage.kind) {
    case 'flatten':
      return [q, [N, shape.slice(1).reduce((a, b) => a * b, 1)], params];
    case 'relu':
      reluU8(q, params.zeroPoint);
      return [q, shape, params];
    case 'pool': {
      if (shape.length !== 4) throw new Error(`${where}: max pooling needs [N, C, H, W], got ${fmt(shape)}`);
      const [, C, H, W] = shape;
      const pool = poolWindow(where, shape, H, W, { kernelSize: stage.kernelSize, stride: stage.stride });
      const out = new Uint8Array(N * C * pool.OH * pool.OW);
      maxPoolU8(q, N * C, H, W, pool, out);
      return [out, [N, C, pool.OH, pool.OW], params];
    }
    case 'linear': {
      const { rows, cols } = stage.weight;
      if (shape.length !== 2 || shape[1] !== cols) throw new Error(`${where}: expects [N, ${cols}], got ${fmt(shape)}`);
      const out = new Uint8Array(N * rows);
      kernels.staticLinear(q, N, params, stage.weight, stage.bias, stage.output, stage.relu, out);
      return [out, [N, rows], stage.output];
    }
    case 'conv': {
      const [OC, C, KH, KW] = stage.weightShape;
      if (shape.length !== 4 || shape[1] !== C) throw new Error(`${where}: expects [N, ${C}, H, W], got ${fmt(shape)}`);
      const [, , H, W] = shape;
      const [SH, SW] = stage.stride,
        [PH, PW] = stage.padding;
      const OH = Math.floor((H + 2 * PH - KH) / SH) + 1,
        OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
      if (OH < 1 || OW < 1) throw new Error(`${where}: kernel ${KH}x${KW} is larger than the padded input of ${fmt(shape)}`);
      const out = new Uint8Array(N * OC * OH * OW);
      const g = { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW };
      kernels.staticConv2d(q, N, params, stage.weight, stage.bias, g, stage.output, stage.relu, out);
      return [out, [N, OC, OH, OW], stage.output];
    }
  }
}

/** How to quantize statically. */
export interface StaticOptions extends CalibrationOptions {
  /** One weight scale per output channel (default true, PyTorch's x86 default), or one per layer. */
  perChannel?: boolean;
}

/**
 * The static int8 twin of a float `model` whose steps are Linear, Conv2d, ReLU, MaxPool2d
 * and Flatten layers (SimpleNet, the teacher, the LeNets, a Sequential of them): calibrated
 * on `data` (its activation observers: PyTorch's x86 default, the histogram with
 * reduce_range, unless `observer` says otherwise), its weights int8 and symmetric (per
 * output channel unless `perChannel` is false), each layer's ReLU fused. The float model is
 * left as it was.
 * @example const q = quantizeStatic(net, trainset, { images: 1000 }) // then evaluate(q, testset)
 */
export function quantizeStatic(model: Module, data: Dataset | TensorSet, options: StaticOptions = {}): StaticQuantizedModel {
  // Only the first layer's input is quantized from its own observer; every later layer meets
  // the uint8 output of the one before. Its input observers are never read, so they are
  // the cheapest (MinMax), not the requested (by default a 2,048-bin histogram's search).
  const steps = model.steps() ?? [];
  const first = steps.find(([, m]) => m instanceof Linear || m instanceof Conv2d)?.[0];
  const make = options.observer ?? (() => new HistogramObserver({ reduceRange: true }));
  const seen = calibrate(model, data, {
    ...options,
    observer: (layer, at) => (at === 'input' && layer !== first ? new MinMaxObserver() : make(layer, at)),
  });
  const perChannel = options.perChannel ?? true;
  const stages: StaticStage[] = [];
  let inputParams: U8Params | null = null;
  for (let i = 0; i < steps.length; i++) {
    const [name, layer] = steps[i];
    const observed = seen.get(name);
    if (observed) {
      inputParams ??= paramsOf(observed.input.qparams(), `${name} input`);
      const output = paramsOf(observed.output.qparams(), `${name} output`);
      const relu = observed.steps.length === 2;
      if (relu) i++;
      if (layer instanceof Linear) {
        const [rows, cols] = layer.weight.shape;
        const weight = quantizeWeight(layer.weight.data, rows, cols, perChannel);
        stages.push({ kind: 'linear', name, weight, bias: layer.bias ? layer.bias.data.slice() : null, output, relu });
      } else {
        const conv = layer as Conv2d;
        const [OC, C, KH, KW] = conv.weight.shape;
        const weight = quantizeWeight(conv.weight.data, OC, C * KH * KW, perChannel);
        const [stride, padding] = [conv.stride, conv.padding];
        const bias = conv.bias ? conv.bias.data.slice() : null;
        stages.push({ kind: 'conv', name, weight, bias, weightShape: [OC, C, KH, KW], stride, padding, output, relu });
      }
    } else if (layer instanceof ReLU) stages.push({ kind: 'relu', name });
    else if (layer instanceof Flatten) stages.push({ kind: 'flatten', name });
    else if (layer instanceof MaxPool2d) stages.push({ kind: 'pool', name, kernelSize: layer.kernelSize, stride: layer.stride });
    else
      throw new Error(
        `quantizeStatic: step ${name} is a ${layer.constructor.name}; static int8 runs Linear, Conv2d, ReLU, MaxPool2d and Flatten`,
      );
  }
  return new StaticQuantizedModel(inputParams as U8Params, stages);
}

/** An observer's per-tensor uint8 scale and zero point. */
function paramsOf(q: { scale: Float32Array; zeroPoint: Int32Array; quantMin: number; quantMax: number }, where: string): U8Params {
  if (q.scale.length !== 1 || q.quantMin < 0)
    throw new Error(
      `quantizeStatic: the observer at ${where} must give one uint8 scale (a per-tensor uint8 observer), got ${q.scale.length}`,
    );
  return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
}
