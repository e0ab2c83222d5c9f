import { loadSafetensors, saveSafetensors } from './safetensors.js';
import type { Module } from './module.js';

/**
 * Saves a model's state (parameters and buffers) to a safetensors file, atomically.
 * @example await saveModel(model, 'runs/mlp.safetensors')
 */
export async function saveModel(model: Module, path: string, metadata?: Record<string, string>): Promise<void> {
  await saveSafetensors(path, model.stateDict(), metadata);
}

/**
 * Loads a safetensors file into a model of the same architecture. Names, dtypes and shapes
 * must all match; the error names the file and every mismatch, and the model is left as it was.
 */
export async function loadModel(model: Module, path: string): Promise<Record<string, string>> {
  const { state, metadata } = await loadSafetensors(path);
  try {
    model.loadStateDict(state);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return metadata;
}
