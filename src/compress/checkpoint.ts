import { checkFinite } from '../nn/checkpoint.js';
import { loadSafetensors } from '../nn/safetensors.js';
import type { Module, StateEntry } from '../nn/module.js';
import { MLP, TeacherNet } from '../nn/models.js';
import { checkAgainstSkeleton, type LayerCodec } from './codec.js';
import { sparseLinearCodec } from './csr.js';
import { factorizedLinearCodec } from './low-rank.js';
import { quantizedCodec } from './int8-layers.js';
import { DEEP_COMPRESSED_FORMAT } from './deep-compressed.js';
import { loadDeepCompressed } from './deep-compressed-model.js';

const CODECS: LayerCodec[] = [sparseLinearCodec, factorizedLinearCodec, quantizedCodec];

/**
 * Loads a saved compressed model into a skeleton of the original architecture: every layer
 * whose entries in the file belong to a compressed type (sparse, quantized, factorized) is
 * rebuilt as that type and swapped in; the rest load as usual, with every name, dtype and
 * shape checked. On error the message names the file, and the model is left as it was.
 * @example const m = await loadCompressedModel(simpleNet(0), 'runs/x/pruned-sparse.safetensors')
 */
export async function loadCompressedModel<M extends Module>(model: M, path: string): Promise<M> {
  const { state } = await loadSafetensors(path);
  checkFinite(state, path);
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
    throw new Error(`${path}: ${(e as Error).message}`);
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
    if (!shape || shape.length !== 2) throw new Error(`${path}: layer fc${i} has no weight this loader knows`);
    if (sizes.length > 0 && sizes.at(-1) !== shape[1]) throw new Error(`${path}: fc${i} takes ${shape[1]} inputs, fc${i - 1} gives ${sizes.at(-1)}`);
    if (sizes.length === 0) sizes.push(shape[1]);
    sizes.push(shape[0]);
  }
  if (sizes.length < 2) throw new Error(`${path}: neither a teacher CNN (conv1.*) nor an MLP (fc1.*, fc2.*, …)`);
  return new MLP(sizes);
}

/**
 * Loads any model slimtensor saves (dense or compressed, an MLP or the teacher CNN, or a
 * Deep Compression file, decoded to its dense layers) without being told its architecture
 * (`skeletonOf`, or the Deep Compression file's metadata).
 * @example const net = await loadAnyModel('runs/x/pruned-sparse.safetensors')
 */
export async function loadAnyModel(path: string): Promise<Module> {
  const { state, metadata } = await loadSafetensors(path);
  if (metadata.format === DEEP_COMPRESSED_FORMAT) return loadDeepCompressed(path);
  let skeleton: MLP | TeacherNet;
  try {
    skeleton = skeletonOf(state, path);
  } catch (e) {
    throw new Error((e as Error).message.startsWith(path) ? (e as Error).message : `${path}: ${(e as Error).message}`);
  }
  return loadCompressedModel(skeleton, path);
}
