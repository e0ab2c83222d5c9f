import { toFloat16Bits } from '../io/float16.js';
import { huffmanDecode, huffmanEncode, huffmanLengths, packLengths, unpackLengths } from './huffman.js';
import { decodeRelative, encodeRelative } from './relative-index.js';

/**
 * How one shared-weight layer becomes bytes (Deep Compression's sparse format, plus one
 * step of ours). The weight is seen as a matrix `[rows, columns]` (a convolution's
 * `[OC, C·K·K]`). Rows and columns with no kept weight at all (units that pruning cut off,
 * input pixels no unit reads) are marked in two bitmaps and skipped; the kept weights of
 * the remaining submatrix are visited row by row, and each stores its cluster index and
 * its gap from the previous one (see relative-index.ts). Both streams are Huffman-coded.
 *
 * The codes of a layer, bytes end to end: row bitmap ‖ column bitmap ‖ value code lengths
 * ‖ gap code lengths (4 bits each) ‖ value stream ‖ gap stream. The codebook keeps only
 * the centroids some weight uses, in half precision, as the bias (quantization stores
 * both so: the model the file encodes is evaluated with them rounded).
 */

/** One layer to encode: its shared weights as a codebook and a group per weight. */
export interface SharedLayerInput {
  /** The layer's name, e.g. `fc1`: its tensors are `fc1.codebook`, `fc1.codes`, `fc1.bias`. */
  name: string;
  /** The dense weight's shape. */
  shape: readonly number[];
  /** `[2^bits]` centroids. */
  codebook: Float32Array;
  /** The centroid of each weight (flattened row-major), −1 for a pruned weight. */
  groups: Int32Array;
  /** The bias, stored in float16; null without one. */
  bias: Float32Array | null;
  /** Bits per relative position (gap), or `auto`: the width that codes smallest. */
  indexBits: number | 'auto';
}

/** What one layer costs at each stage of the pipeline, in bits (biases included at every stage). */
export interface LayerCost {
  /** The layer's name, e.g. `fc1`. */
  name: string;
  /** Its weight's shape. */
  shape: number[];
  /** Weights in the dense layer. */
  weights: number;
  /** Weights left after pruning. */
  kept: number;
  /** Entries of the position stream: kept weights plus fillers. */
  entries: number;
  /** Filler entries, where a gap did not fit in `indexBits`. */
  fillers: number;
  /** Bits per cluster index. */
  bits: number;
  /** Bits per relative position, as coded. */
  indexBits: number;
  /** Dense float32 weights and bias. */
  dense: number;
  /**
   * Pruned: float32 kept weights + bitmaps + fixed-width gaps (with `auto`, at the width that is smallest for this stage) + float32 bias.
   */
  pruned: number;
  /** + quantization: `bits`-bit cluster indices + bitmaps + fixed-width gaps + the float16 codebook and bias. */
  quantized: number;
  /** + Huffman: the layer's whole codes (bitmaps, tables, both streams) + the float16 codebook and bias. */
  huffman: number;
  /** Mean bits per kept weight after Huffman: cluster index, and position. */
  valueBitsPerWeight: number;
  /** Mean bits per kept weight of its position, after Huffman. */
  indexBitsPerWeight: number;
}

/** What the decoder needs besides the codes (the metadata's layer entry). */
export interface LayerLayout {
  shape: number[];
  /** Bits of the cluster indices before Huffman coding (the codebook holds at most 2^bits centroids). */
  bits: number;
  indexBits: number;
  kept: number;
  /** Entries of the gap stream. */
  entries: number;
  /** Bytes of the value stream. */
  valueBytes: number;
  /** Which biases are stored: none (no bias), all, or the live rows' (the others are 0). */
  bias: BiasLayout;
}

/** `none`, `all`, or `live`: only the rows that keep a weight (every other row's bias is 0). */
export type BiasLayout = 'none' | 'all' | 'live';

/** A layer coded with one gap width. */
export interface CodedLayer extends LayerLayout {
  codes: Uint8Array;
  /** The used centroids as float16 bit patterns. */
  codebook: Uint16Array;
  /** The stored biases as float16 bit patterns (see `bias`). */
  storedBias: Uint16Array | null;
  cost: LayerCost;
}

const matrixOf = (shape: readonly number[]): [number, number] => [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];

function bitmap(flags: Uint8Array): Uint8Array {
  const out = new Uint8Array((flags.length + 7) >>> 3);
  for (let i = 0; i < flags.length; i++) if (flags[i]) out[i >>> 3] |= 0x80 >>> (i & 7);
  return out;
}

function unbitmap(bytes: Uint8Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (bytes[i >>> 3] & (0x80 >>> (i & 7))) out.push(i);
  return out;
}

function histogram(symbols: ArrayLike<number>, size: number): Float64Array {
  const h = new Float64Array(size);
  for (let i = 0; i < symbols.length; i++) h[symbols[i]]++;
  return h;
}

