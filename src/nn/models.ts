import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultRng, rngOf } from './init.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU } from './layers.js';
import { Module, type Step } from './module.js';

/** The parameter-free steps the models share: they hold nothing, so one of each serves all. */
const RELU = new ReLU();
const FLATTEN = new Flatten();

/** Runs `steps` in order: the forward of every model below, as its `steps()` writes it. */
function runSteps(steps: readonly Step[], x: Tensor): Tensor {
  return steps.reduce((h, [, layer]) => layer.forward(h), x);
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

  /** flatten → fc1 → ReLU → fc2 → ReLU → … → fcN: a ReLU after every layer but the last. */
  override steps(): Step[] {
    const layers = this.namedChildren();
    const after = (i: number, name: string): Step[] => (i + 1 < layers.length ? [[`${name}.relu`, RELU]] : []);
    return [['flatten', FLATTEN], ...layers.flatMap(([name, layer], i): Step[] => [[name, layer], ...after(i, name)])];
  }

  forward(x: Tensor): Tensor {
    return runSteps(this.steps(), x);
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
   * conv1 → ReLU → pool → flatten → fc1 → ReLU → fc2, the notebook's forward. Its plan
   * (`plan`) runs conv1 and the pool as one pass that pools as it convolves, with the ReLU
   * on the pooled values (max and ReLU commute).
   */
  override steps(): Step[] {
    return [
      ['conv1', this.conv1],
      ['conv1.relu', RELU],
      ['pool', this.pool],
      ['flatten', FLATTEN],
      ['fc1', this.fc1],
      ['fc1.relu', RELU],
      ['fc2', this.fc2],
    ];
  }

  forward(x: Tensor): Tensor {
    return runSteps(this.steps(), x);
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

/** LeNet-5's 2 × 2 pooling, shared by both its convolutions. */
const POOL2 = new MaxPool2d(2, 2);

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

  /** conv1 → pool → conv2 → pool → flatten → fc1 → ReLU → fc2 (its plan pools each convolution as it runs). */
  override steps(): Step[] {
    return [
      ['conv1', this.conv1],
      ['pool1', POOL2],
      ['conv2', this.conv2],
      ['pool2', POOL2],
      ['flatten', FLATTEN],
      ['fc1', this.fc1],
      ['fc1.relu', RELU],
      ['fc2', this.fc2],
    ];
  }

  forward(x: Tensor): Tensor {
    return runSteps(this.steps(), x);
  }
}
