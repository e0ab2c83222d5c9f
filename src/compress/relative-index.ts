/**
 * Relative (delta) positions of a pruned layer's surviving weights, Deep Compression's
 * sparse index format: the weights are visited in the flattened layer's order, and each
 * kept one stores its distance from the previous one in a few bits (a gap of 1 is the next
 * weight). A gap too long for `indexBits` bits is bridged by filler entries.
 *
 * Our filler differs from the paper's in one way: the paper inserts a zero weight, which
 * costs a cluster index as well as a gap. Here the gap symbol 0, which no real gap uses,
 * is the filler: "advance 2^bits − 1 places, no weight here". A filler costs its gap alone.
 */

/** A layer's positions as gap symbols. */
export interface RelativeIndex {
  /** One symbol per entry: 1 … 2^bits − 1 a gap to the next kept weight, 0 a filler. */
  gaps: Uint8Array;
  /** How many of the entries are fillers. */
  fillers: number;
}

function checkBits(indexBits: number): void {
  if (!(Number.isInteger(indexBits) && indexBits >= 1 && indexBits <= 8))
    throw new Error(`relative index: bits must be an integer in [1, 8], got ${indexBits}`);
}

/**
 * Encodes ascending flat positions (0-based) as gaps of at most 2^indexBits − 1, with
 * fillers where a gap overflows. With 1 bit, the only real gap is 1 (the next weight).
 * @example encodeRelative(Int32Array.of(0, 2, 40), 4).gaps // [1, 2, 0, 0, 8]
 */
export function encodeRelative(positions: ArrayLike<number>, indexBits: number): RelativeIndex {
  checkBits(indexBits);
  const span = 2 ** indexBits - 1;
  const gaps: number[] = [];
  let fillers = 0;
  let previous = -1;
  for (let i = 0; i < positions.length; i++) {
    let gap = positions[i] - previous;
    if (!(Number.isInteger(gap) && gap >= 1))
      throw new Error(`encodeRelative: positions must be ascending integers from 0, got ${positions[i]} after ${previous}`);
    for (; gap > span; gap -= span, fillers++) gaps.push(0);
    gaps.push(gap);
    previous = positions[i];
  }
  return { gaps: Uint8Array.from(gaps), fillers };
}

/**
 * The flat positions of the gap symbols; `size` is the layer's number of weights. A
 * symbol out of range or a position past the layer is refused, the error prefixed with `source`.
 */
export function decodeRelative(gaps: ArrayLike<number>, indexBits: number, size: number, source = 'decodeRelative'): Int32Array {
  checkBits(indexBits);
  const span = 2 ** indexBits - 1;
  let kept = 0;
  for (let i = 0; i < gaps.length; i++) if (gaps[i] !== 0) kept++;
  const positions = new Int32Array(kept);
  let at = -1;
  for (let i = 0, k = 0; i < gaps.length; i++) {
    const g = gaps[i];
    if (!(g <= span)) throw new Error(`${source}: gap symbol ${g} does not fit in ${indexBits} bits`);
    at += g === 0 ? span : g;
    if (g !== 0) {
      if (at >= size) throw new Error(`${source}: weight ${k} lands at position ${at}, past the layer's ${size} weights`);
      positions[k++] = at;
    }
  }
  return positions;
}
