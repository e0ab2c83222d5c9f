import type { MaxPool2dOptions } from '../tensor/ops/conv.js';
import { relu } from '../tensor/ops/elementwise.js';
import { type SparseStage, sparseChain } from '../tensor/ops/sparse.js';
import type { Tensor } from '../tensor/tensor.js';
import { MaxPool2d, ReLU } from './layers.js';
import { Module, type Step } from './module.js';

/**
 * A model's forward, planned for speed: the steps its `steps()` lists (the math, as the
 * notebook writes it) with the runs that have a fused kernel joined into one stage. The
 * values are the same; only the work is less. `fit`, `evaluate`, the latency measures and
 * `precomputeLogits` run models through their plan, so training keeps its fused paths
 * (whose backward visits only the pooling winners); a model's own `forward` stays the
 * plain reading. The fusions:
 * - a layer that can apply the ReLU as it stores its output (`forwardRelu`: Linear in its
 *   product's epilogue, an int8 layer while scaling its sums back, a factorized or sparse
 *   layer) followed by ReLU;
 * - a convolution that can pool its own output (`forwardMaxPool`) followed by MaxPool2d,
 *   with a ReLU before or after the pool: max and ReLU commute (ReLU is monotone), so the
 *   ReLU runs on the pooled values, 25× fewer for the teacher;
 * - two or more sparse layers in a row (each with its ReLU): one `sparseChain`, the batch
 *   kept transposed from the first layer to the last.
 */

/** A layer that can compute relu(forward(x)) in one pass; a plan fuses it with the ReLU after it. */
export interface FusesRelu {
  /** relu(forward(x)), the same values in one pass. */
  forwardRelu(x: Tensor): Tensor;
}

/** A layer that can compute maxPool2d(forward(x), pool) in one pass; a plan fuses it with the MaxPool2d after it. */
export interface FusesMaxPool {
  /** maxPool2d(forward(x), pool), the same values in one pass. */
  forwardMaxPool(x: Tensor, pool: MaxPool2dOptions): Tensor;
}

/** A layer that can be one link of a chain of sparse layers (a SparseLinear). */
interface SparseChainLink {
  csrStage(): Omit<SparseStage, 'relu'>;
}

const fusesRelu = (m: Module): m is Module & FusesRelu => typeof (m as Partial<FusesRelu>).forwardRelu === 'function';
const fusesMaxPool = (m: Module): m is Module & FusesMaxPool => typeof (m as Partial<FusesMaxPool>).forwardMaxPool === 'function';
const chainLink = (m: Module | undefined): m is Module & SparseChainLink =>
  m !== undefined && typeof (m as Partial<SparseChainLink>).csrStage === 'function';

/** One stage of a plan: what it runs, and the steps of the model it stands for. */
export interface Stage {
  /** The names of the steps it fuses, e.g. `['conv1', 'conv1.relu', 'pool']`. */
  steps: string[];
  /** Runs the stage on the output of the one before. */
  run: (x: Tensor) => Tensor;
}

/** The sparse layers from `i` on, each with the ReLU after it: how many steps they span, and the chain. */
function sparseRunAt(steps: readonly Step[], i: number): { length: number; stages: SparseStage[] } {
  const stages: SparseStage[] = [];
  let j = i;
  while (chainLink(steps[j]?.[1])) {
    const withRelu = steps[j + 1]?.[1] instanceof ReLU;
    stages.push({ ...(steps[j][1] as unknown as SparseChainLink).csrStage(), relu: withRelu });
    j += withRelu ? 2 : 1;
    if (!withRelu) break;
  }
  return { length: j - i, stages };
}

/** The stage that starts at step `i`, fused where a rule above applies. */
function stageAt(steps: readonly Step[], i: number): Stage {
  const names = (n: number): string[] => steps.slice(i, i + n).map(([name]) => name);
  const [, layer] = steps[i];
  const next = steps[i + 1]?.[1],
    after = steps[i + 2]?.[1];
  const chain = sparseRunAt(steps, i);
  if (chain.stages.length > 1) return { steps: names(chain.length), run: (x) => sparseChain(x, chain.stages) };
  if (fusesMaxPool(layer)) {
    const poolAt = next instanceof MaxPool2d ? 1 : next instanceof ReLU && after instanceof MaxPool2d ? 2 : 0;
    if (poolAt > 0) {
      const pool = steps[i + poolAt][1] as MaxPool2d;
      const options = { kernelSize: pool.kernelSize, stride: pool.stride };
      const reluAfter = poolAt === 1 && after instanceof ReLU;
      if (poolAt === 2 || reluAfter) return { steps: names(3), run: (x) => relu(layer.forwardMaxPool(x, options)) };
      return { steps: names(2), run: (x) => layer.forwardMaxPool(x, options) };
    }
  }
  if (fusesRelu(layer) && next instanceof ReLU) return { steps: names(2), run: (x) => layer.forwardRelu(x) };
  return { steps: names(1), run: (x) => layer.forward(x) };
}

/**
 * The stages of `model`'s forward: its `steps()` with every fusion above applied, in order;
 * a model without steps is one stage, its own forward.
 * @example plan(new SimpleNet()).map((s) => s.steps.join(' ')) // ['flatten', 'fc1 fc1.relu', 'fc2 fc2.relu', 'fc3 fc3.relu', 'fc4']
 */
export function plan(model: Module): Stage[] {
  if (!(model instanceof Module)) throw new Error(`plan: expected a Module, got ${String(model)}`);
  const steps = model.steps();
  if (steps === null) return [{ steps: [model.constructor.name], run: (x) => model.forward(x) }];
  const stages: Stage[] = [];
  for (let i = 0; i < steps.length; i += stages[stages.length - 1].steps.length) stages.push(stageAt(steps, i));
  return stages;
}

/**
 * Each model's plan, with the children it was made from: a model's steps are made of its
 * children, so the plan holds while they are the same objects (a compressed layer swapped
 * in makes a new one). Checking the children, not the steps, keeps the check cheap: it
 * runs on every call, and at batch 1 a whole forward pass takes tens of microseconds.
 */
const plans = new WeakMap<Module, { children: Module[]; stages: Stage[] }>();

/**
 * `model` on `x` through its plan (made once, and again when its layers change): what
 * training, evaluation and the latency measures run.
 * @example const logits = runPlanned(net, images) // the same values as net.forward(images)
 */
export function runPlanned(model: Module, x: Tensor): Tensor {
  const children = model.namedChildren();
  let cached = plans.get(model);
  if (!cached || cached.children.length !== children.length || children.some(([, m], i) => m !== cached!.children[i])) {
    cached = { children: children.map(([, m]) => m), stages: plan(model) };
    plans.set(model, cached);
  }
  let h = x;
  for (const stage of cached.stages) h = stage.run(h);
  return h;
}
