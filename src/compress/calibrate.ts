import { type Dataset, toTensorSet } from '../data/dataset.js';
import type { TensorSet } from '../data/tensor-set.js';
import { batchesOf, sliceRows } from '../data/tensor-set.js';
import { Conv2d, Linear, ReLU } from '../nn/layers.js';
import { Module, type Step } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import { HistogramObserver } from './histogram-observer.js';
import type { Observer } from './observers.js';

/**
 * Calibration, static quantization's second step: the float model runs on a few training
 * images, and an observer at each Linear and Conv2d layer watches what it meets: its input
 * (what the layer's int8 activations must hold) and its output after the ReLU that follows
 * it (what its int8 output must hold; for the last layer, the logits).
 */

/** Where an observer sits: a layer's input, or its output after the ReLU right after it. */
export type ObservedAt = 'input' | 'output';

/** How to calibrate. */
export interface CalibrationOptions {
  /**
   * Makes the observer for one place (default: PyTorch's x86 default for activations,
   * `new HistogramObserver({ reduceRange: true })`).
   */
  observer?: (layer: string, at: ObservedAt) => Observer;
  /** Images from the start of the set to run (default all of it). */
  images?: number;
  /** Images per forward pass (default 64). */
  batchSize?: number;
}

/** What calibration saw at one layer. */
export interface LayerObservers {
  /** The layer's input. */
  input: Observer;
  /** Its output, after the ReLU right after it (before any pooling, which changes no scale). */
  output: Observer;
  /** The steps the output was taken after, e.g. `['conv1', 'conv1.relu']`. */
  steps: string[];
}

const isQuantizable = (m: Module): m is Linear | Conv2d => m instanceof Linear || m instanceof Conv2d;

/**
 * Runs the float `model` on calibration images, step by step as its `steps()` read, and
 * returns the observers of each Linear and Conv2d layer, by step name, in order. The model
 * is not changed (it runs in evaluation mode, its mode restored).
 * Refuses an empty set, a model without steps or quantizable layers, and an image that
 * does not fit a layer, naming the layer; a non-finite value is refused by the observer,
 * naming the layer and the place.
 * @example const seen = calibrate(net, trainset, { images: 1000 }); seen.get('fc1')!.input.qparams()
 */
export function calibrate(model: Module, data: Dataset | TensorSet, options: CalibrationOptions = {}): Map<string, LayerObservers> {
  if (!(model instanceof Module)) throw new Error(`calibrate: expected a Module, got ${String(model)}`);
  const steps = model.steps();
  if (steps === null) throw new Error(`calibrate: ${model.constructor.name} lists no steps (its forward is not a sequence of layers)`);
  const layers = steps.filter(([, m]) => isQuantizable(m));
  if (layers.length === 0) throw new Error(`calibrate: ${model.constructor.name} has no Linear or Conv2d layer to calibrate`);
  const set = toTensorSet(data, 'calibrate');
  const available = set.x.shape[0];
  const images = options.images ?? available;
  if (!(Number.isInteger(images) && images >= 0)) throw new Error(`calibrate: images must be an integer ≥ 0, got ${images}`);
  if (images === 0 || available === 0)
    throw new Error(`calibrate: the calibration set holds 0 images; ${layers[0][0]} needs at least one to observe`);
  if (images > available) throw new Error(`calibrate: ${images} images asked for, the set holds ${available}`);
  const batchSize = options.batchSize ?? 64;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new Error(`calibrate: batchSize must be a positive integer, got ${batchSize}`);
  const make = options.observer ?? (() => new HistogramObserver({ reduceRange: true }));

  const observers = new Map<string, LayerObservers>();
  for (const [name] of layers)
    observers.set(name, { input: make(name, 'input'), output: make(name, 'output'), steps: outputSteps(steps, name) });
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (const batch of batchesOf(sliceRows(set.x, 0, images), batchSize)) runObserved(steps, batch, observers);
    });
  } finally {
    model.train(wasTraining);
  }
  return observers;
}

/**
 * The steps a layer's output is taken after: the layer, and the ReLU right after it (which
 * static int8 fuses, as PyTorch's `fuse_modules`). Pooling and flattening that follow change
 * no scale (a max of integers is one of them), so the output is observed before them, as
 * PyTorch observes a fused ConvReLU2d before its MaxPool2d.
 */
function outputSteps(steps: readonly Step[], name: string): string[] {
  const i = steps.findIndex(([n]) => n === name);
  return steps[i + 1]?.[1] instanceof ReLU ? [name, steps[i + 1][0]] : [name];
}

/** One batch through the steps, each observer fed where it sits. */
function runObserved(steps: readonly Step[], x: Tensor, observers: Map<string, LayerObservers>): void {
  const outputAfter = new Map([...observers.values()].map((o) => [o.steps[o.steps.length - 1], o]));
  for (const [name, layer] of steps) {
    observers.get(name)?.input.observe(x, `calibrate: ${name} input`);
    try {
      x = layer.forward(x);
    } catch (e) {
      throw new Error(`calibrate: ${name}: ${(e as Error).message}`);
    }
    const done = outputAfter.get(name);
    done?.output.observe(x, `calibrate: ${done.steps[0]} output`);
  }
}
