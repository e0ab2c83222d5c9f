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

/** Stride and padding of a Conv2d. */
export interface Conv2dLayerOptions extends LayerOptions {
  /** Step between windows, on both axes (default 1). */
  stride?: number;
  /** Zeros added on every side (default 0). */
  padding?: number;
}

/**
 * 2-D convolution layer, as PyTorch's `nn.Conv2d` (square kernel).
 * weight `[OC, C, K, K]`, bias `[OC]`; input `[N, C, H, W]` → `[N, OC, OH, OW]`.
 * @example new Conv2d(1, 32, 5).forward(images) // [64, 1, 28, 28] → [64, 32, 24, 24]
 */
export class Conv2d extends Module {
  /** `[OC, C, K, K]`, Kaiming-uniform initialized as PyTorch's. */
  weight: Tensor;
  /** `[OC]`, or null without a bias. */
  bias: Tensor | null;
  /** Step between windows, on both axes (default 1). */
  readonly stride: number;
  /** Zeros added on every side (default 0). */
  readonly padding: number;

  /**
   * @param inChannels Channels C of the input.
   * @param outChannels Filters OC, the output's channels.
   * @param kernelSize Side K of the square kernel.
   * @param options Stride, padding, no bias, or a generator for the initial weights.
   */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    checkSize('Conv2d', 'inChannels', inChannels);
    checkSize('Conv2d', 'outChannels', outChannels);
    checkSize('Conv2d', 'kernelSize', kernelSize);
    const rng = rngOf('Conv2d', options.rng);
    const fanIn = inChannels * kernelSize * kernelSize;
    this.weight = kaimingUniform([outChannels, inChannels, kernelSize, kernelSize], fanIn, rng);
    this.bias = options.bias === false ? null : biasUniform(outChannels, fanIn, rng);
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }

  /** maxPool2d(forward(x), pool) as one primitive (see `conv2dMaxPool`). */
  forwardMaxPool(x: Tensor, pool: MaxPool2dOptions): Tensor {
    return conv2dMaxPool(x, this.weight, this.bias, { stride: this.stride, padding: this.padding }, pool);
  }
}

/**
 * Max pooling layer, as PyTorch's `nn.MaxPool2d(kernel, stride = kernel)`.
 * @example new MaxPool2d(5).forward(x) // [64, 32, 24, 24] → [64, 32, 4, 4]
 */
export class MaxPool2d extends Module {
  /**
   * @param kernelSize Side of the square window.
   * @param stride Step between windows (default: the window's side, so windows do not overlap).
   */
  constructor(
    readonly kernelSize: number,
    readonly stride: number = kernelSize,
  ) {
    super();
    checkSize('MaxPool2d', 'kernelSize', kernelSize);
    checkSize('MaxPool2d', 'stride', stride);
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
