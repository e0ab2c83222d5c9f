import type { StateDict } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Base of the optimizers: a list of parameters, `zeroGrad()`, `step()`, saveable state.
 * @example const opt = new Adam(net.parameters()); opt.zeroGrad(); loss.backward(); opt.step();
 */
export abstract class Optimizer {
  /** The tensors this optimizer steps. */
  readonly params: Tensor[];
  /** Number of `step()` calls so far. */
  stepCount = 0;

  constructor(params: Iterable<Tensor>) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    this.params.forEach((p, i) => {
      if (!p.requiresGrad) throw new Error(`${this.constructor.name}: parameter ${i} does not require a gradient`);
    });
  }

  /** Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Updates every parameter that has a gradient. */
  abstract step(): void;

  /** The optimizer's per-parameter buffers, named `<index>.<buffer>`, plus the step count. */
  stateDict(): StateDict {
    const out: StateDict = new Map();
    out.set('step', { dtype: 'I32', shape: [], data: Int32Array.of(this.stepCount) });
    this.buffers().forEach((named, i) => {
      for (const [name, data] of Object.entries(named)) out.set(`${i}.${name}`, { dtype: 'F32', shape: [data.length], data });
    });
    return out;
  }

  /** Restores state saved by `stateDict()` from an optimizer over parameters of the same sizes. */
  loadStateDict(state: StateDict): void {
    const step = state.get('step');
    if (step?.data.length !== 1) throw new Error(`${this.constructor.name}.loadStateDict: missing 'step'`);
    const buffers = this.buffers();
    buffers.forEach((named, i) => {
      for (const [name, data] of Object.entries(named)) {
        const entry = state.get(`${i}.${name}`);
        if (!entry || entry.data.length !== data.length) {
          throw new Error(`${this.constructor.name}.loadStateDict: buffer '${i}.${name}' is missing or has the wrong size`);
        }
      }
    });
    this.stepCount = step.data[0];
    buffers.forEach((named, i) => {
      for (const [name, data] of Object.entries(named)) data.set(state.get(`${i}.${name}`)!.data);
    });
  }

  /** Per-parameter state arrays, one record per parameter in `params` order. */
  protected abstract buffers(): Record<string, Float32Array>[];
}
