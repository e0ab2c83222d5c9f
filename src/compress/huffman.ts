import { BitReader, BitWriter } from './bits.js';

/**
 * Canonical Huffman coding, as Deep Compression's last stage codes a layer's cluster
 * indices and index gaps. A canonical code is fully described by each symbol's code
 * length: codes are handed out in order of (length, symbol), each the previous code plus
 * one, shifted left when the length grows. So a file stores one length per symbol (a byte)
 * instead of the codes or the tree.
 */

/**
 * The longest code the coder hands out (the decoder accepts nothing longer): 15 bits, as
 * DEFLATE, so a code length fits in 4 bits and two share a byte of a stored table.
 */
export const MAX_CODE_LENGTH = 15;

/**
 * Code lengths of an optimal prefix code for symbols seen `counts[s]` times (0 for a symbol
 * never seen: it gets no code). One symbol alone gets a 1-bit code. Lengths are capped at
 * `maxLength` by halving the counts and rebuilding, which costs a fraction of a percent on
 * the rare inputs that need it. More symbols than 2^maxLength codes can tell apart are refused.
 * @example huffmanLengths([5, 1, 1]) // [1, 2, 2]
 */
export function huffmanLengths(counts: ArrayLike<number>, maxLength = MAX_CODE_LENGTH): Uint8Array {
  const n = counts.length;
  let weights = Float64Array.from(counts);
  // Halving ends at equal counts, a balanced tree of depth ⌈log2(symbols)⌉: past the cap, no end.
  const seen = weights.reduce((k, w) => k + (w > 0 ? 1 : 0), 0);
  if (!(Number.isInteger(maxLength) && maxLength >= 1 && seen <= 2 ** maxLength)) {
    throw new Error(`huffmanLengths: ${seen} symbols cannot all have codes of 1 to at most ${maxLength} bits`);
  }
  for (;;) {
    const lengths = treeDepths(weights);
    let longest = 0;
    for (let s = 0; s < n; s++) longest = Math.max(longest, lengths[s]);
    if (longest <= maxLength) return lengths;
    weights = weights.map((w) => (w > 0 ? Math.max(1, Math.floor(w / 2)) : 0));
  }
}

/** The depth of each leaf in a Huffman tree over the positive weights (two-queue construction). */
function treeDepths(weights: Float64Array): Uint8Array {
  const depths = new Uint8Array(weights.length);
  const leaves = [...weights.keys()].filter((s) => weights[s] > 0).sort((a, b) => weights[a] - weights[b] || a - b);
  if (leaves.length === 1) depths[leaves[0]] = 1;
  if (leaves.length <= 1) return depths;
  // Nodes: leaves first, then merged nodes in the order made (their weights never decrease).
  const weight = leaves.map((s) => weights[s]);
  const parent = new Int32Array(2 * leaves.length - 1).fill(-1);
  let nextLeaf = 0;
  let nextMerged = leaves.length;
  const take = (): number => {
    const useLeaf = nextLeaf < leaves.length && (nextMerged >= weight.length || weight[nextLeaf] <= weight[nextMerged]);
    return useLeaf ? nextLeaf++ : nextMerged++;
  };
  while (weight.length < 2 * leaves.length - 1) {
    const a = take();
    const b = take();
    parent[a] = parent[b] = weight.length;
    weight.push(weight[a] + weight[b]);
  }
  const depth = new Int32Array(weight.length);
  for (let node = weight.length - 2; node >= 0; node--) depth[node] = depth[parent[node]] + 1;
  leaves.forEach((s, i) => {
    depths[s] = depth[i];
  });
  return depths;
}

/**
 * Checks that `lengths` describe a prefix code (each ≤ MAX_CODE_LENGTH, Kraft sum
 * Σ 2^−length ≤ 1); returns a message naming what is wrong, or null.
 */
export function checkLengths(lengths: Uint8Array): string | null {
  let kraft = 0; // in units of 2^−MAX_CODE_LENGTH: exact
  for (let s = 0; s < lengths.length; s++) {
    if (lengths[s] > MAX_CODE_LENGTH) return `symbol ${s} has a ${lengths[s]}-bit code (at most ${MAX_CODE_LENGTH})`;
    if (lengths[s] > 0) kraft += 2 ** (MAX_CODE_LENGTH - lengths[s]);
  }
  return kraft > 2 ** MAX_CODE_LENGTH ? 'the code lengths over-fill the code space (Kraft sum above 1)' : null;
}

