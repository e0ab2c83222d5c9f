import type { Kernels } from '../../interface.js';
import { type CsrStage, type CsrWeights, stageByStage } from '../../sparse.js';
import type { ExportTable } from '../exports.js';
import type { ScratchFrame } from '../heap.js';
import { shareBounds, type WasmModule } from '../module.js';

/** The exports of assembly/sparse.ts that these calls use, each with its parameters by name and in order (see ../exports.ts). */
export const SPARSE_EXPORTS = {
  csrGemv: { params: ['width', 'rowPtr', 'idx', 'val', 'x', 'y', 'r0', 'r1', 'bias', 'relu'], split: true },
  csrGemm: { params: ['width', 'rowPtr', 'idx', 'val', 'xT', 'N', 'Np', 'y', 'rows', 'r0', 'r1', 'bias', 'relu'], split: true },
  csrGemmT: { params: ['width', 'rowPtr', 'idx', 'val', 'xT', 'Np', 'yT', 'r0', 'r1', 'bias', 'relu'], split: true },
  transposePad: { params: ['x', 'N', 'cols', 'Np', 'xT', 'c0', 'c1'], split: true },
} as const satisfies ExportTable;

/**
 * Products of at least this many stored entries × inputs are split across the threads.
 * With helpers that poll between jobs (helpers.ts), a 90%-sparse fc1 at batch 1 (40k
 * entries) runs in 26 µs split against 40 µs on one thread (bench csr).
 */
const CSR_SPLIT_MIN = 32 * 1024;

/** A CSR weight's arrays in wasm memory: their resident addresses (null for one that is copied per call). */
interface CsrPack {
  rowPtr: number | null;
  idx: number | null;
  val: number | null;
}

/** Copies the weight's three arrays into wasm memory, once, kept for as long as the weight lives. */
function csrPack(m: WasmModule, w: CsrWeights): CsrPack {
  return m.packOf(w, 'csr', () => ({
    rowPtr: m.heap.residentCopy(w, w.rowPtr),
    idx: m.heap.residentCopy(w, w.colIndices),
    val: m.heap.residentCopy(w, w.values),
  }));
}

