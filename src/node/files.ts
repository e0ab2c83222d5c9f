import { promises as fs } from 'node:fs';
import { modelFromBytes, modelToBytes } from '../compress/checkpoint.js';
import { deepCompressedModel } from '../compress/deep-compression-models.js';
import { exportOnnx, type OnnxOptions } from '../interop/onnx.js';
import { checkFinite } from '../nn/checkpoint.js';
import { Module, type StateDict } from '../nn/module.js';
import { decodeSafetensors, encodeSafetensors, type Safetensors } from '../nn/safetensors.js';
import { writeFileAtomic } from './atomic.js';

/**
 * Models to and from files: the core's bytes (safetensors, Deep Compression, ONNX) read
 * and written with `node:fs`. Every write goes to a temporary file that is then renamed,
 * so a file is never half-written; every read error names the file.
 */

/** The bytes of `path`, or an error naming it and why (ENOENT, EACCES, …); `what` says what was being read. */
async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Runs `work`; an error it throws comes out prefixed with the public function's name (`loadModel: x.safetensors: …`). */
async function named<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(message.startsWith(`${name}:`) ? message : `${name}: ${message}`);
  }
}

/** Writes tensors to `path` as safetensors, atomically (a temporary file, then a rename). */
export async function saveSafetensors(path: string, state: StateDict, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(state, metadata));
}

/** Reads a safetensors file; errors name the file and what is wrong. */
export async function loadSafetensors(path: string): Promise<Safetensors> {
  return decodeSafetensors(await readBytes(path, 'safetensors file'), path);
}

/**
 * Saves a model (dense or compressed) to a safetensors file, atomically: `modelToBytes`,
 * then a temporary file renamed over `path`.
 * @example await saveModel(net, 'simple-net.safetensors', { seed: '0' })
 */
export async function saveModel(model: Module, path: string, metadata?: Record<string, string>): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new Error(`saveModel: expected a file path, got ${JSON.stringify(path)}`);
  if (!(model instanceof Module)) throw new Error(`saveModel: expected a Module to save to ${path}, got ${String(model)}`);
  await named('saveModel', () => writeFileAtomic(path, modelToBytes(model, metadata)));
}

/**
 * Loads a model file that slimtensor (or PyTorch's safetensors) wrote: into `model` when
 * given (its compressed layers are swapped in), else into the architecture the file's
 * tensors describe (`modelFromBytes`). A file that is not a model is refused by name.
 * @example const net = await loadModel('pruned-sparse.safetensors') // an MLP with SparseLinear layers
 */
export async function loadModel(path: string, model?: Module): Promise<Module> {
  if (typeof path !== 'string' || path === '') throw new Error(`loadModel: expected a file path, got ${JSON.stringify(path)}`);
  return named('loadModel', () => readModel(path, model));
}

/**
 * Exports `model` as ONNX (`exportOnnx`) to `path`, atomically.
 * @example await saveOnnx(sparseNet, 'simple-net.onnx')
 */
export async function saveOnnx(model: Module, path: string, options: OnnxOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new Error(`saveOnnx: expected a file path, got ${JSON.stringify(path)}`);
  await named('saveOnnx', async () => writeFileAtomic(path, await exportOnnx(model, options)));
}

/**
 * Loads a safetensors file into a model of the same architecture, dense layer for dense
 * layer: names, dtypes and shapes must all match and every float must be finite; the error
 * names the file and every mismatch, and the model is left as it was. Returns the metadata.
 */
export async function loadWeights(model: Module, path: string): Promise<Record<string, string>> {
  const { state, metadata } = await loadSafetensors(path);
  checkFinite(state, path);
  try {
    model.loadStateDict(state);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return metadata;
}

/**
 * The model in file `path`, into `model` when given (`modelFromBytes`): what `loadModel` and the CLI's loaders read, errors naming only the
 * file.
 */
async function readModel(path: string, model?: Module): Promise<Module> {
  return modelFromBytes(await readBytes(path, 'safetensors file'), { model, source: path });
}

/** `model` with the file's compressed layers swapped in (`loadModel` with a model, for the CLI). */
export async function loadCompressedModel<M extends Module>(model: M, path: string): Promise<M> {
  return (await readModel(path, model)) as M;
}

/** Any model slimtensor saves, its architecture read from the file (`loadModel` without one, for the CLI). */
export async function loadAnyModel(path: string): Promise<Module> {
  return readModel(path);
}

/** A Deep Compression file as a runnable model (`deepCompressedModel`), dense or with CSR layers. */
export async function loadDeepCompressed(path: string, options: { sparse?: boolean } = {}): Promise<Module> {
  return deepCompressedModel(await readBytes(path, 'the file'), path, options);
}