/** Parts end to end. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Codes one layer with `indexBits`-bit gaps. */
export function encodeLayer(layer: SharedLayerInput, indexBits: number): CodedLayer {
  const bits = Math.log2(layer.codebook.length);
  const [rows, cols] = matrixOf(layer.shape);
  // Only the centroids some weight uses are stored; `index` renumbers them in order.
  const index = new Int32Array(layer.codebook.length).fill(-1);
  for (const k of layer.groups) if (k >= 0) index[k] = 0;
  const used: number[] = [];
  index.forEach((v, k) => {
    if (v === 0) index[k] = used.push(k) - 1;
  });
  const codebook = Uint16Array.from(used, (k) => toFloat16Bits(layer.codebook[k]));
  const g = layer.groups;
  const liveRow = new Uint8Array(rows);
  const liveCol = new Uint8Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (g[r * cols + c] >= 0) liveRow[r] = liveCol[c] = 1;
  const rowList = [...liveRow.keys()].filter((r) => liveRow[r]);
  const colList = [...liveCol.keys()].filter((c) => liveCol[c]);
  // Positions within the live submatrix, row by row.
  const positions: number[] = [];
  const symbols: number[] = [];
  rowList.forEach((r, i) => {
    colList.forEach((c, j) => {
      if (g[r * cols + c] >= 0) {
        positions.push(i * colList.length + j);
        symbols.push(index[g[r * cols + c]]);
      }
    });
  });
  const { gaps, fillers } = encodeRelative(positions, indexBits);
  const valueLengths = huffmanLengths(histogram(symbols, used.length));
  const gapLengths = huffmanLengths(histogram(gaps, 2 ** indexBits));
  const values = huffmanEncode(symbols, valueLengths);
  const gapStream = huffmanEncode(gaps, gapLengths);
  const maps = concat([bitmap(liveRow), bitmap(liveCol)]);
  const codes = concat([maps, packLengths(valueLengths), packLengths(gapLengths), values.bytes, gapStream.bytes]);
  const kept = positions.length;
  // A row with no weight left is a unit pruning removed: when its bias is 0 too (see
  // removeDeadUnits), only the live rows' biases are stored.
  const b = layer.bias;
  const biasLayout: BiasLayout = !b ? 'none' : b.every((v, r) => liveRow[r] || v === 0) ? 'live' : 'all';
  const storedBias = b ? Uint16Array.from(biasLayout === 'live' ? rowList.map((r) => b[r]) : b, toFloat16Bits) : null;
  const biases = b?.length ?? 0;
  const halves = 16 * (used.length + (storedBias?.length ?? 0)); // the codebook and the bias in float16
  const indexCost = 8 * maps.length + indexBits * gaps.length;
  const cost: LayerCost = {
    name: layer.name,
    shape: [...layer.shape],
    weights: g.length,
    kept,
    entries: gaps.length,
    fillers,
    bits,
    indexBits,
    dense: 32 * (g.length + biases),
    pruned: 32 * (kept + biases) + indexCost,
    quantized: bits * kept + indexCost + halves,
    huffman: 8 * codes.length + halves,
    valueBitsPerWeight: kept ? values.bits / kept : 0,
    indexBitsPerWeight: kept ? gapStream.bits / kept : 0,
  };
  return {
    shape: [...layer.shape],
    bits,
    indexBits,
    kept,
    entries: gaps.length,
    valueBytes: values.bytes.length,
    bias: biasLayout,
    codes,
    codebook,
    storedBias,
    cost,
  };
}

/**
 * The dense weights (flattened, row-major) and the bias of a layer coded by `encodeLayer`,
 * from its codes, its stored codebook (the used centroids) and its stored biases. Anything
 * that does not fit (codes too short, an invalid code table, a stream that ends early or
 * has bits left over, a position past the layer, the wrong number of biases) throws an
 * error prefixed with `source`.
 */
export function decodeLayer(
  codes: Uint8Array,
  layout: LayerLayout,
  codebook: Float32Array,
  storedBias: Float32Array | null,
  source: string,
): { weight: Float32Array; bias: Float32Array | null } {
  const [rows, cols] = matrixOf(layout.shape);
  if (rows * cols > 2 ** 28) throw new Error(`${source}: a layer of ${rows * cols} weights is beyond what this decoder takes (2^28)`);
  const mapBytes = ((rows + 7) >>> 3) + ((cols + 7) >>> 3);
  const valueTable = (codebook.length + 1) >>> 1;
  const tables = mapBytes + valueTable + ((2 ** layout.indexBits + 1) >>> 1);
  if (tables + layout.valueBytes > codes.length)
    throw new Error(
      `${source}: ${codes.length} bytes of codes cannot hold the bitmaps, the code tables and a ${layout.valueBytes}-byte value stream`,
    );
  const rowList = unbitmap(codes.subarray(0, (rows + 7) >>> 3), rows);
  const colList = unbitmap(codes.subarray((rows + 7) >>> 3, mapBytes), cols);
  const valueLengths = unpackLengths(codes.subarray(mapBytes, mapBytes + valueTable), codebook.length);
  const gapLengths = unpackLengths(codes.subarray(mapBytes + valueTable, tables), 2 ** layout.indexBits);
  const symbols = huffmanDecode(codes.subarray(tables, tables + layout.valueBytes), valueLengths, layout.kept, `${source} values`);
  const gaps = huffmanDecode(codes.subarray(tables + layout.valueBytes), gapLengths, layout.entries, `${source} positions`);
  const positions = decodeRelative(gaps, layout.indexBits, rowList.length * colList.length, `${source} positions`);
  if (positions.length !== layout.kept) throw new Error(`${source}: ${positions.length} positions for ${layout.kept} weights`);
  const w = new Float32Array(rows * cols);
  const n = colList.length;
  for (let i = 0; i < positions.length; i++)
    w[rowList[Math.floor(positions[i] / n)] * cols + colList[positions[i] % n]] = codebook[symbols[i]];
  const biasCount = { none: 0, all: rows, live: rowList.length }[layout.bias];
  if ((storedBias?.length ?? 0) !== biasCount)
    throw new Error(`${source}: ${storedBias?.length ?? 0} biases stored where the layout '${layout.bias}' needs ${biasCount}`);
  if (!storedBias || layout.bias === 'all') return { weight: w, bias: storedBias };
  const bias = new Float32Array(rows);
  rowList.forEach((r, i) => {
    bias[r] = storedBias[i];
  });
  return { weight: w, bias };
}
