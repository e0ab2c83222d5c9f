import { weightedLayers } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/** Whether a target sparsity applies to each layer alone or to all layers' weights pooled. */
export type PruneScope = 'layer' | 'global';

/** One weight a Pruner prunes, with its mask. */
export interface PruneTarget {
  /** The layer's name in the model, e.g. `fc1` (`root` for a bare layer). */
  name: string;
  /** The layer's weight, whose pruned entries `apply()` sets to zero. */
  weight: Tensor;
  /** 1 where the weight is kept, 0 where it was pruned; one entry per weight. */
  mask: Uint8Array;
}

/** Zeros of one pruned weight. */
export interface LayerSparsity {
  /** The layer's name, or `total` for all layers together. */
  name: string;
  /** Weights in the layer. */
  weights: number;
  /** Weights that are exactly zero. */
  zeros: number;
  /** zeros ÷ weights. */
  sparsity: number;
}

/**
 * Magnitude pruning of the weights of every Linear and Conv2d layer (biases are left alone,
 * as in the notebook). A pruner keeps one mask per weight (1 = kept); pruning only ever clears mask
 * entries, so successive calls are cumulative, and `apply()` re-zeroes the pruned weights,
 * which is how masks stay enforced while fine-tuning: call it after every optimizer step
 * (as PyTorch's `prune` reparametrization does implicitly). Bake the result into CSR layers
 * with `toSparse(model)`.
 * @example const p = new Pruner(net); p.pruneByThreshold(0.03); p.stats()
 */
export class Pruner {
  /** The pruned weights by layer name, with their masks. */
  readonly targets: PruneTarget[];

  constructor(model: Module) {
    this.targets = weightedLayers(model).map(([name, layer]) => ({
      name: name || 'root',
      weight: layer.weight,
      mask: maskOf(layer.weight),
    }));
    if (this.targets.length === 0) throw new Error('Pruner: the model has no Linear or Conv2d layers to prune');
  }

  /** The notebook's rule: every weight with |w| < λ becomes 0 (on top of earlier pruning). */
  pruneByThreshold(lambda: number): this {
    if (!(Number.isFinite(lambda) && lambda >= 0)) throw new Error(`pruneByThreshold: λ must be a number ≥ 0, got ${lambda}`);
    for (const t of this.targets) {
      const w = t.weight.data;
      for (let i = 0; i < w.length; i++) if (Math.abs(w[i]) < lambda) t.mask[i] = 0;
    }
    return this.apply();
  }

  /**
   * Prunes the smallest-magnitude weights until a fraction `sparsity` of them is zero,
   * in each layer alone (`layer`, the default) or ranked across all layers (`global`).
   * Already-pruned weights count toward the target.
   */
  pruneToSparsity(sparsity: number, options: { scope?: PruneScope } = {}): this {
    if (!(sparsity >= 0 && sparsity < 1)) throw new Error(`pruneToSparsity: sparsity must lie in [0, 1), got ${sparsity}`);
    const groups = options.scope === 'global' ? [this.targets] : this.targets.map((t) => [t]);
    for (const group of groups) pruneGroup(group, sparsity);
    return this.apply();
  }

  /**
   * Prunes each named layer to its own target sparsity (`{ fc1: 0.92, fc2: 0.91 }`), the
   * smallest-magnitude weights of that layer first; layers not named are left alone.
   */
  pruneLayersTo(targets: Record<string, number>): this {
    for (const [name, sparsity] of Object.entries(targets)) {
      const target = this.targets.find((t) => t.name === name);
      if (!target) throw new Error(`pruneLayersTo: there is no layer '${name}' (layers: ${this.targets.map((t) => t.name).join(', ')})`);
      if (!(sparsity >= 0 && sparsity < 1)) throw new Error(`pruneLayersTo: the sparsity of ${name} must lie in [0, 1), got ${sparsity}`);
      pruneGroup([target], sparsity);
    }
    return this.apply();
  }

  /** Sets every masked weight to zero; call after each optimizer step while fine-tuning. */
  apply(): this {
    for (const t of this.targets) {
      const w = t.weight.data;
      for (let i = 0; i < w.length; i++) if (!t.mask[i]) w[i] = 0;
    }
    return this;
  }

  /** Zeros per layer and in total (`name: 'total'`), counted in the weights themselves. */
  stats(): LayerSparsity[] {
    const rows = this.targets.map((t) => {
      let zeros = 0;
      for (const v of t.weight.data) if (v === 0) zeros++;
      return { name: t.name, weights: t.weight.size, zeros, sparsity: zeros / t.weight.size };
    });
    const weights = rows.reduce((n, r) => n + r.weights, 0);
    const zeros = rows.reduce((n, r) => n + r.zeros, 0);
    return [...rows, { name: 'total', weights, zeros, sparsity: zeros / weights }];
  }
}

type Target = PruneTarget;

/** Clears the masks of the smallest-magnitude weights of `group` until `sparsity` of its weights are pruned. */
function pruneGroup(group: Target[], sparsity: number): void {
  const magnitudes = new Float32Array(group.reduce((n, t) => n + t.weight.size, 0));
  let k = 0;
  for (const t of group) for (let i = 0; i < t.weight.size; i++) magnitudes[k++] = t.mask[i] ? Math.abs(t.weight.data[i]) : 0;
  const cut = Math.floor(sparsity * magnitudes.length);
  if (cut === 0) return;
  const threshold = magnitudes.sort()[cut - 1];
  // Prune |w| ≤ the cut-th smallest, but never more than `cut` weights (ties stay).
  let pruned = 0;
  for (const t of group) for (let i = 0; i < t.weight.size; i++) if (!t.mask[i] || t.weight.data[i] === 0) pruned++;
  for (const t of group) {
    for (let i = 0; i < t.weight.size && pruned < cut; i++) {
      if (t.mask[i] && Math.abs(t.weight.data[i]) <= threshold) {
        t.mask[i] = 0;
        pruned++;
      }
    }
  }
}

/**
 * The sparsity at `step` of a polynomial-decay schedule (TFMOT's `PolynomialDecay`): from
 * `initial` at step `begin` it rises to `final` at step `end`, fast at first and slowly at
 * the end, s(t) = final + (initial − final)·(1 − (t − begin)/(end − begin))^power.
 * @example polynomialSparsity(50, { final: 0.9, begin: 0, end: 100 }) // 0.7875
 */
export function polynomialSparsity(
  step: number,
  s: { final: number; initial?: number; begin: number; end: number; power?: number },
): number {
  const initial = s.initial ?? 0;
  if (!Number.isFinite(step)) throw new Error(`polynomialSparsity: step must be a finite number, got ${step}`);
  if (!(s.final >= 0 && s.final < 1 && initial >= 0 && initial < 1))
    throw new Error(`polynomialSparsity: sparsities must lie in [0, 1), got initial ${initial} and final ${s.final}`);
  if (!(Number.isFinite(s.begin) && Number.isFinite(s.end)))
    throw new Error(`polynomialSparsity: begin and end must be finite steps, got ${s.begin} and ${s.end}`);
  const progress = Math.min(1, Math.max(0, (step - s.begin) / Math.max(1, s.end - s.begin)));
  return s.final + (initial - s.final) * (1 - progress) ** (s.power ?? 3);
}

/** A mask that keeps the weights that are not already zero. */
function maskOf(weight: Tensor): Uint8Array {
  const mask = new Uint8Array(weight.size);
  for (let i = 0; i < mask.length; i++) mask[i] = weight.data[i] !== 0 ? 1 : 0;
  return mask;
}