/** Symbols in canonical order (by length, then symbol) and the first code of each length. */
function canonical(lengths: Uint8Array): { order: number[]; first: Int32Array; count: Int32Array } {
  const count = new Int32Array(MAX_CODE_LENGTH + 1);
  for (const l of lengths) if (l > 0) count[l]++;
  const first = new Int32Array(MAX_CODE_LENGTH + 2);
  for (let l = 1, code = 0; l <= MAX_CODE_LENGTH; l++) {
    first[l] = code;
    code = (code + count[l]) << 1;
  }
  const order = [...lengths.keys()].filter((s) => lengths[s] > 0).sort((a, b) => lengths[a] - lengths[b] || a - b);
  return { order, first, count };
}

/** The canonical code of each symbol (0 for a symbol without one). */
export function canonicalCodes(lengths: Uint8Array): Uint32Array {
  const { order, first } = canonical(lengths);
  const codes = new Uint32Array(lengths.length);
  const next = Int32Array.from(first);
  for (const s of order) codes[s] = next[lengths[s]]++;
  return codes;
}

/** Huffman-codes `symbols` with the canonical code of `lengths`; returns the bytes and the bit count. */
export function huffmanEncode(symbols: ArrayLike<number>, lengths: Uint8Array): { bytes: Uint8Array; bits: number } {
  const codes = canonicalCodes(lengths);
  const out = new BitWriter();
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (!(lengths[s] > 0)) throw new Error(`huffmanEncode: symbol ${s} has no code`);
    out.write(codes[s], lengths[s]);
  }
  return { bytes: out.finish(), bits: out.length };
}

/**
 * Decodes `count` symbols. A stream that ends early, holds a bit pattern that is no code,
 * or leaves anything but zero padding after the last symbol is refused: the error says
 * which (prefixed with `source`), so a corrupt stream never decodes to wrong symbols silently.
 */
export function huffmanDecode(bytes: Uint8Array, lengths: Uint8Array, count: number, source = 'huffmanDecode'): Uint16Array {
  const bad = checkLengths(lengths);
  if (bad) throw new Error(`${source}: invalid code table: ${bad}`);
  const { order, first, count: perLength } = canonical(lengths);
  const offset = new Int32Array(MAX_CODE_LENGTH + 1);
  for (let l = 1; l <= MAX_CODE_LENGTH; l++) offset[l] = l === 1 ? 0 : offset[l - 1] + perLength[l - 1];
  const out = new Uint16Array(count);
  const reader = new BitReader(bytes);
  for (let i = 0; i < count; i++) {
    let code = 0;
    for (let l = 1; ; l++) {
      const bit = reader.bit();
      if (bit < 0) throw new Error(`${source}: the bit stream ends after ${i} of ${count} symbols`);
      code = (code << 1) | bit;
      if (code - first[l] < perLength[l]) {
        out[i] = order[offset[l] + code - first[l]];
        break;
      }
      if (l === MAX_CODE_LENGTH) throw new Error(`${source}: symbol ${i} is not a valid code`);
    }
  }
  if (reader.remaining >= 8 || reader.read(reader.remaining) !== 0)
    throw new Error(`${source}: unexpected bits after the last of ${count} symbols`);
  return out;
}

/** Code lengths (each ≤ 15) packed two to a byte, the first in the high nibble: ⌈n/2⌉ bytes. */
export function packLengths(lengths: Uint8Array): Uint8Array {
  const out = new Uint8Array((lengths.length + 1) >>> 1);
  for (let s = 0; s < lengths.length; s++) {
    if (lengths[s] > MAX_CODE_LENGTH) throw new Error(`packLengths: a ${lengths[s]}-bit code does not fit in 4 bits`);
    out[s >>> 1] |= s & 1 ? lengths[s] : lengths[s] << 4;
  }
  return out;
}

/** The `count` code lengths packed by `packLengths`. */
export function unpackLengths(packed: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let s = 0; s < count; s++) out[s] = s & 1 ? packed[s >>> 1] & 15 : packed[s >>> 1] >>> 4;
  return out;
}
