import { maxPool2d, type MaxPool2dOptions } from '../tensor/ops/conv.js';
import { relu } from '../tensor/ops/elementwise.js';
import { sparseChain, type SparseStage } from '../tensor/ops/sparse.js';
import { flatten } from '../tensor/ops/view.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { defaultRng, rngOf } from './init.js';
import { Conv2d, Linear, MaxPool2d, type FusesMaxPool } from './layers.js';
import { Module } from './module.js';

/** A layer that can compute relu(forward(x)) in one pass. */
export interface FusesRelu {
  forwardRelu(x: Tensor): Tensor;
}

/** relu(layer.forward(x)), in one pass where the layer can apply the ReLU itself (a Linear in its product's epilogue, an int8 layer while scaling its sums back). */
export function forwardRelu(layer: Module, x: Tensor): Tensor {
  const fused = (layer as Partial<FusesRelu>).forwardRelu;
  return typeof fused === 'function' ? fused.call(layer, x) : relu(layer.forward(x));
}

/** maxPool2d(layer.forward(x), pool), in one pass where the layer can pool its own output (a Conv2d through `conv2dMaxPool`, an int8 one by pooling its integer sums). */
export function forwardMaxPool(layer: Module, x: Tensor, pool: MaxPool2dOptions): Tensor {
  const fused = (layer as Partial<FusesMaxPool>).forwardMaxPool;
  return typeof fused === 'function' ? fused.call(layer, x, pool) : maxPool2d(layer.forward(x), pool);
}

/** A layer that can be one link of a chain of sparse layers (a SparseLinear). */
export interface SparseChainLink {
  csrStage(): Omit<SparseStage, 'relu'>;
}

/** How many layers from `start` on can run as one sparse chain. */
function sparseRun(layers: Module[], start: number): number {
  let end = start;
  while (end < layers.length && typeof (layers[end] as Partial<SparseChainLink>).csrStage === 'function') end++;
  return end - start;
}

/**
 * A multi-layer perceptron with ReLU between layers, named as in the notebook:
 * `fc1 … fcN`. Input `[N, ...]` is flattened first.
 * `SimpleNet` and `StudentNet` below are the notebook's two.
 * @example new MLP([784, 300, 100, 10]).forward(images) // [64, 1, 28, 28] → [64, 10]
 */
export class MLP extends Module {
  /** Widths of the layers, input first: `[784, 512, 256, 128, 10]` for SimpleNet. */
  readonly sizes: readonly number[];

  constructor(sizes: readonly number[], rng: Rng = defaultRng()) {
    super();
    if (!Array.isArray(sizes)) throw new Error(`MLP: sizes must be a list of layer widths, got ${String(sizes)}`);
    rng = rngOf(this.constructor.name, rng);
    this.sizes = [...sizes];
    if (sizes.length < 2) throw new Error(`MLP: needs at least input and output sizes, got [${sizes.join(', ')}]`);
    for (let i = 0; i + 1 < sizes.length; i++) {
      (this as unknown as Record<string, Module>)[`fc${i + 1}`] = new Linear(sizes[i], sizes[i + 1], { rng });
    }
  }

  /** The fully connected layers in order (whatever module currently sits at each `fcN`). */
  get layers(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** Puts `layer` at `fc{index + 1}` (e.g. a compressed twin of the layer there). */
  setLayer(index: number, layer: Module): void {
    const name = `fc${index + 1}`;
    if (!(this as unknown as Record<string, unknown>)[name]) throw new Error(`MLP.setLayer: there is no layer ${name}`);
    this.setChild(name, layer);
  }

  /** An independent copy (same weights, own storage) of this MLP while its layers are dense `Linear`s. */
  clone(): MLP {
    const copy = new MLP(this.sizes, new Rng(0));
    copy.loadStateDict(this.stateDict());
    return copy;
  }

  /**
   * Each layer with a ReLU after all but the last. Consecutive sparse layers run as one
   * `sparseChain` (the same values; the batch stays transposed from the first to the last).
   */
  forward(x: Tensor): Tensor {
    const layers = this.layers;
    let h = flatten(x, 1);
    for (let i = 0; i < layers.length;) {
      const run = sparseRun(layers, i);
      if (run > 1) {
        h = sparseChain(h, layers.slice(i, i + run).map((l, k) => ({ ...(l as unknown as SparseChainLink).csrStage(), relu: i + k + 1 < layers.length })));
        i += run;
        continue;
      }
      h = i + 1 < layers.length ? forwardRelu(layers[i], h) : layers[i].forward(h);
      i++;
    }
    return h;
  }
}

/**
 * The notebook's teacher CNN (TeacherNet): conv1 = Conv2d(1→32, k5), ReLU, MaxPool(5),
 * fc1 = Linear(512→128), ReLU, fc2 = Linear(128→10). 67,786 parameters.
 * Input `[N, 1, 28, 28]` → logits `[N, 10]`.
 * @example const teacher = new TeacherNet(new Rng(0)); teacher.forward(images) // [64, 1, 28, 28] → [64, 10]
 */
export class TeacherNet extends Module {
  /** Conv2d(1 → 32, 5 × 5): `[N, 1, 28, 28]` → `[N, 32, 24, 24]`. */
  conv1: Module;
  /** MaxPool2d(5): `[N, 32, 24, 24]` → `[N, 32, 4, 4]`. */
  pool: Module;
  /** Linear(512 → 128). */
  fc1: Module;
  /** Linear(128 → 10): the logits. */
  fc2: Module;

