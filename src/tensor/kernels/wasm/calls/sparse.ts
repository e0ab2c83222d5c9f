import type { CsrWeights } from '../../sparse.js';
import type { WasmModule } from '../module.js';

/**
 * Products of at least this many stored entries × inputs are split across the threads.
 * With helpers that poll between jobs (pool.ts), a 90%-sparse fc1 at batch 1 (40k
 * entries) runs in 26 µs split against 40 µs on one thread (bench csr).
 */
const CSR_POOL_MIN = 32 * 1024;

/** A CSR weight's arrays in wasm memory: resident (owned by the weight) or null to copy per call. */
interface CsrPack {
  at: { rowPtr: number; idx: number; val: number } | null;
}

/** Copies the weight's three arrays into one resident block, once, kept for as long as the weight lives. */
function csrPack(m: WasmModule, w: CsrWeights): CsrPack {
  const cached = w.packs.get('wasm') as CsrPack | undefined;
  if (cached) return cached;
  const sizes = [w.rowPtr.byteLength, w.colIndices.byteLength, w.values.byteLength].map((b) => (b + 15) & ~15);
  const block = m.heap.ownBlock(w, sizes[0] + sizes[1] + sizes[2]);
  let pack: CsrPack = { at: null };
  if (block !== null) {
    const at = { rowPtr: block, idx: block + sizes[0], val: block + sizes[0] + sizes[1] };
    m.heap.view(Int32Array, at.rowPtr, w.rowPtr.length).set(w.rowPtr);
    m.heap.view(w.colIndices.constructor as Uint8ArrayConstructor, at.idx, w.colIndices.length).set(w.colIndices);
    m.heap.view(Float32Array, at.val, w.values.length).set(w.values);
    pack = { at };
  }
  w.packs.set('wasm', pack);
  return pack;
}

/** Splits rows into `parts` ranges with about equal numbers of stored entries: `[r0, r1, …, rows]`. */
export function rowBoundsByEntries(rowPtr: Int32Array, rows: number, parts: number): number[] {
  const nnz = rowPtr[rows];
  const bounds = [0];
  for (let p = 1; p < parts; p++) {
    const target = (p * nnz) / parts;
    let lo = bounds[p - 1], hi = rows;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rowPtr[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    // The first row that starts at or past the target, or the one before when that is nearer.
    if (lo > bounds[p - 1] && target - rowPtr[lo - 1] < rowPtr[lo] - target) lo--;
    bounds.push(lo);
  }
  bounds.push(rows);
  return bounds;
}

/**
 * y = x·Wᵀ with W in CSR (same arguments as kernels/sparse.ts csrLinear), x `[N, cols]`,
 * y `[N, rows]`. W's arrays are resident from the first call on, with their narrow column
 * indices; one input runs the gathering kernel, a batch is transposed in wasm memory and
 * runs the batch kernel. Rows are split across the threads, by stored entries, when the
 * work is large enough.
 */
export function csrLinear(m: WasmModule, w: CsrWeights, x: Float32Array, N: number, y: Float32Array): void {
  const { rows, cols } = w;
  if (N === 0 || rows === 0) return;
  const pack = csrPack(m, w);
  const frame = m.heap.frame();
  const at = pack.at ?? { rowPtr: frame.place(w.rowPtr), idx: frame.place(w.colIndices), val: frame.place(w.values) };
  const width = w.colIndices.BYTES_PER_ELEMENT;
  const ya = frame.output(y, false, N * rows);
  const xa = frame.place(x, N * cols);
  const parts = w.values.length * N >= CSR_POOL_MIN ? Math.min(m.threads, rows) : 1;
  const bounds = rowBoundsByEntries(w.rowPtr, rows, parts);
  if (N === 1) {
    m.split('csrGemv', parts, (p) => [width, at.rowPtr, at.idx, at.val, xa, ya, bounds[p], bounds[p + 1]]);
  } else {
    const Np = (N + 3) & ~3;
    const xT = frame.take(cols * Np * 4);
    m.exports.transposePad(xa, N, cols, Np, xT);
    m.split('csrGemm', parts, (p) => [width, at.rowPtr, at.idx, at.val, xT, N, Np, ya, rows, bounds[p], bounds[p + 1]]);
  }
  frame.finish();
}
