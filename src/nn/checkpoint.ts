import type { StateDict } from './module.js';

/**
 * Refuses a checkpoint whose float tensors hold NaN or ±Infinity: no trained model has
 * them, and loading one would only show later as NaN outputs (or a broken model scoring 10%).
 */
export function checkFinite(state: StateDict, path: string): void {
  for (const [name, entry] of state) {
    if (entry.dtype !== 'F32' && entry.dtype !== 'F64') continue;
    const i = entry.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new Error(`${path}: tensor '${name}' holds ${entry.data[i]} at index ${i}; a model's weights must be finite`);
  }
}