  constructor(rng: Rng = defaultRng()) {
    super();
    rng = rngOf('TeacherNet', rng);
    this.conv1 = new Conv2d(1, 32, 5, { rng });
    this.pool = new MaxPool2d(5, 5);
    this.fc1 = new Linear(32 * 4 * 4, 128, { rng });
    this.fc2 = new Linear(128, 10, { rng });
  }

  /** An independent copy (same weights, own storage) of this TeacherNet while its layers are the float ones. */
  clone(): TeacherNet {
    const copy = new TeacherNet(new Rng(0));
    copy.loadStateDict(this.stateDict());
    return copy;
  }

  /**
   * conv1 → ReLU → max-pool → fc1 → ReLU → fc2. ReLU is applied after the pooling: max and
   * ReLU commute (ReLU is monotone), so the result and its gradient are the same, and the
   * ReLU touches 25× fewer values (4×4 per channel instead of 24×24). When conv1 can pool
   * its own output (the float Conv2d through `conv2dMaxPool`, whose backward visits only
   * the pooled winners; the int8 one by pooling its integer sums) and pool is a plain
   * MaxPool2d, the two run as one pass.
   */
  forward(x: Tensor): Tensor {
    const { conv1, pool } = this;
    let h = pool instanceof MaxPool2d
      ? forwardMaxPool(conv1, x, { kernelSize: pool.kernelSize, stride: pool.stride })
      : pool.forward(conv1.forward(x));
    h = relu(h);
    h = forwardRelu(this.fc1, flatten(h, 1));
    return this.fc2.forward(h);
  }
}

/**
 * The notebook's SimpleNet: the MLP 784-512-256-128-10 that its sections 2–5 train and
 * compress (566,528 weights, 567,434 parameters). Input `[N, 1, 28, 28]` → logits `[N, 10]`.
 * @example const net = new SimpleNet(new Rng(0)); net.forward(images) // [64, 1, 28, 28] → [64, 10]
 */
export class SimpleNet extends MLP {
  /** Its widths, input first. */
  static readonly SIZES = [784, 512, 256, 128, 10] as const;

  constructor(rng: Rng = defaultRng()) {
    super(SimpleNet.SIZES, rng);
  }
}

/**
 * The notebook's StudentNet, the MLP 784-128-10 that distillation trains (101,770
 * parameters). Input `[N, 1, 28, 28]` → logits `[N, 10]`.
 * @example const student = new StudentNet(new Rng(100))
 */
export class StudentNet extends MLP {
  /** Its widths, input first. */
  static readonly SIZES = [784, 128, 10] as const;

  constructor(rng: Rng = defaultRng()) {
    super(StudentNet.SIZES, rng);
  }
}

/**
 * LeNet-300-100 (LeCun et al. 1998), the MLP 784-300-100-10 of Deep Compression's Table 1
 * (266,610 parameters). Input `[N, 1, 28, 28]` → logits `[N, 10]`.
 * @example const net = new LeNet300100(new Rng(0))
 */
export class LeNet300100 extends MLP {
  /** Its widths, input first. */
  static readonly SIZES = [784, 300, 100, 10] as const;

  constructor(rng: Rng = defaultRng()) {
    super(LeNet300100.SIZES, rng);
  }
}

/**
 * LeNet-5 as Caffe's MNIST example defines it (and Deep Compression prunes it): conv1 =
 * Conv2d(1→20, k5), MaxPool(2), conv2 = Conv2d(20→50, k5), MaxPool(2), fc1 = Linear(800→500),
 * ReLU, fc2 = Linear(500→10). No ReLU after the convolutions, as in Caffe. 431,080 parameters.
 * Input `[N, 1, 28, 28]` → logits `[N, 10]`.
 * @example const net = new LeNet5(new Rng(0)); net.numParameters() // 431,080
 */
export class LeNet5 extends Module {
  /** Conv2d(1 → 20, 5 × 5), pooled by 2: `[N, 1, 28, 28]` → `[N, 20, 12, 12]`. */
  conv1: Module;
  /** Conv2d(20 → 50, 5 × 5), pooled by 2: → `[N, 50, 4, 4]`. */
  conv2: Module;
  /** Linear(800 → 500). */
  fc1: Module;
  /** Linear(500 → 10): the logits. */
  fc2: Module;

  constructor(rng: Rng = defaultRng()) {
    super();
    rng = rngOf('LeNet5', rng);
    this.conv1 = new Conv2d(1, 20, 5, { rng });
    this.conv2 = new Conv2d(20, 50, 5, { rng });
    this.fc1 = new Linear(50 * 4 * 4, 500, { rng });
    this.fc2 = new Linear(500, 10, { rng });
  }

  /** conv1 → pool → conv2 → pool → fc1 → ReLU → fc2; each convolution pools its own output where it can. */
  forward(x: Tensor): Tensor {
    const pool = { kernelSize: 2, stride: 2 };
    const h = forwardMaxPool(this.conv2, forwardMaxPool(this.conv1, x, pool), pool);
    return this.fc2.forward(forwardRelu(this.fc1, flatten(h, 1)));
  }
}
