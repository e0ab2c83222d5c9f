import { crc32 } from '../io/crc32.js';
import { fmt } from '../tensor/shape.js';
import type { StateDict, StateEntry } from './module.js';

/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length n, n bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] },
 * "__metadata__": { string: string } }`, then the raw little-endian tensor bytes, with
 * offsets counted from the end of the header. Files written here load in Python's
 * `safetensors.torch.load_file`, and theirs load here.
 */

const BYTES: Record<StateEntry['dtype'], number> = { F32: 4, F64: 8, F16: 2, I8: 1, U8: 1, U16: 2, I32: 4 };
const ARRAYS = {
  F32: Float32Array,
  F64: Float64Array,
  F16: Uint16Array, // raw half-precision bit patterns
  I8: Int8Array,
  U8: Uint8Array,
  U16: Uint16Array,
  I32: Int32Array,
} as const;
/** Bounds the header a reader will parse, so a corrupt length cannot exhaust memory. */
const MAX_HEADER = 100 * 1024 * 1024;

/**
 * The metadata key under which slimtensor records each tensor's CRC-32 (a JSON object of
 * tensor name to the CRC of its bytes, as 8 hex digits). Plain safetensors carries no
 * checksum, so without it a flipped weight byte would load as a different model.
 */
export const CRC_KEY = 'slimtensor.crc32';

/** What a safetensors file holds. */
export interface Safetensors {
  /** The tensors by name, in the file's order. */
  state: StateDict;
  /** The string metadata of the header's `__metadata__` (empty when absent), without the CRC list. */
  metadata: Record<string, string>;
  /**
   * Whether every tensor was checked against a CRC-32 the file records (files slimtensor
   * writes). False for a file without them, such as one PyTorch wrote: it loads, unchecked.
   */
  checked: boolean;
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function bytesOf(data: StateEntry['data']): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Encodes tensors (and optional string metadata) as safetensors bytes, with each tensor's
 * CRC-32 in the metadata (`checksums: false` leaves them out, for a format that checks its
 * bytes itself, as the Deep Compression file does).
 * @example const bytes = encodeSafetensors(net.stateDict(), { model: 'simple-net' })
 */
export function encodeSafetensors(
  state: StateDict,
  metadata: Record<string, string> = {},
  options: { checksums?: boolean } = {},
): Uint8Array {
  if (!(state instanceof Map))
    throw new Error(`encodeSafetensors: expected a state dict (a Map of names to entries, as stateDict() returns), got ${String(state)}`);
  if (Object.hasOwn(metadata, CRC_KEY)) throw new Error(`encodeSafetensors: the metadata key '${CRC_KEY}' is slimtensor's own`);
  if (options.checksums !== false) {
    const crcs: Record<string, string> = Object.create(null);
    for (const [name, entry] of state) crcs[name] = hex(crc32(bytesOf(entry.data)));
    metadata = { ...metadata, [CRC_KEY]: JSON.stringify(crcs) };
  }
  // No prototype: a tensor named `__proto__` or `constructor` is a key like any other.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, entry] of state) {
    if (name === '__metadata__') throw new Error("encodeSafetensors: a tensor cannot be named '__metadata__' (the format reserves it)");
    const bytes = entry.data.length * BYTES[entry.dtype];
    header[name] = { dtype: entry.dtype, shape: [...entry.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // pad so the data starts 8-byte aligned
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.length;
  for (const entry of state.values()) {
    // Typed arrays are little-endian on every platform Node runs on.
    const raw = bytesOf(entry.data);
    out.set(raw, at);
    at += raw.length;
  }
  return out;
}

/**
 * Decodes safetensors bytes; `source` names the file in error messages. Every header
 * entry is checked (dtype, shape, offsets inside the data) before a byte is read, and
 * every tensor against its CRC-32 when the file records them (`checked` says whether).
 * @example const { state, metadata } = decodeSafetensors(bytes, 'net.safetensors')
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): Safetensors {
  const fail = (what: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for the 8-byte header length`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.length) fail(`header length ${n} exceeds the file (${bytes.length} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const state: StateDict = new Map();
  const read: { begin: number; name: string; entry: StateEntry }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      const ok =
        typeof info === 'object' && info !== null && !Array.isArray(info) && Object.values(info).every((v) => typeof v === 'string');
      if (!ok) fail('__metadata__ must be an object of strings');
      metadata = Object.assign(Object.create(null), info) as Record<string, string>;
      continue;
    }
    if (typeof info !== 'object' || info === null || Array.isArray(info))
      fail(`tensor '${name}' is described by ${JSON.stringify(info)}, not an object`);
    const { dtype, shape, data_offsets: offsets } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    // Object.hasOwn, not `in`: a dtype of 'constructor' or '__proto__' names no array type.
    if (typeof dtype !== 'string' || !Object.hasOwn(ARRAYS, dtype))
      fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ARRAYS).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    if (offsets === undefined) fail(`tensor '${name}' has no data_offsets`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)} (two byte offsets [begin, end] are needed)`);
    }
    const d = dtype as StateEntry['dtype'];
    const dims = shape as number[];
    const [begin, end] = offsets as number[];
    const count = dims.reduce((p, v) => p * v, 1);
    if (end < begin || end > dataLength) fail(`tensor '${name}' data [${begin}, ${end}) lies outside the ${dataLength} data bytes`);
    if (end - begin !== count * BYTES[d]) fail(`tensor '${name}' ${d} ${fmt(dims)} needs ${count * BYTES[d]} bytes, has ${end - begin}`);
    // Copy into a fresh, aligned array: the file's bytes need not be aligned for the dtype.
    // (Not `bytes.slice`: on a Node Buffer that is a view, not a copy.)
    const raw = new Uint8Array(end - begin);
    raw.set(bytes.subarray(dataStart + begin, dataStart + end));
    read.push({ begin, name, entry: { dtype: d, shape: dims, data: new ARRAYS[d](raw.buffer, 0, count) } });
  }
  // The file's order is its data's: JSON.parse puts integer-like keys ("0", "12") first.
  for (const { name, entry } of read.sort((a, b) => a.begin - b.begin)) state.set(name, entry);
  const checked = CRC_KEY in metadata;
  if (checked) {
    checkCrcs(state, metadata[CRC_KEY], fail);
    delete metadata[CRC_KEY];
  }
  return { state, metadata, checked };
}

/** Every tensor against the file's CRC list: one CRC per tensor, each matching its bytes. */
function checkCrcs(state: StateDict, list: string, fail: (what: string) => never): void {
  let crcs: unknown;
  try {
    crcs = JSON.parse(list);
  } catch {
    fail(`its CRC-32 list is not JSON (the file is damaged)`);
  }
  if (typeof crcs !== 'object' || crcs === null || Array.isArray(crcs)) fail('its CRC-32 list is not an object (the file is damaged)');
  const recorded = crcs as Record<string, unknown>;
  for (const name of Object.keys(recorded)) if (!state.has(name)) fail(`its CRC-32 list names '${name}', which it does not hold`);
  for (const [name, entry] of state) {
    const want = recorded[name];
    if (!Object.hasOwn(recorded, name) || typeof want !== 'string') fail(`tensor '${name}' has no CRC-32 in the file's list`);
    const got = hex(crc32(bytesOf(entry.data)));
    if (got !== want) fail(`tensor '${name}' fails its CRC-32 (recorded ${want}, its bytes give ${got}): the file is damaged`);
  }
}
