import { crc32 } from '../io/crc32.js';
import { fromFloat16Bits } from '../io/float16.js';
import type { StateDict, StateEntry } from '../nn/module.js';
import { decodeSafetensors, encodeSafetensors } from '../nn/safetensors.js';
import { concat, decodeLayer, encodeLayer, type LayerCost, type LayerLayout, type SharedLayerInput } from './layer-coding.js';

export type { LayerCost, SharedLayerInput } from './layer-coding.js';

/**
 * The Deep Compression file: one safetensors container holding three tensors per layer:
 * `<layer>.codebook` (the used centroids, float16), `<layer>.codes` (bitmaps of the live
 * rows and columns, the Huffman code lengths of the cluster indices and of the gaps, then
 * the two bit streams, bytes end to end: see layer-coding.ts) and `<layer>.bias` (float16). The metadata lists the layers (shape, bits,
 * counts, where the
 * value stream ends, a CRC-32 of the layer's tensors) and a CRC-32 of the list itself, so a
 * corrupted file is refused, never decoded into a wrong model. The file's size on disk is
 * the size reported.
 */

/**
 * The format name in a file's metadata.
 * @example decodeSafetensors(bytes).metadata.format === DEEP_COMPRESSED_FORMAT
 */
export const DEEP_COMPRESSED_FORMAT = 'slimtensor-deep-compression';

/** The CRC-32 of a layer's tensors (codebook, codes, bias), one after another. */
function layerCrc(state: StateDict, layer: string): number {
  const parts = ['codebook', 'codes', 'bias'].flatMap((k) => {
    const e = state.get(`${layer}.${k}`);
    return e ? [bytesOf(e)] : [];
  });
  return crc32(concat(parts));
}

/** One layer of the metadata's list: its layout and the CRC-32 of its tensors. */
interface LayerInfo extends LayerLayout {
  name: string;
  crc32: number;
}

/** A Deep Compression file, and what each layer costs in it. */
export interface EncodedDeepCompressed {
  /** The file's bytes (a safetensors container). */
  bytes: Uint8Array;
  /** Per layer, its size at each stage of the pipeline. */
  costs: LayerCost[];
}

/**
 * Encodes shared-weight layers into the file's bytes and says what each layer costs per
 * stage. Centroids and biases are stored in float16 (round them first, `roundToFloat16`,
 * for the model to equal the file's). `model` names the architecture (the loader rebuilds it by this name). A layer
 * whose `indexBits` is `auto` gets the gap width (1–8 bits) whose Huffman-coded positions
 * and table are smallest.
 * @example const { bytes, costs } = encodeDeepCompressed('lenet-300-100', shared.fileLayers('auto'))
 */
export function encodeDeepCompressed(model: string, layers: SharedLayerInput[]): EncodedDeepCompressed {
  const state: StateDict = new Map();
  const infos: LayerInfo[] = [];
  const costs: LayerCost[] = [];
  for (const layer of layers) {
    if (!Number.isInteger(Math.log2(layer.codebook.length)))
      throw new Error(`encodeDeepCompressed: layer ${layer.name} has a codebook of ${layer.codebook.length}, not a power of two`);
    const tries = layer.indexBits === 'auto' ? [1, 2, 3, 4, 5, 6, 7, 8] : [layer.indexBits];
    const all = tries.map((b) => encodeLayer(layer, b));
    const { cost, codes, codebook, storedBias, ...layout } = all.reduce((best, c) => (c.codes.length < best.codes.length ? c : best));
    // The stages before Huffman coding take their own best fixed gap width.
    cost.pruned = Math.min(...all.map((c) => c.cost.pruned));
    cost.quantized = Math.min(...all.map((c) => c.cost.quantized));
    const p = layer.name;
    state.set(`${p}.codebook`, { dtype: 'F16', shape: [codebook.length], data: codebook });
    state.set(`${p}.codes`, { dtype: 'U8', shape: [codes.length], data: codes });
    if (storedBias) state.set(`${p}.bias`, { dtype: 'F16', shape: [storedBias.length], data: storedBias });
    infos.push({ name: p, ...layout, crc32: layerCrc(state, p) });
    costs.push(cost);
  }
  const list = infos.map(formatLayerInfo).join('; ');
  const metadata = {
    format: DEEP_COMPRESSED_FORMAT,
    version: '1',
    model,
    layers: list,
    'layers.crc32': String(crc32(new TextEncoder().encode(list))),
  };
  // No second checksum: the file checks each layer's bytes and its layer list itself.
  return { bytes: encodeSafetensors(state, metadata, { checksums: false }), costs };
}

/** A decoded file: the model's name and its dense weights and biases by parameter name (`fc1.weight`). */
export interface DecodedModel {
  /** The architecture the file names, e.g. `lenet-300-100`. */
  model: string;
  /** Dense weights and biases by parameter name (`fc1.weight`). */
  state: StateDict;
}

