import { checkFinite } from '../nn/checkpoint.js';
import { MLP, TeacherNet } from '../nn/models.js';
import { Module, type StateDict, type StateEntry } from '../nn/module.js';
import { decodeSafetensors, encodeSafetensors } from '../nn/safetensors.js';
import { checkAgainstSkeleton, type LayerCodec } from './codec.js';
import { sparseLinearCodec } from './csr.js';
import { DEEP_COMPRESSED_FORMAT } from './deep-compression-file.js';
import { deepCompressedModel } from './deep-compression-models.js';
import { quantizedCodec } from './int8-layers.js';
import { factorizedLinearCodec } from './low-rank.js';
import { staticModelFromState } from './static-int8-file.js';
import { STATIC_INT8_FORMAT, StaticQuantizedModel } from './static-quantize.js';

const CODECS: LayerCodec[] = [sparseLinearCodec, factorizedLinearCodec, quantizedCodec];

/**
 * Loads a saved state into a skeleton of the original architecture: every layer whose
 * entries belong to a compressed type (sparse, quantized, factorized) is rebuilt as that
 * type and swapped in; the rest load as usual, with every name, dtype and shape checked.
 * On error the message names `source`, and the model is left as it was.
 */
export function loadCompressedState<M extends Module>(model: M, state: StateDict, source: string): M {
  checkFinite(state, source);
  // [parent, child name, the layer there now, its compressed replacement]
  const swaps: [Module, string, Module, Module][] = [];
  try {
    for (const [parentName, parent] of model.namedModules()) {
      for (const [name, original] of parent.namedChildren()) {
        const prefix = parentName ? `${parentName}.${name}.` : `${name}.`;
        const codec = CODECS.find((c) => state.has(prefix + c.marker));
        if (!codec) continue;
        const entries = new Map<string, StateEntry>();
        for (const [key, entry] of state) if (key.startsWith(prefix)) entries.set(key.slice(prefix.length), entry);
        const layer = codec.decode(entries);
        checkAgainstSkeleton(prefix.slice(0, -1), original, layer);
        swaps.push([parent, name, original, layer]);
      }
    }
    for (const [parent, name, , layer] of swaps) parent.setChild(name, layer);
    try {
      model.loadStateDict(state);
    } catch (e) {
      for (const [parent, name, original] of swaps) parent.setChild(name, original);
      throw e;
    }
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  }
  return model;
}

/**
 * The notebook architecture a saved model has, read from its tensor names and shapes: the
 * teacher CNN when it holds `conv1.*`, else an MLP whose sizes come from `fc1`, `fc2`, …
 * (each layer's dense weight shape, whatever it was stored as: dense, sparse, int8 or
 * factorized; an activation-pruned net is just an MLP with smaller sizes).
 */
export function skeletonOf(state: Map<string, StateEntry>, path: string): MLP | TeacherNet {
  if ([...state.keys()].some((k) => k.startsWith('conv1.'))) return new TeacherNet();
  const sizes: number[] = [];
  for (let i = 1; [...state.keys()].some((k) => k.startsWith(`fc${i}.`)); i++) {
    const prefix = `fc${i}.`;
    const entries = new Map([...state].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    const codec = CODECS.find((c) => entries.has(c.marker));
    const shape = codec ? codec.decode(entries).denseShape : entries.get('weight')?.shape;
    if (shape?.length !== 2) throw new Error(`${path}: layer fc${i} has no weight this loader knows`);
    if (sizes.length > 0 && sizes.at(-1) !== shape[1])
      throw new Error(`${path}: fc${i} takes ${shape[1]} inputs, fc${i - 1} gives ${sizes.at(-1)}`);
    if (sizes.length === 0) sizes.push(shape[1]);
    sizes.push(shape[0]);
  }
  if (sizes.length < 2) throw new Error(`${path}: neither a teacher CNN (conv1.*) nor an MLP (fc1.*, fc2.*, …)`);
  return new MLP(sizes);
}

/**
 * A model as safetensors bytes: every entry of its state dict (a compressed layer's own
 * arrays with their dtypes), which `modelFromBytes` (or PyTorch's `safetensors`) reads back.
 * @example const bytes = modelToBytes(net, { model: 'simple-net' }) // Uint8Array
 */
export function modelToBytes(model: Module, metadata?: Record<string, string>): Uint8Array {
  if (!(model instanceof Module)) throw new Error(`modelToBytes: expected a Module, got ${String(model)}`);
  // A static int8 model's file says so, and names its stages (its structure is in its tensors).
  return encodeSafetensors(model.stateDict(), model instanceof StaticQuantizedModel ? { ...metadata, ...model.fileMetadata() } : metadata);
}

/** Options of `modelFromBytes`. */
export interface ModelFromBytesOptions {
  /**
   * A model of the saved architecture to load into (its compressed layers are swapped in); default: read the architecture from the file.
   */
  model?: Module;
  /** Names the bytes in error messages (a file's path); default 'modelFromBytes'. */
  source?: string;
  /** A Deep Compression file's layers as CSR `SparseLinear`s instead of dense (default false). */
  sparse?: boolean;
}

/**
 * The model saved in safetensors bytes: dense or compressed (sparse, int8, factorized
 * layers come back as those types), or a Deep Compression file decoded. With `model` the
 * bytes load into it; without, the architecture is read from the tensor names (the
 * teacher CNN, or an MLP `fc1 … fcN` of any widths) or the Deep Compression metadata.
 * @example const net = modelFromBytes(modelToBytes(sparseNet)) // an MLP with SparseLinear layers
 */
export function modelFromBytes(bytes: Uint8Array, options: ModelFromBytesOptions = {}): Module {
  const source = options.source ?? 'modelFromBytes';
  if (!(bytes instanceof Uint8Array)) throw new Error(`${source}: expected the bytes of a model as a Uint8Array, got ${String(bytes)}`);
  if (options.model !== undefined && !(options.model instanceof Module))
    throw new Error(`${source}: options.model must be a Module, got ${String(options.model)}`);
  const { state, metadata } = decodeSafetensors(bytes, source);
  if (metadata.format === DEEP_COMPRESSED_FORMAT) {
    const decoded = deepCompressedModel(bytes, source, options);
    if (!options.model) return decoded;
    return loadCompressedState(options.model, decoded.stateDict(), source);
  }
  if (metadata.format === STATIC_INT8_FORMAT) {
    if (options.model !== undefined && !(options.model instanceof StaticQuantizedModel))
      throw new Error(
        `${source}: a static int8 model's file; it loads as a StaticQuantizedModel, not into a ${options.model.constructor.name}`,
      );
    checkFinite(state, source);
    return staticModelFromState(state, metadata, source);
  }
  let skeleton = options.model;
  if (!skeleton) {
    try {
      skeleton = skeletonOf(state, source);
    } catch (e) {
      throw new Error((e as Error).message.startsWith(source) ? (e as Error).message : `${source}: ${(e as Error).message}`);
    }
  }
  return loadCompressedState(skeleton, state, source);
}
