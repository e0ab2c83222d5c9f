import { loadSafetensors, saveSafetensors } from './safetensors.js';
import type { Module, StateDict } from './module.js';

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

/**
 * Saves a model's state (parameters and buffers) to a safetensors file, atomically.
 * @example await saveModel(model, 'runs/mlp.safetensors')
 */
export async function saveModel(model: Module, path: string, metadata?: Record<string, string>): Promise<void> {
  await saveSafetensors(path, model.stateDict(), metadata);
}

/**
 * Loads a safetensors file into a model of the same architecture. Names, dtypes and shapes
 * must all match and every float must be finite; the error names the file and every
 * mismatch, and the model is left as it was.
 */
export async function loadModel(model: Module, path: string): Promise<Record<string, string>> {
  const { state, metadata } = await loadSafetensors(path);
  checkFinite(state, path);
  try {
    model.loadStateDict(state);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return metadata;
}
