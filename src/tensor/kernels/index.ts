import { platform } from '../../platform/index.js';
import { jsKernels, type Kernels } from './interface.js';
import { wasmBackend, wasmStarted } from './wasm/backend.js';
import { compileBuildAsync, relaxedSimdSupported, simdLevel, threadCount } from './wasm/build.js';

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
  const requested = platform().env('SLIMTENSOR_BACKEND');
  if (requested === undefined || requested === '') return wasmBackend().kernels ?? jsKernels;
  return backendNamed(requested, `SLIMTENSOR_BACKEND=${requested}`);
}

/**
 * Checks SLIMTENSOR_BACKEND, SLIMTENSOR_THREADS and SLIMTENSOR_SIMD without starting
 * anything, so a command can refuse a bad value before it does any work.
 */
export function checkBackendEnvironment(): void {
  const requested = platform().env('SLIMTENSOR_BACKEND');
  if (requested && !Object.hasOwn(BACKENDS, requested)) {
    throw new Error(`SLIMTENSOR_BACKEND=${requested}: unknown backend '${requested}'; available: ${Object.keys(BACKENDS).join(', ')}`);
  }
  threadCount();
  const simd = platform().env('SLIMTENSOR_SIMD');
  if (simd && simd !== 'relaxed' && simd !== 'plain') throw new Error(`SLIMTENSOR_SIMD=${simd}: expected relaxed or plain`);
}

/**
 * Replaces the stubs below with the chosen backend's kernels, once. Where the platform
 * cannot compile WebAssembly at once (a page), `init()` must have run: a kernel call
 * before it is an error rather than a silent fall back to the slow kernels.
 */
function start(): void {
  if (kernels.name !== UNSTARTED) return;
  const host = platform();
  if (!host.wasmBytesSync)
    throw new Error(`slimtensor: call \`await init()\` before the first kernel call (${host.name} compiles WebAssembly asynchronously)`);
  Object.assign(kernels, selectBackend());
}

const UNSTARTED = '(not started)';

/**
 * The active kernels (one object, so that `useBackend` can switch every op at once). Until
 * the first kernel call, each entry is a stub that picks the backend and then calls it:
 * importing the engine loads no WebAssembly and starts no thread.
 */
export const kernels: Kernels = Object.fromEntries(
  Object.entries(jsKernels).map(([key, value]) => [
    key,
    typeof value === 'function'
      ? (...args: unknown[]) => {
          start();
          return (kernels[key as keyof Kernels] as (...a: unknown[]) => unknown)(...args);
        }
      : UNSTARTED,
  ]),
) as unknown as Kernels;

/**
 * Switches every op to another backend, for benchmarks that compare backends in one run.
 * Throws when that backend cannot run here.
 */
export function useBackend(name: 'js' | 'wasm'): void {
  Object.assign(kernels, backendNamed(name, 'useBackend'));
}

/** The backend running the kernels: its name, its threads and its SIMD build. */
export interface BackendInfo {
  /** `wasm` (hand-written WebAssembly SIMD) or `js` (the plain TypeScript reference). */
  name: 'js' | 'wasm';
  /** Threads a large kernel call is split across (1 for js). */
  threads: number;
  /** The wasm build: with relaxed SIMD's fused multiply-add, plain SIMD, or none (js). */
  simd: 'relaxed' | 'plain' | 'none';
  /** Why the wasm backend is not running, when the fastest was asked for and js was chosen. */
  fallback?: string;
}

/**
 * The backend the kernels run on (started now if no kernel has run yet), its threads and
 * its SIMD build.
 * @example backendInfo() // { name: 'wasm', threads: 2, simd: 'relaxed' }
 */
export function backendInfo(): BackendInfo {
  start();
  const module = kernels.name === 'wasm' ? wasmBackend().module : null;
  const info: BackendInfo = { name: kernels.name as BackendInfo['name'], threads: module?.threads ?? 1, simd: module?.simd ?? 'none' };
  if (kernels.name === 'js' && wasmStarted() && !wasmBackend().module) info.fallback = wasmBackend().reason;
  return info;
}

