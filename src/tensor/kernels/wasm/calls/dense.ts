import type { Kernels } from '../../interface.js';
import type { ExportTable } from '../exports.js';
import type { ScratchFrame } from '../heap.js';
import { SPLIT_MIN_MACS, shareBounds, type WasmModule } from '../module.js';

/**
 * The exports of assembly/gemm.ts, gemv.ts and elementwise.ts that these calls use, each with its parameters by name and in order (see
 * ../exports.ts).
 */
export const DENSE_EXPORTS = {
  packBytes: { params: ['M', 'N', 'K'], split: false },
  gemm: { params: ['transA', 'transB', 'M', 'N', 'K', 'a', 'b', 'c', 'accumulate', 'scratch', 'j0', 'j1'], split: true },
  linearEpilogue: {
    params: ['transA', 'transB', 'M', 'N', 'K', 'a', 'b', 'c', 'accumulate', 'scratch', 'j0', 'j1', 'bias', 'relu'],
    split: true,
  },
  gemv: { params: ['transB', 'M', 'N', 'K', 'a', 'b', 'c', 'accumulate', 'j0', 'j1'], split: true },
  reluMask: { params: ['dy', 'y', 'out', 'n'], split: false },
  reluF32: { params: ['x', 'out', 'n'], split: false },
  sumRows: { params: ['x', 'rows', 'cols', 'out', 'accumulate'], split: false },
} as const satisfies ExportTable;

/** Products of at most this many rows take the memory-bound GEMV (assembly/gemv.ts). */
export const GEMV_MAX_ROWS = 3;

/** GEMVs over at least this many weights are split across the threads (fc2's 131k weights: 33 µs split, 57 µs not; bench gemv). */
export const GEMV_SPLIT_MIN = 64 * 1024;

/**
 * C (+)= op(A)·op(B) in wasm, same arguments as kernels/gemm.ts. Operands that are not
 * resident are copied into the module's memory, multiplied there (large products split by
 * columns across the threads, in multiples of the 8-wide panel), and C is copied back.
 */
export function gemm(
  m: WasmModule,
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  accumulate: boolean,
): void {
  const frame = m.heap.frame();
  const a = frame.place(A, M * K);
  const b = frame.place(B, K * N);
  const c = frame.output(C, accumulate, M * N);
  product(m, frame, transA, transB, M, N, K, a, b, c, accumulate);
  frame.finish();
}

/**
 * y `[N, out]` = x·Wᵀ + b, then max(y, 0) when `relu`, in wasm (same arguments as
 * kernels/linear.ts): the bias and the ReLU are applied to each tile of y as the product
 * finishes it (the GEMM's epilogue), so y leaves wasm once and is never passed over again.
 */
export function linearForward(
  m: WasmModule,
  x: Float32Array,
  N: number,
  inF: number,
  W: Float32Array,
  outF: number,
  bias: Float32Array | null,
  relu: boolean,
  y: Float32Array,
): void {
  const frame = m.heap.frame();
  const [xa, wa] = [frame.place(x, N * inF), frame.place(W, outF * inF)];
  const ba = bias ? frame.place(bias, outF) : 0;
  const ya = frame.output(y, false, N * outF);
  product(m, frame, false, true, N, outF, inF, xa, wa, ya, false, ba, relu);
  frame.finish();
}

/**
 * A fully connected layer's backward in wasm (same arguments as kernels/linear.ts
 * linearBackward). dy is masked by the ReLU in SIMD (no branch to mispredict); W, and dW and db when they
 * are a parameter's resident gradient, are used where they live. With two threads and
 * both gradients wanted, dx = g·W runs here while a helper makes dW = gᵀ·x: the two
 * products have the same N·in·out multiply-adds, so neither waits long for the other,
 * and each is one unsplit product (one packing of its operands, one join).
 */
