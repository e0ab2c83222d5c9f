import { conv2dBackward, conv2dForward } from './conv.js';
import { convPoolBackward, convPoolForward } from './conv-pool.js';
import { adamStep, addBias, relu, reluBackward, sumRows } from './elementwise.js';
import { gemmBlocked } from './gemm.js';
import { gemmInt8 } from './int8.js';
import { lowRankLinear } from './lowrank.js';
import { int8Conv2d, int8Linear } from './quant.js';
import { maxPool2d, maxPool2dBackward } from './pool.js';
import { csrLinear } from './sparse.js';
import { wasmCalls } from './wasm/calls/index.js';
import { threadCount } from './wasm/build.js';
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
  lowRankLinear: typeof lowRankLinear;
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
  int8Linear: typeof int8Linear;
  int8Conv2d: typeof int8Conv2d;
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
  lowRankLinear,
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
  int8Linear,
  int8Conv2d,
  allocState: (n) => new Float32Array(n),
};

/** Products smaller than this many multiply-adds stay in TypeScript: copying into wasm memory would cost more than it saves. */
const WASM_MIN_MACS = 16 * 1024;

/** The wasm backend once started: its module and kernels, or why it cannot run here. */
export interface WasmBackend {
  module: WasmModule | null;
  kernels: Kernels | null;
  reason?: string;
}

let wasm: WasmBackend | undefined;

/**
 * Starts the wasm backend on first use (compiles the module, starts its helper threads)
 * and returns it; nothing wasm runs before this is called. Its kernels are the WebAssembly
 * SIMD ones (assembly/) where they pay, the TypeScript ones for the rest.
 */
export function wasmBackend(): WasmBackend {
  if (wasm) return wasm;
  const loaded = WasmModule.load();
  if (!loaded.module) return (wasm = { module: null, kernels: null, reason: loaded.reason });
  const calls = wasmCalls(loaded.module);
  const wasmGemm = calls.gemm;
  return (wasm = {
    module: loaded.module,
    kernels: {
      ...jsKernels,
      ...calls,
      name: 'wasm',
      gemm: (transA, transB, M, N, K, A, B, C, accumulate) => {
        // Small products are not worth the copies into wasm memory.
        if (M * N * K < WASM_MIN_MACS) gemmBlocked(transA, transB, M, N, K, A, B, C, accumulate);
        else wasmGemm(transA, transB, M, N, K, A, B, C, accumulate);
      },
    },
  });
}

/** The backends by name; a getter each, so that naming one starts only that one. */
const BACKENDS: Record<string, () => Kernels | null> = { js: () => jsKernels, wasm: () => wasmBackend().kernels };

/** The backend `name` (a key of BACKENDS, checked without the prototype), or a clear error. */
function backendNamed(name: string, from: string): Kernels {
  if (!Object.hasOwn(BACKENDS, name)) throw new Error(`${from}: unknown backend '${name}'; available: ${Object.keys(BACKENDS).join(', ')}`);
  const chosen = BACKENDS[name]();
  if (!chosen) throw new Error(`${from}: the ${name} kernels cannot run here: ${wasmBackend().reason}`);
  return chosen;
}

/** Picks the backend: `SLIMTENSOR_BACKEND` when set, else the fastest one available. */
function selectBackend(): Kernels {
  const requested = process.env.SLIMTENSOR_BACKEND;
  if (requested === undefined || requested === '') return wasmBackend().kernels ?? jsKernels;
  return backendNamed(requested, `SLIMTENSOR_BACKEND=${requested}`);
}

/**
 * Checks SLIMTENSOR_BACKEND, SLIMTENSOR_THREADS and SLIMTENSOR_SIMD without starting
 * anything, so a command can refuse a bad value before it does any work.
 */
export function checkBackendEnvironment(): void {
  const requested = process.env.SLIMTENSOR_BACKEND;
  if (requested && !Object.hasOwn(BACKENDS, requested)) {
    throw new Error(`SLIMTENSOR_BACKEND=${requested}: unknown backend '${requested}'; available: ${Object.keys(BACKENDS).join(', ')}`);
  }
  threadCount();
  const simd = process.env.SLIMTENSOR_SIMD;
  if (simd && simd !== 'relaxed' && simd !== 'plain') throw new Error(`SLIMTENSOR_SIMD=${simd}: expected relaxed or plain`);
}

/** Whether the wasm backend has been started (by a kernel call, `useBackend` or `wasmBackend`). */
export function wasmStarted(): boolean {
  return wasm !== undefined;
}

/** Replaces the stubs below with the chosen backend's kernels, once. */
function start(): void {
  if (kernels.name === UNSTARTED) Object.assign(kernels, selectBackend());
}

const UNSTARTED = '(not started)';

/**
 * The active kernels (one object, so that `useBackend` can switch every op at once). Until
 * the first kernel call, each entry is a stub that picks the backend and then calls it:
 * importing the engine loads no WebAssembly and starts no thread.
 */
export const kernels: Kernels = Object.fromEntries(Object.entries(jsKernels).map(([key, value]) => [
  key,
  typeof value === 'function' ? (...args: unknown[]) => { start(); return (kernels[key as keyof Kernels] as (...a: unknown[]) => unknown)(...args); } : UNSTARTED,
])) as unknown as Kernels;

/**
 * Switches every op to another backend, for benchmarks that compare backends in one run.
 * Throws when that backend cannot run here.
 */
export function useBackend(name: 'js' | 'wasm'): void {
  Object.assign(kernels, backendNamed(name, 'useBackend'));
}

/** The active backend (started if it was not), its threads and its SIMD build. */
export function backendInfo(): { name: string; threads: number; simd: string } {
  start();
  const module = kernels.name === 'wasm' ? wasmBackend().module : null;
  return { name: kernels.name, threads: module?.threads ?? 1, simd: module?.simd ?? 'none' };
}
