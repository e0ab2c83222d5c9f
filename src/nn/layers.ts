import { conv2d, conv2dMaxPool, type MaxPool2dOptions, maxPool2d } from '../tensor/ops/conv.js';
import { relu } from '../tensor/ops/elementwise.js';
import { linear, linearRelu } from '../tensor/ops/matmul.js';
import { flatten } from '../tensor/ops/view.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { biasUniform, kaimingUniform, rngOf } from './init.js';
import { Module, type Step } from './module.js';

/** Options shared by layers with parameters. */
export interface LayerOptions {
  /** Include a bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights (default: the global one, see `manualSeed`). */
  rng?: Rng;
}

function checkSize(layer: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${layer}: ${name} must be a positive integer, got ${v}`);
}

/** A size given for both axes or as [rows, columns], as a checked pair of integers ≥ `least`. */
function pairOf(layer: string, name: string, v: number | readonly number[], least = 1): [number, number] {
  const pair = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : null;
  if (!pair?.every((k) => Number.isInteger(k) && k >= least)) {
    const what = least === 1 ? 'positive integers' : 'integers ≥ 0';
    throw new Error(`${layer}: ${name} must be one or two (rows, columns) ${what}, got ${JSON.stringify(v)}`);
  }
  return pair as [number, number];
}

/**
 * Fully connected layer y = x·Wᵀ + b, as PyTorch's `nn.Linear`.
 * weight `[out, in]`, bias `[out]`; input `[N, in]` → `[N, out]`.
 * @example const fc1 = new Linear(784, 512); fc1.forward(x) // [64, 784] → [64, 512]
 */
export class Linear extends Module {
  /** `[out, in]`, Kaiming-uniform initialized as PyTorch's. */
  weight: Tensor;
  /** `[out]`, or null without a bias. */
  bias: Tensor | null;

  /**
   * @param inFeatures Size of each input row.
   * @param outFeatures Size of each output row.
   * @param options Without a bias, or with a generator for the initial weights.
   */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LayerOptions = {},
  ) {
    super();
    checkSize('Linear', 'inFeatures', inFeatures);
    checkSize('Linear', 'outFeatures', outFeatures);
    const rng = rngOf('Linear', options.rng);
    this.weight = kaimingUniform([outFeatures, inFeatures], inFeatures, rng);
    this.bias = options.bias === false ? null : biasUniform(outFeatures, inFeatures, rng);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** relu(forward(x)) in one op (`linearRelu`: the bias and ReLU fused into the product). */
  forwardRelu(x: Tensor): Tensor {
    return linearRelu(x, this.weight, this.bias);
  }
}

/** Stride and padding of a Conv2d: one number for both axes, or [rows, columns]. */
export interface Conv2dLayerOptions extends LayerOptions {
  /** Step between windows (default 1). */
  stride?: number | [number, number];
  /** Zeros added on each side (default 0). */
  padding?: number | [number, number];
}

/**
 * 2-D convolution layer, as PyTorch's `nn.Conv2d`: the kernel, stride and padding each one
 * number for both axes or [rows, columns] (kept as pairs, as PyTorch keeps them).
 * weight `[OC, C, KH, KW]`, bias `[OC]`; input `[N, C, H, W]` → `[N, OC, OH, OW]`.
 * @example new Conv2d(1, 32, 5).forward(images) // [64, 1, 28, 28] → [64, 32, 24, 24]
 */
export class Conv2d extends Module {
  /** `[OC, C, KH, KW]`, Kaiming-uniform initialized as PyTorch's. */
  weight: Tensor;
  /** `[OC]`, or null without a bias. */
  bias: Tensor | null;
  /** [KH, KW]. */
  readonly kernelSize: [number, number];
  /** [rows, columns] between windows. */
  readonly stride: [number, number];
  /** Zeros added above and below, left and right. */
  readonly padding: [number, number];

  /**
   * @param inChannels Channels C of the input.
   * @param outChannels Filters OC.
   * @param kernelSize K for a K×K kernel, or [KH, KW].
   * @param options Stride and padding, without a bias, or with a generator for the initial weights.
   */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    options: Conv2dLayerOptions = {},
  ) {
    super();
    checkSize('Conv2d', 'inChannels', inChannels);
    checkSize('Conv2d', 'outChannels', outChannels);
    this.kernelSize = pairOf('Conv2d', 'kernelSize', kernelSize);
    this.stride = pairOf('Conv2d', 'stride', options.stride ?? 1);
    this.padding = pairOf('Conv2d', 'padding', options.padding ?? 0, 0);
    const rng = rngOf('Conv2d', options.rng);
    const [KH, KW] = this.kernelSize;
    const fanIn = inChannels * KH * KW;
    this.weight = kaimingUniform([outChannels, inChannels, KH, KW], fanIn, rng);
    this.bias = options.bias === false ? null : biasUniform(outChannels, fanIn, rng);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  /** maxPool2d(forward(x), pool) in one op (`conv2dMaxPool`: the convolution's output is never stored whole). */
  forwardMaxPool(x: Tensor, pool: MaxPool2dOptions): Tensor {
    return conv2dMaxPool(x, this.weight, this.bias, { stride: this.stride, padding: this.padding }, pool);
  }
}

/**
 * Max pooling layer, as PyTorch's `nn.MaxPool2d(kernel, stride = kernel)`: each one number
 * for both axes or [rows, columns] (kept as pairs).
 * @example new MaxPool2d(5).forward(x) // [64, 32, 24, 24] → [64, 32, 4, 4]
 */
export class MaxPool2d extends Module {
  /** [KH, KW]. */
  readonly kernelSize: [number, number];
  /** [rows, columns] between windows. */
  readonly stride: [number, number];

  /**
   * @param kernelSize K for a K×K window, or [KH, KW].
   * @param stride Step between windows (default: the window's size, so windows do not overlap).
   */
  constructor(kernelSize: number | [number, number], stride: number | [number, number] = kernelSize) {
    super();
    this.kernelSize = pairOf('MaxPool2d', 'kernelSize', kernelSize);
    this.stride = pairOf('MaxPool2d', 'stride', stride);
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride });
  }
}

/**
 * max(x, 0) as a layer.
 * @example new Sequential(new Linear(784, 10), new ReLU())
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * Flattens every dimension after the batch: `[N, C, H, W]` → `[N, C·H·W]`.
 * @example new Flatten().forward(images) // [64, 1, 28, 28] → [64, 784]
 */
export class Flatten extends Module {
  forward(x: Tensor): Tensor {
    return flatten(x, 1);
  }
}

/**
 * Layers applied in order; children are named "0", "1", ... as in PyTorch.
 * @example new Sequential(new Flatten(), new Linear(784, 10))
 */
export class Sequential extends Module {
  /** The layers, in the order they run. */
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    const bad = layers.findIndex((l) => !(l instanceof Module));
    if (bad >= 0) throw new Error(`Sequential: layer ${bad} is not a Module, got ${String(layers[bad])}`);
    this.layers = layers;
  }

  override namedChildren(): [string, Module][] {
    return this.layers.map((m, i) => [String(i), m]);
  }

  /** Replaces layer `name` ("0", "1", …) in the list. */
  override setChild(name: string, module: Module): void {
    const i = Number(name);
    if (!(String(i) === name && i >= 0 && i < this.layers.length)) throw new Error(`Sequential.setChild: there is no layer '${name}'`);
    if (!(module instanceof Module)) throw new Error(`Sequential.setChild: layer '${name}' must be a Module, got ${String(module)}`);
    this.layers[i] = module;
  }

  /** Each layer in turn, named by its index. */
  override steps(): Step[] {
    return this.namedChildren();
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h), x);
  }
}

/** Every Linear and Conv2d in `model` with its name (`fc1`, `conv2`): the layers whose weights pruning and weight sharing compress. */
export function weightedLayers(model: Module): [string, Linear | Conv2d][] {
  return model.namedModules().filter((e): e is [string, Linear | Conv2d] => e[1] instanceof Linear || e[1] instanceof Conv2d);
}
