import { Conv2d, Flatten, Linear, MaxPool2d, ReLU } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { int8Weight } from '../tensor/kernels/int8.js';
import { roundHalfEven } from '../tensor/kernels/quantize.js';
import { conv2d, maxPool2d } from '../tensor/ops/conv.js';
import { relu } from '../tensor/ops/elementwise.js';
import { type FakeQuantGrid, fakeQuantize } from '../tensor/ops/fake-quant.js';
import { linear } from '../tensor/ops/matmul.js';
import { flatten } from '../tensor/ops/view.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { MovingAverageMinMaxObserver, PerChannelMinMaxObserver, type QParams } from './observers.js';
import { StaticQuantizedModel, type StaticStage } from './static-quantize.js';

/**
 * Quantization-aware training (Jacob et al. 2018; PyTorch's `prepare_qat` and `convert`):
 * the float model trains with its weights and activations fake-quantized, so it learns
 * around the rounding that static int8 will do. `prepareQat` wraps a copy of the model:
 * each Linear and Conv2d sees its weight rounded to a symmetric per-channel grid of
 * `weightBits` (from the weight's current range, every forward), and its output (after the
 * ReLU right after it) rounded to a uint8 grid of `activationBits` whose range a moving
 * average of the batches' extremes follows while training (frozen in evaluation mode); the
 * input too. The gradient passes straight through the rounding (fakeQuantize). `convert`
 * then gives the static int8 model with exactly those grids.
 */

/** How to train for quantization. */
export interface QatOptions {
  /** Bits of each weight: 8 (default), 4 or 2. */
  weightBits?: 8 | 4 | 2;
  /** Bits of each activation: 8 (default) or 4. At run time 4-bit activations are held in uint8 lanes. */
  activationBits?: 8 | 4;
  /** One weight scale per output channel (default true), or one per layer. */
  perChannel?: boolean;
  /** 7-bit activations when activationBits is 8, as PyTorch's x86 default (default true). */
  reduceRange?: boolean;
  /** The moving average's weight of each new batch (default 0.01, PyTorch's). */
  averagingConstant?: number;
}

type QatStage =
  | { kind: 'layer'; name: string; layer: Linear | Conv2d; relu: boolean; output: MovingAverageMinMaxObserver }
  | { kind: 'pool'; name: string; layer: MaxPool2d }
  | { kind: 'relu'; name: string }
  | { kind: 'flatten'; name: string };

/** A model prepared for quantization-aware training: train it with `fit`, then `convert` it. */
export class QatModel extends Module {
  /** The grids' options, as given to prepareQat. */
  readonly options: Required<QatOptions>;
  /** The input's observer. */
  readonly input: MovingAverageMinMaxObserver;
  private readonly stages: QatStage[];

  /** @internal Made by prepareQat. */
  constructor(stages: QatStage[], options: Required<QatOptions>) {
    super();
    this.stages = stages;
    this.options = options;
    this.input = activationObserver(options);
  }

  /** The layers it trains, by their names in the float model. */
  override namedChildren(): [string, Module][] {
    return this.stages.flatMap((s): [string, Module][] => (s.kind === 'layer' ? [[s.name, s.layer]] : []));
  }

  /** The uint8 grid of an observer, for fakeQuantize. */
  private grid(q: QParams): FakeQuantGrid {
    return { scale: q.scale, zeroPoint: q.zeroPoint, quantMin: q.quantMin, quantMax: q.quantMax };
  }

  /** Observes `x` while training, then rounds it to the observer's grid. */
  private activation(x: Tensor, observer: MovingAverageMinMaxObserver, where: string): Tensor {
    if (this.training) observer.observe(x, `QatModel: ${where}`);
    return fakeQuantize(x, this.grid(observer.qparams()));
  }

  /** The float forward with every weight and activation fake-quantized. */
  override forward(x: Tensor): Tensor {
    let h = this.activation(x, this.input, 'input');
    for (const s of this.stages) {
      if (s.kind === 'flatten') h = flatten(h, 1);
      else if (s.kind === 'relu') h = relu(h);
      else if (s.kind === 'pool') h = maxPool2d(h, { kernelSize: s.layer.kernelSize, stride: s.layer.stride });
      else {
        const w = fakeQuantize(s.layer.weight, weightGrid(s.layer.weight, this.options));
        const b = s.layer.bias;
        h = s.layer instanceof Linear ? linear(h, w, b) : conv2d(h, w, b, { stride: s.layer.stride, padding: s.layer.padding });
        if (s.relu) h = relu(h);
        h = this.activation(h, s.output, `${s.name} output`);
      }
    }
    return h;
  }

  /** @internal The stages, for convert. */
  get qatStages(): readonly QatStage[] {
    return this.stages;
  }
}

function activationObserver(o: Required<QatOptions>): MovingAverageMinMaxObserver {
  const quantRange: [number, number] | undefined = o.activationBits === 4 ? [0, 15] : undefined;
  return new MovingAverageMinMaxObserver({
    averagingConstant: o.averagingConstant,
    reduceRange: o.activationBits === 8 && o.reduceRange,
    quantRange,
  });
}

/** A weight's symmetric grid of `weightBits` from its current range, per output channel or per tensor. */
function weightGrid(weight: Tensor, o: Required<QatOptions>): FakeQuantGrid {
  const half = 2 ** (o.weightBits - 1);
  const quantRange: [number, number] = [-half, half - 1];
  const observer = new PerChannelMinMaxObserver({ dtype: 'int8', symmetric: true, quantRange });
  noGrad(() => observer.observe(o.perChannel ? weight : new Tensor(weight.data, [1, weight.size]), 'QatModel weight'));
  const q = observer.qparams();
  return { scale: q.scale, zeroPoint: q.zeroPoint, quantMin: q.quantMin, quantMax: q.quantMax, axis: 0 };
}

