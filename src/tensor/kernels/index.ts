import { jsKernels, type Kernels } from './interface.js';
import { wasmBackend } from './wasm/backend.js';
import { threadCount } from './wasm/build.js';

export type { ConvGeometry } from './conv.js';
export type { PoolWindow } from './conv-pool.js';
export type { Kernels } from './interface.js';

/**
 * Backend selection: the kernels the ops call (`kernels`), started lazily at the first
 * call with the backend SLIMTENSOR_BACKEND names, else the fastest that runs here. The
 * interface and the TypeScript backend are in interface.ts, the wasm one in wasm/.
 */

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