/**
 * Decodes the bytes of a Deep Compression file back into dense weights. Every check that
 * fails throws an error starting with `source` (the file's path) and naming what is wrong:
 * a CRC mismatch, an invalid code table, a stream that ends early or has bits left over,
 * a position past the layer, a codebook that is not finite.
 * @example const { model, state } = decodeDeepCompressed(bytes, 'net.deep-compressed.safetensors') // state.get('fc1.weight')
 */
export function decodeDeepCompressed(bytes: Uint8Array, source = 'decodeDeepCompressed'): DecodedModel {
  const fail = (what: string): never => {
    throw new Error(`${source}: not a valid Deep Compression file: ${what}`);
  };
  const { state, metadata } = decodeSafetensors(bytes, source);
  if (metadata.format !== DEEP_COMPRESSED_FORMAT)
    fail(`its metadata names the format ${JSON.stringify(metadata.format)}, not '${DEEP_COMPRESSED_FORMAT}'`);
  if (metadata.version !== '1') fail(`version ${JSON.stringify(metadata.version)} is not supported (only '1')`);
  const list = metadata.layers ?? fail('no layer list in the metadata');
  if (String(crc32(new TextEncoder().encode(list))) !== metadata['layers.crc32']) fail('the layer list does not match its CRC-32');
  const infos = list.split('; ').map((text) => parseLayerInfo(text) ?? fail(`cannot read the layer '${text.slice(0, 200)}'`));
  const out: StateDict = new Map();
  for (const info of infos) {
    const p = info.name;
    const where = `${source}: layer ${p}`;
    const tensor = (key: string, dtype: StateEntry['dtype']): StateEntry => {
      const e = state.get(`${p}.${key}`) ?? fail(`layer ${p} has no '${p}.${key}' tensor`);
      if (e.dtype !== dtype) fail(`'${p}.${key}' is ${e.dtype}, not ${dtype}`);
      return e;
    };
    const codebook = Float32Array.from(tensor('codebook', 'F16').data, fromFloat16Bits);
    const codes = tensor('codes', 'U8').data as Uint8Array;
    const stored = info.bias === 'none' ? null : Float32Array.from(tensor('bias', 'F16').data, fromFloat16Bits);
    if (layerCrc(state, p) !== info.crc32) fail(`layer ${p}: its tensors do not match their CRC-32 (the file is corrupted)`);
    const least = info.kept > 0 ? 1 : 0; // an empty layer (every weight pruned) needs no centroid
    if (codebook.length < least || codebook.length > 2 ** info.bits)
      fail(
        `layer ${p}: a ${info.bits}-bit codebook of ${info.kept} weights holds ${least} to ${2 ** info.bits} centroids, has ` +
          `${codebook.length}`,
      );
    if (!codebook.every(Number.isFinite)) fail(`layer ${p}: the codebook holds a value that is not finite`);
    if (stored && !stored.every(Number.isFinite)) fail(`layer ${p}: the bias holds a value that is not finite`);
    const { weight, bias } = decodeLayer(codes, info, codebook, stored, where);
    out.set(`${p}.weight`, { dtype: 'F32', shape: info.shape, data: weight });
    if (bias) out.set(`${p}.bias`, { dtype: 'F32', shape: [bias.length], data: bias });
  }
  return { model: metadata.model ?? fail('no model name in the metadata'), state: out };
}

/**
 * `fc1 shape=300x784 bits=6 indexBits=5 kept=18816 entries=19217 valueBytes=11869 bias=live crc32=307517951`: one layer of the metadata's
 * list.
 */
function formatLayerInfo(l: LayerInfo): string {
  return (
    `${l.name} shape=${l.shape.join('x')} bits=${l.bits} indexBits=${l.indexBits} kept=${l.kept} entries=${l.entries} ` +
    `valueBytes=${l.valueBytes} bias=${l.bias} crc32=${l.crc32}`
  );
}

/** The layer `formatLayerInfo` wrote, checked field by field, or null. */
function parseLayerInfo(text: string): LayerInfo | null {
  const [name, ...fields] = text.split(' ');
  const f = Object.fromEntries(fields.map((kv) => kv.split('=')));
  const count = (key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const v = Number(f[key]);
    return /^\d+$/.test(f[key] ?? '') && v >= min && v <= max ? v : NaN;
  };
  const shape: number[] = (f.shape ?? '').split('x').map(Number);
  const info: LayerInfo = {
    name,
    shape,
    bits: count('bits', 1, 16),
    indexBits: count('indexBits', 1, 8),
    kept: count('kept'),
    entries: count('entries'),
    valueBytes: count('valueBytes'),
    bias: f.bias as LayerInfo['bias'],
    crc32: count('crc32', 0, 0xffffffff),
  };
  const ok =
    name !== '' &&
    shape.every((d) => Number.isSafeInteger(d) && d > 0) &&
    ['none', 'all', 'live'].includes(f.bias) &&
    [info.bits, info.indexBits, info.kept, info.entries, info.valueBytes, info.crc32].every(Number.isInteger);
  return ok ? info : null;
}

function bytesOf(e: StateEntry): Uint8Array {
  return new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength);
}
