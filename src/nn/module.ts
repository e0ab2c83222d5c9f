import { fmt, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** A named array in a state dict: float32 parameters, or other dtypes for compressed layers. */
export interface StateEntry {
  /** F16 holds raw half-precision bit patterns in a Uint16Array (see io/float16.ts). */
  dtype: 'F32' | 'F64' | 'F16' | 'I8' | 'U8' | 'U16' | 'I32';
  /** The size of each dimension. */
  shape: readonly number[];
  /** The values, row-major, in the array type of `dtype`. */
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Uint16Array | Int32Array;
}

/** Names → arrays, in registration order; what `stateDict()` returns and safetensors stores. */
export type StateDict = Map<string, StateEntry>;

/** One step of a model's forward: its name (`fc1`, `fc1.relu`) and the layer that computes it. */
export type Step = [name: string, layer: Module];

/**
 * Base class of every layer and model, as PyTorch's `nn.Module`.
 *
 * A module's parameters are its own fields that hold a `Tensor` with `requiresGrad`
 * (buffers: Tensor fields without it), and its children are its fields that hold a
 * `Module`, in the order the constructor assigned them. Names join with dots, so an MLP
 * has `fc1.weight`, `fc1.bias`, ... exactly as in the notebook. Swapping a layer for a
 * compressed one is an assignment: `model.fc3 = factorized`.
 * @example
 * class TwoLayer extends Module {
 *   fc1 = new Linear(784, 64);
 *   fc2 = new Linear(64, 10);
 *   forward(x: Tensor) { return this.fc2.forward(relu(this.fc1.forward(flatten(x)))); }
 * }
 */
export abstract class Module {
  /** True while training (the default), false after `eval()`. */
  training = true;

  /** Runs the module on a batch. */
  abstract forward(x: Tensor): Tensor;

  /**
   * The forward as a list of steps, in order, when the module is a chain of layers (the
   * notebook's models, Sequential); null otherwise. `plan` fuses its runs and the ONNX
   * exporter writes it, so the model's math is written once.
   */
  steps(): Step[] | null {
    return null;
  }

  /** Direct children, as [name, module]. */
  namedChildren(): [string, Module][] {
    return Object.entries(this).filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  /**
   * Replaces the direct child `name` (as `namedChildren` names it) with `module`: how a
   * layer is swapped for its compressed twin. A container that keeps its children
   * elsewhere (Sequential's list) overrides this with `namedChildren`.
   */
  setChild(name: string, module: Module): void {
    if (!this.namedChildren().some(([n]) => n === name)) throw new Error(`${this.constructor.name}.setChild: there is no child '${name}'`);
    (this as unknown as Record<string, Module>)[name] = module;
  }

  /** Tensors held directly by this module (not its children), as [name, tensor]. */
  ownTensors(): [string, Tensor][] {
    return Object.entries(this).filter((e): e is [string, Tensor] => e[1] instanceof Tensor);
  }

  /** Every module in the tree, this one first, with dotted names ('' for the root). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(join(prefix, name)));
    return out;
  }

  /** Every trainable tensor in the tree with its dotted name, e.g. `fc1.weight`. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of m.ownTensors()) if (t.requiresGrad) out.push([join(prefix, name), t]);
    }
    return out;
  }

  /** Every trainable tensor in the tree. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /**
   * Total number of parameters: stored weights and biases of every module. For dense
   * layers that is the elements of their trainable tensors; compressed layers count what
   * they store (a sparse layer its non-zeros), via `ownParameterCount`.
   */
  numParameters(): number {
    return this.namedModules().reduce((n, [, m]) => n + m.ownParameterCount(), 0);
  }

  /** Parameters held by this module itself (not its children). */
  ownParameterCount(): number {
    return this.ownTensors().reduce((n, [, t]) => n + (t.requiresGrad ? t.size : 0), 0);
  }

  /** Switches this module and all children to training (true) or evaluation (false) mode. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Every tensor of the tree (parameters and buffers) by dotted name. Entries share
   * storage with the module; copy before changing them.
   */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, entry] of m.ownState()) out.set(join(prefix, name), entry);
    }
    return out;
  }

  /**
   * Copies values from `state` into this module's tensors. Every name must be present with
   * the same dtype and shape, and no name may be left over; otherwise nothing is changed
   * and the error lists what differs.
   */
  loadStateDict(state: StateDict): void {
    const problems: string[] = [];
    const targets: [StateEntry, StateEntry][] = [];
    const own = this.stateDict();
    for (const [name, mine] of own) {
      const given = state.get(name);
      if (!given) problems.push(`missing tensor '${name}'`);
      else if (given.dtype !== mine.dtype) problems.push(`'${name}' has dtype ${given.dtype}, expected ${mine.dtype}`);
      else if (!shapesEqual(given.shape, mine.shape)) problems.push(`'${name}' has shape ${fmt(given.shape)}, expected ${fmt(mine.shape)}`);
      else targets.push([mine, given]);
    }
    for (const name of state.keys()) if (!own.has(name)) problems.push(`unexpected tensor '${name}'`);
    if (problems.length > 0) throw new Error(`loadStateDict: ${problems.join('; ')}`);
    for (const [mine, given] of targets) mine.data.set(given.data);
  }

  /** This module's own state entries; layers with non-float storage override it. */
  protected ownState(): [string, StateEntry][] {
    return this.ownTensors().map(([name, t]) => [name, { dtype: 'F32', shape: t.shape, data: t.data }]);
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}