/** Options of `init`; each one left out falls back to its environment variable, then to the default. */
export interface InitOptions {
  /** `wasm` or `js` (default: `SLIMTENSOR_BACKEND`, else the fastest that runs here). */
  backend?: 'js' | 'wasm';
  /** Threads of the wasm backend, 1 to 64 (default: `SLIMTENSOR_THREADS`, else one per core, at most 2). */
  threads?: number;
  /** The wasm build (default: `SLIMTENSOR_SIMD`, else relaxed where this engine runs it). */
  simd?: 'relaxed' | 'plain';
  /**
   * In a browser: the address, absolute or relative to the engine's script, where the page
   * serves the two builds of `dist/wasm/` (default `wasm/`). Node reads them from dist/wasm.
   */
  wasmBase?: string;
}

/**
 * Starts the engine: compiles the wasm kernels (asynchronously) and starts their helper
 * threads, or picks the TypeScript ones, and says what it chose. In Node it is optional
 * (the first kernel call starts the backend the environment names); where WebAssembly can
 * only be compiled asynchronously (a browser) it must be awaited before the first kernel
 * call. Calling it again returns the running backend; asking then for other threads or
 * another build is an error, since a started wasm module cannot change them.
 * @example const { name, threads } = await init({ threads: 1 }) // { name: 'wasm', threads: 1, simd: 'relaxed' }
 */
export async function init(options: InitOptions = {}): Promise<BackendInfo> {
  const { backend, threads, simd, wasmBase } = checkInitOptions(options);
  if (wasmBase !== undefined) {
    const host = platform();
    if (!host.setWasmBase) throw new Error(`init: wasmBase is for a browser; ${host.name} reads the builds from dist/wasm`);
    host.setWasmBase(wasmBase);
  }
  const requested = backend ?? (platform().env('SLIMTENSOR_BACKEND') || undefined);
  if (requested !== undefined && !Object.hasOwn(BACKENDS, requested)) backendNamed(requested, `SLIMTENSOR_BACKEND=${requested}`);
  if (requested !== 'js') {
    if (wasmStarted()) {
      const running = wasmBackend().module;
      if (running && threads !== undefined && running.threads !== threads)
        throw new Error(
          `init: the wasm backend already runs ${running.threads} thread(s); threads: ${threads} must be asked for before the first ` +
            `kernel call`,
        );
      if (running && simd !== undefined && running.simd !== simd)
        throw new Error(
          `init: the wasm backend already runs the ${running.simd} build; simd: '${simd}' must be asked for before the first kernel call`,
        );
    } else {
      const level = simd ?? simdLevel();
      await wasmBackend({ threads, simd: level, build: await compileBuildAsync(level) }).module?.helpersStarted();
    }
  }
  const chosen = requested === undefined ? (wasmBackend().kernels ?? jsKernels) : backendNamed(requested, 'init');
  Object.assign(kernels, chosen);
  return backendInfo();
}

function checkInitOptions(options: InitOptions): InitOptions {
  if (typeof options !== 'object' || options === null) throw new Error(`init: expected an options object, got ${String(options)}`);
  const { backend, threads, simd, wasmBase } = options;
  if (wasmBase !== undefined && (typeof wasmBase !== 'string' || wasmBase === ''))
    throw new Error(`init: wasmBase must be an address, got ${JSON.stringify(wasmBase)}`);
  if (backend !== undefined && backend !== 'js' && backend !== 'wasm')
    throw new Error(`init: backend must be 'js' or 'wasm', got ${JSON.stringify(backend)}`);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64))
    throw new Error(`init: threads must be an integer from 1 to 64, got ${threads}`);
  if (simd !== undefined && simd !== 'relaxed' && simd !== 'plain')
    throw new Error(`init: simd must be 'relaxed' or 'plain', got ${JSON.stringify(simd)}`);
  if (simd === 'relaxed' && !relaxedSimdSupported())
    throw new Error("init: simd 'relaxed' was asked for, but this engine does not run relaxed SIMD");
  return options;
}
