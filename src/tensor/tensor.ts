import { type GradNode, runBackward } from './autograd.js';
import type { Rng } from './random.js';
import { checkShape, fmt, type Shape, sizeOf } from './shape.js';

/** Options when making a tensor. */
export interface TensorOptions {
  /** Record operations on this tensor so that `backward()` can fill its `grad`. */
  requiresGrad?: boolean;
}

/**
 * A dense row-major float32 tensor: a `Float32Array` plus a `shape`.
 *
 * Operations are free functions (`add(a, b)`, `matmul(a, b)`, ...); when any input
 * requires a gradient they record a node, and `loss.backward()` walks those nodes in
 * reverse to fill `grad` on every tensor that asked for one.
 *
 * @example
 * const w = Tensor.from([1, 2, 3], [3], { requiresGrad: true });
 * sum(mul(w, w)).backward(); // w.grad = [2, 4, 6]
 */
export class Tensor {
  /** The values, row-major; `reshape` views share it. */
  readonly data: Float32Array;
  /** The size of each dimension, e.g. `[64, 1, 28, 28]`; `[]` for a scalar. */
  readonly shape: Shape;
  /** Whether ops record how this tensor is used, so that `backward()` fills its `grad`. */
  requiresGrad: boolean;
  /** Gradient of the last `backward()` loss with respect to this tensor, same shape. */
  grad: Tensor | null = null;
  /**
   * How this tensor was computed; null for leaves and once the graph is freed.
   * @internal
   */
  node: GradNode | null = null;

  constructor(data: Float32Array, shape: Shape, options: TensorOptions = {}) {
    checkShape('Tensor', shape);
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor: ${data.length} values do not fill shape ${fmt(shape)} (${sizeOf(shape)} values)`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = options.requiresGrad ?? false;
  }

  /** Tensor from any array of numbers (copied), e.g. `Tensor.from([1, 2, 3, 4], [2, 2])`. */
  static from(values: ArrayLike<number>, shape: Shape = [values.length], options?: TensorOptions): Tensor {
    return new Tensor(Float32Array.from(values), shape, options);
  }

  /** A scalar tensor (shape `[]`). */
  static scalar(value: number, options?: TensorOptions): Tensor {
    return new Tensor(Float32Array.of(value), [], options);
  }

  /** All zeros. */
  static zeros(shape: Shape, options?: TensorOptions): Tensor {
    checkShape('zeros', shape);
    return new Tensor(new Float32Array(sizeOf(shape)), shape, options);
  }

  /** All ones. */
  static ones(shape: Shape, options?: TensorOptions): Tensor {
    return Tensor.full(shape, 1, options);
  }

  /** Every element set to `value`. */
  static full(shape: Shape, value: number, options?: TensorOptions): Tensor {
    checkShape('full', shape);
    return new Tensor(new Float32Array(sizeOf(shape)).fill(value), shape, options);
  }

  /** Uniform in [low, high), drawn from `rng`. */
  static uniform(shape: Shape, low: number, high: number, rng: Rng, options?: TensorOptions): Tensor {
    checkShape('uniform', shape);
    const data = new Float32Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = rng.uniformRange(low, high);
    return new Tensor(data, shape, options);
  }

  /** Normal N(mean, std²), drawn from `rng`. */
  static randn(shape: Shape, rng: Rng, std = 1, mean = 0, options?: TensorOptions): Tensor {
    checkShape('randn', shape);
    const data = new Float32Array(sizeOf(shape));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.normal();
    return new Tensor(data, shape, options);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.data.length} elements, not 1`);
    return this.data[0];
  }

  /** A copy of the values as a plain array. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** A tensor on the same storage that records no history (gradients stop here). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A deep copy: new storage, no history, no gradient. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, { requiresGrad: this.requiresGrad });
  }

  /**
   * Back-propagates from this tensor: fills `grad` on every tensor it was computed from
   * that has `requiresGrad`. A scalar is seeded with 1; any other shape needs `gradient`.
   * The graph is freed afterwards.
   */
  backward(gradient?: Tensor): void {
    runBackward(this, gradient);
  }

  /** `Tensor([2, 3], [1, 2, 3, 4, 5, 6])`: the shape and the first eight values. */
  toString(): string {
    const head = Array.from(this.data.subarray(0, 8), (v) => +v.toFixed(4)).join(', ');
    return `Tensor(${fmt(this.shape)}, [${head}${this.size > 8 ? ', ...' : ''}])`;
  }
}
