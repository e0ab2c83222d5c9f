import type { Tensor } from '../tensor/tensor.js';
import { Optimizer } from './optimizer.js';

/** SGD's hyper-parameters; the defaults are PyTorch's (except lr, which PyTorch requires). */
export interface SgdOptions {
  /** Learning rate. */
  lr: number;
  /** Momentum factor μ (default 0: plain SGD). */
  momentum?: number;
  /** Dampening of the momentum buffer's new gradient (default 0). */
  dampening?: number;
  /** L2 penalty added to each gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
}

/**
 * Stochastic gradient descent with optional momentum, as PyTorch's `optim.SGD`:
 * g ← g + wd·p;  b ← μ·b + (1−dampening)·g (b = g on the first step);
 * g ← nesterov ? g + μ·b : b;  p ← p − lr·g.
 * @example new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })
 */
export class SGD extends Optimizer {
  /** Learning rate. */
  readonly lr: number;
  /** Momentum factor μ. */
  readonly momentum: number;
  /** Dampening of the momentum buffer's new gradient. */
  readonly dampening: number;
  /** L2 penalty added to each gradient. */
  readonly weightDecay: number;
  /** Whether the step uses Nesterov momentum. */
  readonly nesterov: boolean;
  private readonly velocity: Float32Array[];
  private started: boolean[];

  constructor(params: Iterable<Tensor>, options: SgdOptions) {
    super(params);
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (!(this.lr > 0)) throw new Error(`SGD: lr must be > 0, got ${this.lr}`);
    if (!(this.momentum >= 0) || !(this.weightDecay >= 0)) throw new Error('SGD: momentum and weightDecay must be ≥ 0');
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0)) throw new Error('SGD: nesterov needs momentum > 0 and dampening 0');
    this.velocity = this.params.map((p) => new Float32Array(this.momentum > 0 ? p.size : 0));
    this.started = this.params.map(() => false);
  }

  step(): void {
    this.stepCount++;
    const { lr, momentum: mu, dampening, weightDecay: wd, nesterov } = this;
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const P = p.data,
        G = p.grad.data,
        B = this.velocity[i];
      const first = !this.started[i];
      this.started[i] = true;
      for (let k = 0; k < P.length; k++) {
        let g = wd !== 0 ? G[k] + wd * P[k] : G[k];
        if (mu !== 0) {
          B[k] = first ? g : mu * B[k] + (1 - dampening) * g;
          g = nesterov ? g + mu * B[k] : B[k];
        }
        P[k] -= lr * g;
      }
    });
  }

  override loadStateDict(...args: Parameters<Optimizer['loadStateDict']>): void {
    super.loadStateDict(...args);
    this.started = this.params.map(() => this.stepCount > 0);
  }

  protected buffers(): Record<string, Float32Array>[] {
    return this.momentum !== 0 ? this.velocity.map((b) => ({ momentum_buffer: b })) : this.params.map(() => ({}));
  }
}
