import { Linear } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import type { Tensor } from '../tensor/tensor.js';

/** Whether a target sparsity applies to each layer alone or to all layers' weights pooled. */
export type PruneScope = 'layer' | 'global';

/** Zeros of one pruned weight. */
export interface LayerSparsity {
  name: string;
  weights: number;
  zeros: number;
  /** zeros ÷ weights. */
  sparsity: number;
}

/**
 * Magnitude pruning of the weights of every Linear layer (biases are left alone, as in the
 * notebook). A pruner keeps one mask per weight (1 = kept); pruning only ever clears mask
 * entries, so successive calls are cumulative, and `apply()` re-zeroes the pruned weights,
 * which is how masks stay enforced while fine-tuning: call it after every optimizer step
 * (as PyTorch's `prune` reparametrization does implicitly). Bake the result into CSR layers
 * with `toSparse(model)`.
 * @example const p = new Pruner(net); p.pruneByThreshold(0.03); p.stats()
 */
export class Pruner {
  /** The pruned weights by layer name, with their masks. */
  readonly targets: { name: string; weight: Tensor; mask: Uint8Array }[];

  constructor(model: Module) {
    this.targets = model.namedModules()
      .filter((e): e is [string, Linear] => e[1] instanceof Linear)
      .map(([name, layer]) => ({ name: name || 'root', weight: layer.weight, mask: maskOf(layer.weight) }));
    if (this.targets.length === 0) throw new Error('Pruner: the model has no Linear layers to prune');
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
    for (const group of groups) {
      const magnitudes = new Float32Array(group.reduce((n, t) => n + t.weight.size, 0));
      let k = 0;
      for (const t of group) for (let i = 0; i < t.weight.size; i++) magnitudes[k++] = t.mask[i] ? Math.abs(t.weight.data[i]) : 0;
      const cut = Math.floor(sparsity * magnitudes.length);
      if (cut === 0) continue;
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

/** A mask that keeps the weights that are not already zero. */
function maskOf(weight: Tensor): Uint8Array {
  const mask = new Uint8Array(weight.size);
  for (let i = 0; i < mask.length; i++) mask[i] = weight.data[i] !== 0 ? 1 : 0;
  return mask;
}