/** Splits rows into `parts` ranges with about equal numbers of stored entries: `[r0, r1, …, rows]`. */
export function rowBoundsByEntries(rowPtr: Int32Array, rows: number, parts: number): number[] {
  const nnz = rowPtr[rows];
  const bounds = [0];
  for (let p = 1; p < parts; p++) {
    const target = (p * nnz) / parts;
    let lo = bounds[p - 1],
      hi = rows;
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

/** The addresses of a CSR weight's arrays for one call: resident, or copied into this frame. */
function arraysAt(frame: ScratchFrame, pack: CsrPack, w: CsrWeights): { rowPtr: number; idx: number; val: number } {
  return {
    rowPtr: pack.rowPtr ?? frame.place(w.rowPtr),
    idx: pack.idx ?? frame.place(w.colIndices),
    val: pack.val ?? frame.place(w.values),
  };
}

/**
 * y = x·Wᵀ with W in CSR (same arguments as kernels/sparse.ts csrLinear), x `[N, cols]`,
 * y `[N, rows]`, plus the bias and then the ReLU when given, applied as each sum is
 * stored. W's arrays are resident from the first call on, with their narrow column
 * indices; one input runs the gathering kernel, a batch is transposed in wasm memory and
 * runs the batch kernel. Rows are split across the threads, by stored entries, when the
 * work is large enough.
 */
export function csrLinear(
  m: WasmModule,
  w: CsrWeights,
  x: Float32Array,
  N: number,
  y: Float32Array,
  bias: Float32Array | null = null,
  relu = false,
): void {
  const { rows, cols } = w;
  if (N === 0 || rows === 0) return;
  const pack = csrPack(m, w);
  const frame = m.heap.frame();
  const at = arraysAt(frame, pack, w);
  const width = w.colIndices.BYTES_PER_ELEMENT;
  const ya = frame.output(y, false, N * rows);
  const xa = frame.place(x, N * cols);
  const ba = bias ? frame.place(bias, rows) : 0;
  const parts = w.values.length * N >= CSR_SPLIT_MIN ? Math.min(m.threads, rows) : 1;
  const bounds = rowBoundsByEntries(w.rowPtr, rows, parts);
  if (N === 1) {
    m.split('csrGemv', parts, (p) => ({
      width,
      rowPtr: at.rowPtr,
      idx: at.idx,
      val: at.val,
      x: xa,
      y: ya,
      r0: bounds[p],
      r1: bounds[p + 1],
      bias: ba,
      relu: +relu,
    }));
  } else {
    const Np = (N + 3) & ~3;
    const xT = transposed(m, frame, xa, N, cols, Np);
    m.split('csrGemm', parts, (p) => ({
      width,
      rowPtr: at.rowPtr,
      idx: at.idx,
      val: at.val,
      xT,
      N,
      Np,
      y: ya,
      rows,
      r0: bounds[p],
      r1: bounds[p + 1],
      bias: ba,
      relu: +relu,
    }));
  }
  frame.finish();
}

/** xT `[cols, Np]`, the batch x `[N, cols]` transposed into scratch (columns split across the threads when large). */
function transposed(m: WasmModule, frame: ScratchFrame, xa: number, N: number, cols: number, Np: number): number {
  const xT = frame.take(cols * Np * 4);
  const parts = N * cols >= CSR_SPLIT_MIN * 4 ? Math.max(1, Math.min(m.threads, cols >> 2)) : 1;
  const bounds = shareBounds(cols, parts, 4);
  m.split('transposePad', parts, (p) => ({ x: xa, N, cols, Np, xT, c0: bounds[p], c1: bounds[p + 1] }));
  return xT;
}

/**
 * Sparse layers one after another (same arguments as kernels/sparse.ts csrChain): the batch
 * is transposed once; each layer but the last writes its output transposed (csrGemmT), which
 * is the next layer's input as it stands; the last writes y `[N, rows]` (csrGemm). Nothing
 * leaves wasm memory between layers. Fewer than 4 inputs go through gatherChain.
 */
export function csrChain(m: WasmModule, stages: readonly CsrStage[], x: Float32Array, N: number, y: Float32Array): void {
  if (N === 0) return;
  if (N < 4) {
    gatherChain(m, stages, x, N, y);
    return;
  }
  if (stages.length < 2) {
    stageByStage(stages, x, N, y, (...a) => csrLinear(m, ...a));
    return;
  }
  // Resident copies first: they are placed where a frame's scratch would start.
  const packs = stages.map((s) => csrPack(m, s.weight));
  const frame = m.heap.frame();
  const Np = (N + 3) & ~3;
  let hT = transposed(m, frame, frame.place(x, N * stages[0].weight.cols), N, stages[0].weight.cols, Np);
  for (const [i, { weight: w, bias, relu }] of stages.entries()) {
    const at = arraysAt(frame, packs[i], w);
    const width = w.colIndices.BYTES_PER_ELEMENT;
    const ba = bias ? frame.place(bias, w.rows) : 0;
    const parts = w.values.length * N >= CSR_SPLIT_MIN ? Math.min(m.threads, w.rows) : 1;
    const bounds = rowBoundsByEntries(w.rowPtr, w.rows, parts);
    const xT = hT;
    if (i + 1 < stages.length) {
      hT = frame.take(w.rows * Np * 4);
      const yT = hT;
      m.split('csrGemmT', parts, (p) => ({
        width,
        rowPtr: at.rowPtr,
        idx: at.idx,
        val: at.val,
        xT,
        Np,
        yT,
        r0: bounds[p],
        r1: bounds[p + 1],
        bias: ba,
        relu: +relu,
      }));
    } else {
      const ya = frame.output(y, false, N * w.rows);
      m.split('csrGemm', parts, (p) => ({
        width,
        rowPtr: at.rowPtr,
        idx: at.idx,
        val: at.val,
        xT,
        N,
        Np,
        y: ya,
        rows: w.rows,
        r0: bounds[p],
        r1: bounds[p + 1],
        bias: ba,
        relu: +relu,
      }));
    }
  }
  frame.finish();
}

/**
 * csrChain for 1–3 inputs, one input at a time through the gathering kernel (csrGemv), in
 * one frame: the input goes in once, each layer's output is the next one's input where it
 * lies, and only the last comes out. Layer by layer through csrLinear, every layer copied
 * its input in and its output out and opened a frame of its own: at batch 1 the 95%-sparse
 * SimpleNet spent more time on those than in its kernels.
 */
function gatherChain(m: WasmModule, stages: readonly CsrStage[], x: Float32Array, N: number, y: Float32Array): void {
  const packs = stages.map((s) => csrPack(m, s.weight));
  const frame = m.heap.frame();
  const widest = Math.max(...stages.map((s) => s.weight.rows));
  const cols = stages[0].weight.cols,
    rows = stages[stages.length - 1].weight.rows;
  const xa = frame.place(x, N * cols);
  const ya = frame.output(y, false, N * rows);
  const between = [frame.take(widest * 4), frame.take(widest * 4)];
  const layers = stages.map(({ weight: w, bias, relu }, i) => {
    const parts = w.values.length >= CSR_SPLIT_MIN ? Math.min(m.threads, w.rows) : 1;
    return {
      w,
      at: arraysAt(frame, packs[i], w),
      ba: bias ? frame.place(bias, w.rows) : 0,
      relu: +relu,
      bounds: rowBoundsByEntries(w.rowPtr, w.rows, parts),
      parts,
    };
  });
  for (let n = 0; n < N; n++) {
    let h = xa + n * cols * 4;
    layers.forEach(({ w, at, ba, relu, bounds, parts }, i) => {
      const out = i + 1 < layers.length ? between[i & 1] : ya + n * rows * 4;
      const width = w.colIndices.BYTES_PER_ELEMENT,
        input = h;
      m.split('csrGemv', parts, (p) => ({
        width,
        rowPtr: at.rowPtr,
        idx: at.idx,
        val: at.val,
        x: input,
        y: out,
        r0: bounds[p],
        r1: bounds[p + 1],
        bias: ba,
        relu,
      }));
      h = out;
    });
  }
  frame.finish();
}

/** These calls as entries of the kernel interface, bound to module `m`. */
export function sparseCalls(m: WasmModule) {
  return {
    csrLinear: (...a) => csrLinear(m, ...a),
    csrChain: (...a) => csrChain(m, ...a),
  } satisfies Partial<Kernels>;
}
