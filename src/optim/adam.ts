import type { StateDict } from '../nn/module.js';
import { kernels } from '../tensor/kernels/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';

/** Adam's hyper-parameters; the defaults are PyTorch's. */
export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates (β1, β2) of the first and second moment averages (default [0.9, 0.999]). */
  betas?: [number, number];
  /** Added to √v̂ in the denominator (default 1e-8). */
  eps?: number;
  /** L2 penalty added to the gradient (as PyTorch's Adam, not AdamW). */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba), with PyTorch's semantics: bias-corrected moments, eps 1e-8 added
 * after the square root, and a step count per parameter, so a parameter that had no
 * gradient at some step is corrected for the steps it really took. Its first step moves
 * every weight by lr·sign(g) (up to eps).
 * @example const opt = new Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends Optimizer {
  /** Learning rate. */
  readonly lr: number;
  /** Decay of the first moment (mean of gradients). */
  readonly beta1: number;
  /** Decay of the second moment (mean of squared gradients). */
  readonly beta2: number;
  /** Added to √v̂ in the denominator. */
  readonly eps: number;
  /** L2 penalty added to each gradient (0: none). */
  readonly weightDecay: number;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  /** Steps each parameter has taken (PyTorch's `state[p]['step']`). */
  private readonly steps: Int32Array;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params);
    this.lr = options.lr ?? 1e-3;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    if (!(this.lr > 0)) throw new Error(`Adam: lr must be > 0, got ${this.lr}`);
    if (!(this.beta1 >= 0 && this.beta1 < 1 && this.beta2 >= 0 && this.beta2 < 1)) {
      throw new Error(`Adam: betas must lie in [0, 1), got ${this.beta1}, ${this.beta2}`);
    }
    if (!(this.eps >= 0) || !(this.weightDecay >= 0)) throw new Error('Adam: eps and weightDecay must be ≥ 0');
    // The moments live where the active backend's Adam kernel reads them without a copy.
    this.m = this.params.map((p) => kernels.allocState(p.size));
    this.v = this.params.map((p) => kernels.allocState(p.size));
    this.steps = new Int32Array(this.params.length);
  }

  step(): void {
    this.stepCount++;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const t = ++this.steps[i];
      kernels.adamStep(p.data, p.grad.data, this.m[i], this.v[i], this.lr, this.beta1, this.beta2, this.eps, t, this.weightDecay);
    });
  }

  /** The steps each parameter has taken, in `params` order. */
  parameterSteps(): number[] {
    return [...this.steps];
  }

  /** Adds each parameter's own step count, `<index>.step`, to the buffers. */
  override stateDict(): StateDict {
    const out = super.stateDict();
    this.steps.forEach((t, i) => {
      out.set(`${i}.step`, { dtype: 'I32', shape: [], data: Int32Array.of(t) });
    });
    return out;
  }

  /** Restores the buffers and the step counts (a state without per-parameter counts gives each the global one). */
  override loadStateDict(state: StateDict): void {
    const counts = this.params.map((_, i) => state.get(`${i}.step`));
    if (counts.some((c) => c !== undefined && (c.data.length !== 1 || !(c.data[0] >= 0))))
      throw new Error('Adam.loadStateDict: a parameter step count is not one integer ≥ 0');
    super.loadStateDict(state);
    counts.forEach((c, i) => {
      this.steps[i] = c ? c.data[0] : this.stepCount;
    });
  }

  protected buffers(): Record<string, Float32Array>[] {
    return this.params.map((_, i) => ({ exp_avg: this.m[i], exp_avg_sq: this.v[i] }));
  }
}
