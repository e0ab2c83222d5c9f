import { checkFinite } from '../nn/checkpoint.js';
import { loadSafetensors } from '../nn/safetensors.js';
import type { Module, StateEntry } from '../nn/module.js';
import { checkAgainstSkeleton, type LayerCodec } from './codec.js';
import { sparseLinearCodec } from './csr.js';
import { factorizedLinearCodec } from './low-rank.js';
import { quantizedCodec } from './int8-layers.js';

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
  const swaps: [Record<string, Module>, string, Module][] = [];
  try {
    for (const [parentName, parent] of model.namedModules()) {
      for (const [name] of parent.namedChildren()) {
        const prefix = parentName ? `${parentName}.${name}.` : `${name}.`;
        const codec = CODECS.find((c) => state.has(prefix + c.marker));
        if (!codec) continue;
        const entries = new Map<string, StateEntry>();
        for (const [key, entry] of state) if (key.startsWith(prefix)) entries.set(key.slice(prefix.length), entry);
        const layer = codec.decode(entries);
        checkAgainstSkeleton(prefix.slice(0, -1), (parent as unknown as Record<string, Module>)[name], layer);
        swaps.push([parent as unknown as Record<string, Module>, name, layer]);
      }
    }
    const before = swaps.map(([parent, name]) => parent[name]);
    for (const [parent, name, layer] of swaps) parent[name] = layer;
    try {
      model.loadStateDict(state);
    } catch (e) {
      swaps.forEach(([parent, name], i) => (parent[name] = before[i]));
      throw e;
    }
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return model;
}
