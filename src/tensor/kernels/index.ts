import { conv2dBackward, conv2dForward, im2col } from './conv.js';
import { convPoolBackward, convPoolForward } from './conv-pool.js';
import { adamStep, addBias, relu, reluBackward, sumRows } from './elementwise.js';
import { gemmBlocked } from './gemm.js';
import { gemmInt8 } from './int8.js';
import { maxPool2d, maxPool2dBackward } from './pool.js';
import { csrLinear } from './sparse.js';
import { WasmModule } from './wasm/module.js';

export type { ConvGeometry } from './conv.js';
export type { PoolWindow } from './conv-pool.js';

/**
 * The kernel interface: every loop the engine runs on typed arrays goes through one of
 * these, so a backend is a complete set of them. Ops call `kernels.gemm(...)` and never
 * know which backend answers.
 */
export interface Kernels {
  readonly name: string;
  gemm: typeof gemmBlocked;
  im2col: typeof im2col;
  conv2dForward: typeof conv2dForward;
  conv2dBackward: typeof conv2dBackward;
  maxPool2d: typeof maxPool2d;
  maxPool2dBackward: typeof maxPool2dBackward;
  convPoolForward: typeof convPoolForward;
  convPoolBackward: typeof convPoolBackward;
  addBias: typeof addBias;
  sumRows: typeof sumRows;
  relu: typeof relu;
  reluBackward: typeof reluBackward;
  adamStep: typeof adamStep;
  csrLinear: typeof csrLinear;
  gemmInt8: typeof gemmInt8;
  /**
   * n zeros, in the storage this backend's kernels work on fastest, for arrays that live
   * across many calls (an optimizer's state): a plain Float32Array for js, one in wasm
   * memory for wasm (so it is not copied in and out on every step).
   */
  allocState(n: number): Float32Array;
}

/** Plain TypeScript kernels: always available, and the readable baseline. */
export const jsKernels: Kernels = {
  name: 'js',
  gemm: gemmBlocked,
  im2col,
  conv2dForward,
  conv2dBackward,
  maxPool2d,
  maxPool2dBackward,
  convPoolForward,
  convPoolBackward,
  addBias,
  sumRows,
  relu,
  reluBackward,
  adamStep,
  csrLinear,
  gemmInt8,
  allocState: (n) => new Float32Array(n),
};

/** Products smaller than this many multiply-adds stay in TypeScript: copying into wasm memory would cost more than it saves. */
const WASM_MIN_MACS = 16 * 1024;

const loaded = WasmModule.load();

/** The compiled WebAssembly module (null when it cannot run here), for tests and benchmarks. */
export const wasmModule: WasmModule | null = loaded.module;

/**
 * WebAssembly SIMD kernels (assembly/gemm.ts) where they pay, the TypeScript ones for the
 * rest; null when the module is missing or cannot be compiled here.
 */
export const wasmKernels: Kernels | null = loaded.module
  ? {
    ...jsKernels,
    name: 'wasm',
    gemm: (transA, transB, M, N, K, A, B, C, accumulate) => {
      // A product of a few rows (one image at a time) streams B in TypeScript faster than
      // wasm can pack it; small products are not worth the copies.
      if (M < 4 || M * N * K < WASM_MIN_MACS) gemmBlocked(transA, transB, M, N, K, A, B, C, accumulate);
      else loaded.module!.gemm(transA, transB, M, N, K, A, B, C, accumulate);
    },
    gemmInt8: (M, A, w, C) => loaded.module!.gemmInt8(M, A, w, C),
    conv2dForward: (x, w, bias, N, OC, g, out) => loaded.module!.convForward(x, w, bias, N, OC, g, out),
    conv2dBackward: (x, w, dy, N, OC, g, dx, dw, db) => loaded.module!.convBackward(x, w, dy, N, OC, g, dx, dw, db),
    convPoolForward: (x, w, bias, N, OC, g, pool, out, argmax) => loaded.module!.convPool(x, w, bias, N, OC, g, pool, out, argmax),
    convPoolBackward: (x, w, dout, argmax, N, OC, g, pool, dx, dw, db) => loaded.module!.convPoolBackward(x, w, dout, argmax, N, OC, g, pool, dx, dw, db),
    adamStep: (p, g, m, v, lr, beta1, beta2, eps, step, weightDecay) => loaded.module!.adamStep(p, g, m, v, lr, beta1, beta2, eps, step, weightDecay),
    allocState: (n) => loaded.module!.allocFloat32(n) ?? new Float32Array(n),
  }
  : null;

const BACKENDS: Record<string, Kernels | null> = { js: jsKernels, wasm: wasmKernels };

/** Picks the backend: `SLIMTENSOR_BACKEND` when set, else the fastest one available. */
function selectBackend(): Kernels {
  const requested = process.env.SLIMTENSOR_BACKEND;
  if (requested === undefined || requested === '') return wasmKernels ?? jsKernels;
  if (!(requested in BACKENDS)) {
    throw new Error(`SLIMTENSOR_BACKEND=${requested}: unknown backend; available: ${Object.keys(BACKENDS).join(', ')}`);
  }
  const chosen = BACKENDS[requested];
  if (!chosen) throw new Error(`SLIMTENSOR_BACKEND=${requested}: the wasm kernels cannot run here: ${loaded.reason}`);
  return chosen;
}

/** The active kernels (one object, so that `useBackend` can switch every op at once). */
export const kernels: Kernels = { ...selectBackend() };

/**
 * Switches every op to another backend, for benchmarks that compare backends in one run.
 * Throws when that backend cannot run here.
 */
export function useBackend(name: 'js' | 'wasm'): void {
  const chosen = BACKENDS[name];
  if (!chosen) throw new Error(`useBackend: the ${name} kernels cannot run here${name === 'wasm' ? `: ${loaded.reason}` : ''}`);
  Object.assign(kernels, chosen);
}

/** Threads the active backend uses for large products. */
export function activeThreads(): number {
  return kernels.name === 'wasm' && wasmModule ? wasmModule.threads : 1;
}