export function linearBackward(
  m: WasmModule,
  dy: Float32Array,
  y: Float32Array | null,
  N: number,
  inF: number,
  outF: number,
  x: Float32Array,
  W: Float32Array,
  dx: Float32Array | null,
  dW: Float32Array | null,
  addW: boolean,
  db: Float32Array | null,
  addB: boolean,
): void {
  const frame = m.heap.frame();
  // The masked gradient goes to scratch of its own: dy may be resident, and is not ours to change.
  const g = y ? frame.take(N * outF * 4) : frame.place(dy, N * outF);
  if (y) m.call('reluMask', { dy: frame.place(dy, N * outF), y: frame.place(y, N * outF), out: g, n: N * outF });
  const wa = dx ? frame.place(W, outF * inF) : 0;
  const xa = dW ? frame.place(x, N * inF) : 0;
  const dxa = dx ? frame.output(dx, false, N * inF) : 0;
  const dWa = dW ? frame.output(dW, addW, outF * inF) : 0;
  if (dx && dW && m.threads > 1 && N > GEMV_MAX_ROWS && N * inF * outF >= SPLIT_MIN_MACS) {
    const [sx, sw] = [
      frame.take(m.call('packBytes', { M: N, N: inF, K: outF })),
      frame.take(m.call('packBytes', { M: outF, N: inF, K: N })),
    ];
    m.runJobs([
      ['gemm', { transA: 0, transB: 0, M: N, N: inF, K: outF, a: g, b: wa, c: dxa, accumulate: 0, scratch: sx, j0: 0, j1: inF }],
      ['gemm', { transA: 1, transB: 0, M: outF, N: inF, K: N, a: g, b: xa, c: dWa, accumulate: +addW, scratch: sw, j0: 0, j1: inF }],
    ]);
  } else {
    if (dx) product(m, frame, false, false, N, inF, outF, g, wa, dxa, false);
    if (dW) product(m, frame, true, false, outF, inF, N, g, xa, dWa, addW);
  }
  if (db) m.call('sumRows', { x: g, rows: N, cols: outF, out: frame.output(db, addB, outF), accumulate: +addB });
  frame.finish();
}

/**
 * y `[N, out]` = (x·downᵀ)·upᵀ (+ bias, ReLU) in wasm (same arguments as kernels/lowrank.ts):
 * x goes in once, the `[N, r]` product in between never leaves wasm memory, the bias and
 * ReLU are the second product's epilogue, and only y comes out.
 */
export function lowRankLinear(
  m: WasmModule,
  x: Float32Array,
  N: number,
  down: Float32Array,
  up: Float32Array,
  r: number,
  inF: number,
  outF: number,
  y: Float32Array,
  bias: Float32Array | null = null,
  relu = false,
): void {
  const frame = m.heap.frame();
  const [xa, da, ua] = [frame.place(x, N * inF), frame.place(down, r * inF), frame.place(up, outF * r)];
  const ba = bias ? frame.place(bias, outF) : 0;
  const t = frame.take(N * r * 4);
  const ya = frame.output(y, false, N * outF);
  product(m, frame, false, true, N, r, inF, xa, da, t, false);
  product(m, frame, false, true, N, outF, r, t, ua, ya, false, ba, relu);
  frame.finish();
}

/**
 * C (+)= op(A)·op(B) on arrays already in wasm memory (byte addresses): the GEMV for up to
 * 3 rows, else the packed GEMM; large products split by columns across the threads. A
 * `bias` address (0 for none) and `relu` are applied to the result (the GEMM's epilogue,
 * or one pass over the few rows a GEMV makes).
 */
