import type { Dataset } from '../data/dataset.js';
import type { TensorSet } from '../data/tensor-set.js';
import type { Module } from '../nn/module.js';
import { type FitEpoch, fit } from '../train/fit.js';
import { Pruner, polynomialSparsity } from './prune.js';

/** Options of `pruneWithRetraining`. */
export interface PruneScheduleOptions {
  /** The sparsity each named layer ends at, e.g. `{ fc1: 0.92, fc2: 0.91, fc3: 0.74 }`. */
  final: Record<string, number>;
  /** Epochs of retraining (default 3): the targets rise over the first half, the rest retrains at the final masks. */
  epochs?: number;
  /** Batch size (default 64). */
  batchSize?: number;
  /** Adam's learning rate (default 1e-3). */
  lr?: number;
  /** Seed of the shuffle (default 0; see `fit`). */
  seed?: number;
  /** Evaluated after each epoch, as in `fit`. */
  evalSet?: Dataset | TensorSet | null;
  /** The name in the rows and log lines (default 'pruning'). */
  name?: string;
  /** Where each epoch's line goes. */
  log?: (line: string) => void;
  /** Draw a progress bar on a terminal. */
  progress?: boolean;
}

/** What `pruneWithRetraining` returns. */
export interface PrunedWithRetraining {
  /** The pruner, holding the final masks (`stats()` counts the zeros). */
  pruner: Pruner;
  /** One row per epoch of retraining, as `fit` returns them. */
  epochs: FitEpoch[];
}

/**
 * Prunes with retraining (Han et al. 2015, on TFMOT's schedule): trains `model` for
 * `epochs` while each layer's sparsity rises toward its `final` target on a cubic
 * polynomial schedule over the first half of the steps (raised 40 times in all), the
 * masks re-applied after every step; then prunes to the final targets exactly. Returns the
 * pruner (its masks and `stats()`) and the training log.
 * @example const { pruner } = pruneWithRetraining(net, train, { final: { fc1: 0.92, fc2: 0.91, fc3: 0.74 } })
 */
export function pruneWithRetraining(model: Module, train: Dataset, options: PruneScheduleOptions): PrunedWithRetraining {
  const { final, epochs = 3, batchSize = 64 } = options;
  if (typeof final !== 'object' || final === null)
    throw new Error(`pruneWithRetraining: final must map layer names to sparsities, got ${String(final)}`);
  const pruner = new Pruner(model);
  const names = pruner.targets.map((t) => t.name);
  for (const [name, s] of Object.entries(final)) {
    if (!names.includes(name)) throw new Error(`pruneWithRetraining: there is no layer '${name}' (layers: ${names.join(', ')})`);
    if (!(s >= 0 && s < 1)) throw new Error(`pruneWithRetraining: the sparsity of ${name} must lie in [0, 1), got ${s}`);
  }
  const steps = epochs * Math.ceil(train.count / batchSize);
  const ramp = Math.floor(steps / 2);
  const every = Math.max(1, Math.floor(steps / 40));
  const targets = (t: number): Record<string, number> =>
    Object.fromEntries(Object.entries(final).map(([name, s]) => [name, polynomialSparsity(t, { final: s, begin: 0, end: ramp })]));
  let step = 0;
  const rows = fit(model, train, {
    ...options,
    epochs,
    batchSize,
    name: options.name ?? 'pruning',
    afterStep: () => {
      if (++step % every === 0 && step <= ramp + every) pruner.pruneLayersTo(targets(step));
      else pruner.apply();
    },
  });
  pruner.pruneLayersTo(final);
  return { pruner, epochs: rows };
}
