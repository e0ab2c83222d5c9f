import { keepGradInPlace } from '../tensor/autograd.js';
import { kernels } from '../tensor/kernels/index.js';
import { Rng } from '../tensor/random.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

let globalRng = new Rng(0);

/**
 * Reseeds the generator that layers use when no `rng` is passed (as `torch.manual_seed`).
 * @example manualSeed(0); const a = new Linear(4, 2); manualSeed(0); const b = new Linear(4, 2) // same weights
 */
export function manualSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new Error(`manualSeed: seed must be a finite number, got ${String(seed)}`);
  globalRng = new Rng(seed);
}

/** The generator layers draw from when none is passed. */
export function defaultRng(): Rng {
  return globalRng;
}

/** `rng` when it is an Rng (or absent: the global one); otherwise an error naming `from` and what was given. */
export function rngOf(from: string, rng: unknown): Rng {
  if (rng === undefined) return globalRng;
  if (!(rng instanceof Rng))
    throw new Error(`${from}: rng must be an Rng (e.g. new Rng(0)), got ${typeof rng === 'object' ? JSON.stringify(rng) : String(rng)}`);
  return rng;
}

/**
 * PyTorch's default weight init for Linear and Conv2d: kaiming_uniform with a = √5,
 * which works out to U(−1/√fan_in, 1/√fan_in). Returns a trainable tensor.
 */
export function kaimingUniform(shape: Shape, fanIn: number, rng: Rng): Tensor {
  const gain = Math.sqrt(2 / (1 + 5)); // leaky-ReLU gain for a = √5
  const bound = gain * Math.sqrt(3 / fanIn);
  return parameter(Tensor.uniform(shape, -bound, bound, rng));
}

/** PyTorch's default bias init: U(−1/√fan_in, 1/√fan_in). Returns a trainable tensor. */
export function biasUniform(size: number, fanIn: number, rng: Rng): Tensor {
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return parameter(Tensor.uniform([size], -bound, bound, rng));
}

/**
 * `values` as a trainable tensor whose storage lives where the kernels work fastest
 * (`allocState`: in wasm memory on the wasm backend, a plain array on js), so the products
 * of every step read the weights, and Adam updates them, where they are instead of copying
 * them in and out on each call. The storage is the tensor's for its whole life: loading a
 * state dict copies into it, and it is given back when the tensor is garbage. Its
 * gradient lives there too, written in place by the backwards (`keepGradInPlace`).
 */
export function parameter(values: Tensor): Tensor {
  const data = kernels.allocState(values.size);
  data.set(values.data);
  const p = new Tensor(data, values.shape, { requiresGrad: true });
  keepGradInPlace(p);
  return p;
}