function product(
  m: WasmModule,
  frame: ScratchFrame,
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  a: number,
  b: number,
  c: number,
  accumulate: boolean,
  bias = 0,
  relu = false,
): void {
  if (M <= GEMV_MAX_ROWS) {
    if (transA) a = rowsOf(m, frame, a, M, K);
    const parts = N * K >= GEMV_SPLIT_MIN ? Math.max(1, Math.min(m.threads, Math.floor(N / 16))) : 1;
    const bounds = shareBounds(N, parts, 16);
    m.split('gemv', parts, (p) => ({ transB: +transB, M, N, K, a, b, c, accumulate: +accumulate, j0: bounds[p], j1: bounds[p + 1] }));
    if (bias || relu) epilogueRows(m, c, M, N, bias, relu);
    return;
  }
  const parts = M * N * K >= SPLIT_MIN_MACS ? Math.max(1, Math.min(m.threads, Math.floor(N / 8))) : 1;
  const pack = m.call('packBytes', { M, N, K });
  const scratch = Array.from({ length: parts }, () => frame.take(pack));
  const bounds = shareBounds(N, parts, 8);
  if (bias || relu)
    m.split('linearEpilogue', parts, (p) => ({
      transA: +transA,
      transB: +transB,
      M,
      N,
      K,
      a,
      b,
      c,
      accumulate: +accumulate,
      scratch: scratch[p],
      j0: bounds[p],
      j1: bounds[p + 1],
      bias,
      relu: +relu,
    }));
  else
    m.split('gemm', parts, (p) => ({
      transA: +transA,
      transB: +transB,
      M,
      N,
      K,
      a,
      b,
      c,
      accumulate: +accumulate,
      scratch: scratch[p],
      j0: bounds[p],
      j1: bounds[p + 1],
    }));
}

/** C[i, j] += bias[j] and/or max(C, 0) over the few rows a GEMV made, where they lie. */
function epilogueRows(m: WasmModule, c: number, M: number, N: number, bias: number, relu: boolean): void {
  const y = m.heap.view(Float32Array, c, M * N);
  const b = bias ? m.heap.view(Float32Array, bias, N) : null;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let v = y[i * N + j];
      if (b) v += b[j];
      if (relu && v < 0) v = 0;
      y[i * N + j] = v;
    }
  }
}

/** A transposed A `[K, M]` of a few columns, gathered into rows `[M, K]` in scratch; returns their address. */
function rowsOf(m: WasmModule, frame: ScratchFrame, a: number, M: number, K: number): number {
  const at = frame.take(M * K * 4);
  const from = m.heap.view(Float32Array, a, M * K),
    rows = m.heap.view(Float32Array, at, M * K);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) rows[i * K + k] = from[k * M + i];
  return at;
}

/**
 * out = max(x, 0) in SIMD (same arguments as kernels/elementwise.ts relu; out may be x):
 * branch-free, where the TypeScript loop mispredicts on activations that are half
 * negative in no order (0.27 ms for the teacher's 32k pooled values).
 */
export function relu(m: WasmModule, x: Float32Array, out: Float32Array): void {
  const frame = m.heap.frame();
  m.call('reluF32', { x: frame.place(x), out: frame.output(out, false, x.length), n: x.length });
  frame.finish();
}

/** dx = 0 where y ≤ 0, else dy, in SIMD (same arguments as kernels/elementwise.ts reluBackward). */
export function reluBackward(m: WasmModule, dy: Float32Array, y: Float32Array, dx: Float32Array): void {
  const frame = m.heap.frame();
  m.call('reluMask', { dy: frame.place(dy), y: frame.place(y, dy.length), out: frame.output(dx, false, dy.length), n: dy.length });
  frame.finish();
}

/** These calls as entries of the kernel interface, bound to module `m`. */
export function denseCalls(m: WasmModule) {
  return {
    gemm: (...a) => gemm(m, ...a),
    linearForward: (...a) => linearForward(m, ...a),
    linearBackward: (...a) => linearBackward(m, ...a),
    relu: (...a) => relu(m, ...a),
    reluBackward: (...a) => reluBackward(m, ...a),
    lowRankLinear: (...a) => lowRankLinear(m, ...a),
  } satisfies Partial<Kernels>;
}