/**
 * A copy of `model` (Linear, Conv2d, ReLU, MaxPool2d and Flatten steps) prepared for
 * quantization-aware training; the model itself is left as it was.
 * @example const qat = prepareQat(net, { weightBits: 4, activationBits: 4 }); fit(qat, trainset, { epochs: 1 }); const q = convert(qat)
 */
export function prepareQat(model: Module, options: QatOptions = {}): QatModel {
  if (!(model instanceof Module)) throw new Error(`prepareQat: expected a Module, got ${String(model)}`);
  const o: Required<QatOptions> = {
    weightBits: options.weightBits ?? 8,
    activationBits: options.activationBits ?? 8,
    perChannel: options.perChannel ?? true,
    reduceRange: options.reduceRange ?? true,
    averagingConstant: options.averagingConstant ?? 0.01,
  };
  if (![8, 4, 2].includes(o.weightBits)) throw new Error(`prepareQat: weightBits must be 8, 4 or 2, got ${String(o.weightBits)}`);
  if (![8, 4].includes(o.activationBits)) throw new Error(`prepareQat: activationBits must be 8 or 4, got ${String(o.activationBits)}`);
  const steps = model.steps();
  if (steps === null) throw new Error(`prepareQat: ${model.constructor.name} lists no steps (its forward is not a sequence of layers)`);
  const stages: QatStage[] = [];
  for (let i = 0; i < steps.length; i++) {
    const [name, layer] = steps[i];
    if (layer instanceof Linear || layer instanceof Conv2d) {
      const relu = steps[i + 1]?.[1] instanceof ReLU;
      if (relu) i++;
      stages.push({ kind: 'layer', name, layer: copyOf(layer), relu, output: activationObserver(o) });
    } else if (layer instanceof MaxPool2d) stages.push({ kind: 'pool', name, layer });
    else if (layer instanceof ReLU) stages.push({ kind: 'relu', name });
    else if (layer instanceof Flatten) stages.push({ kind: 'flatten', name });
    else throw new Error(`prepareQat: step ${name} is a ${layer.constructor.name}; QAT trains Linear, Conv2d, ReLU, MaxPool2d and Flatten`);
  }
  if (!stages.some((s) => s.kind === 'layer')) throw new Error(`prepareQat: ${model.constructor.name} has no Linear or Conv2d layer`);
  return new QatModel(stages, o);
}

function copyOf(layer: Linear | Conv2d): Linear | Conv2d {
  const rng = new Rng(0);
  const copy =
    layer instanceof Linear
      ? new Linear(layer.inFeatures, layer.outFeatures, { rng, bias: layer.bias !== null })
      : new Conv2d(layer.weight.shape[1], layer.weight.shape[0], [layer.weight.shape[2], layer.weight.shape[3]], {
          rng,
          stride: layer.stride,
          padding: layer.padding,
          bias: layer.bias !== null,
        });
  copy.loadStateDict(layer.stateDict());
  return copy;
}

/**
 * The static int8 model a QAT model trained for: each weight rounded to the grid it trained
 * on (int8 lanes hold 4- and 2-bit values), each activation's scale and zero point from its
 * moving average; the same integers as its fake-quantized forward in evaluation mode.
 * @example const q = convert(qat); evaluate(q, testset)
 */
export function convert(qat: QatModel): StaticQuantizedModel {
  if (!(qat instanceof QatModel)) throw new Error(`convert: expected a QatModel (from prepareQat), got ${String(qat)}`);
  if (qat.input.min === Infinity) throw new Error('convert: the QAT model has seen no data (train it, or run it in training mode, first)');
  // The grid it trained on, top included (4-bit activations end at 15, 7-bit at 127).
  const params = (q: QParams) => ({ scale: q.scale[0], zeroPoint: q.zeroPoint[0], quantMax: q.quantMax });
  const stages: StaticStage[] = qat.qatStages.map((s): StaticStage => {
    if (s.kind === 'pool') return { kind: 'pool', name: s.name, kernelSize: s.layer.kernelSize, stride: s.layer.stride };
    if (s.kind !== 'layer') return { kind: s.kind, name: s.name };
    const w = s.layer.weight;
    const g = weightGrid(w, qat.options);
    const rows = w.shape[0],
      cols = w.size / rows,
      span = g.scale.length > 1 ? cols : w.size;
    const q = Int8Array.from(w.data, (v, i) => {
      const sc = g.scale[Math.floor(i / span)];
      return Math.min(g.quantMax, Math.max(g.quantMin, roundHalfEven(Math.fround(v * Math.fround(1 / sc)))));
    });
    const weight = int8Weight(q, rows, cols, g.scale);
    const bias = s.layer.bias ? s.layer.bias.data.slice() : null;
    const output = params(s.output.qparams());
    if (s.layer instanceof Linear) return { kind: 'linear', name: s.name, weight, bias, output, relu: s.relu };
    const [OC, C, KH, KW] = w.shape;
    const { stride, padding } = s.layer;
    return { kind: 'conv', name: s.name, weight, bias, weightShape: [OC, C, KH, KW], stride, padding, output, relu: s.relu };
  });
  return new StaticQuantizedModel(params(qat.input.qparams()), stages);
}
