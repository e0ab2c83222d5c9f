import { type CompiledBuild, compileBuild, type SimdLevel, simdLevel, threadCount } from './build.js';
import { type Args, argList, type ExportName, type SplitKernel, splitKernels, type WasmExports } from './exports.js';
import { MAX_PAGES, WasmHeap } from './heap.js';
import { HelperThreads } from './helpers.js';

export type { SplitKernel } from './exports.js';

/** One kernel call of `runJobs`: a split kernel and its arguments by name. */
export type Job = { [K in SplitKernel]: readonly [K, Args<K>] }[SplitKernel];

/** Kernel calls of at least this many multiply-adds are split across the threads. */
export const SPLIT_MIN_MACS = 512 * 1024;

/**
 * One running build of the kernels: its exports, the memory they share (see `WasmHeap`),
 * and the helper threads that take shares of large calls. The calls themselves, which copy arrays in,
 * run a kernel and copy results out, live beside this file, one file per family.
 */
let modules = 0;

export class WasmModule {
  /** Which module this is, for caches of packed weights: a resident address means something only in its own module's memory. */
  readonly id = ++modules;
  readonly exports: WasmExports;
  readonly heap: WasmHeap;
  private readonly helpers: HelperThreads;

  private constructor(
    memory: WebAssembly.Memory,
    compiled: WebAssembly.Module,
    threads: number,
    /** Which build runs: with fused multiply-add (relaxed) or without (plain). */
    readonly simd: SimdLevel,
  ) {
    const imports = {
      env: {
        memory,
        abort: () => {
          throw new Error('wasm abort');
        },
      },
    };
    this.exports = new WebAssembly.Instance(compiled, imports).exports as unknown as WasmExports;
    this.heap = new WasmHeap(memory, this.exports.heapBase());
    this.helpers = new HelperThreads(compiled, memory, threads - 1, splitKernels());
  }

  /** The key under which a layer keeps its weights packed for this module (`packs` maps). */
  packKey(kind: string): string {
    return `wasm${this.id}-${kind}`;
  }

  /**
   * `owner`'s weights packed as `kind` for this module: made by `make` on the first call
   * (which is where resident copies are placed, before any frame opens), then kept in
   * `owner.packs` for as long as the owner lives.
   */
  packOf<P>(owner: { packs: Map<string, unknown> }, kind: string, make: () => P): P {
    const key = this.packKey(kind);
    const cached = owner.packs.get(key) as P | undefined;
    if (cached !== undefined) return cached;
    const pack = make();
    owner.packs.set(key, pack);
    return pack;
  }

  /** Resolves once the helper threads have started (see HelperThreads.started). */
  helpersStarted(): Promise<void> {
    return this.helpers.started();
  }

  /** Threads a large call is split across (1 = no helpers). */
  get threads(): number {
    return this.helpers.size + 1;
  }

  /** The thread of helper i, for tests that stop one on purpose. */
  helperThread(i: number) {
    return this.helpers.worker(i);
  }

  /**
   * Loads a build of the kernels with `threads` threads (default: `threadCount()`, and the
   * build `simdLevel()` picks; `build` when it was compiled already, as `init()` does), or
   * returns null with the reason when it cannot run here. A bad SLIMTENSOR_THREADS or
   * SLIMTENSOR_SIMD is the user's error, and throws.
   */
  static load(options: { threads?: number; simd?: SimdLevel; build?: CompiledBuild } = {}): { module: WasmModule | null; reason?: string } {
    const simd = options.simd ?? simdLevel();
    const threads = options.threads ?? threadCount();
    const build = options.build ?? compileBuild(simd);
    if ('reason' in build) return { module: null, reason: build.reason };
    try {
      const memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
      return { module: new WasmModule(memory, build.compiled, threads, simd) };
    } catch (e) {
      return { module: null, reason: (e as Error).message };
    }
  }

  /**
   * Runs `kernel` in `parts` shares: share p ≥ 1 on helper p − 1, share 0 on this thread,
   * with the arguments `args(p)` (at least one share, on this thread).
   */
  split<K extends SplitKernel>(kernel: K, parts: number, args: (part: number) => Args<K>): void {
    this.runJobs(Array.from({ length: Math.max(1, parts) }, (_, p) => [kernel, args(p)] as unknown as Job));
  }

  /** Calls export `name` on this thread with its arguments by name; returns what it returns (a size, or nothing). */
  call<K extends ExportName>(name: K, args: Args<K>): number {
    return this.exports[name](...argList(name, args));
  }

  /**
   * Runs several kernel calls at once: job p ≥ 1 on helper p − 1, job 0 on this thread (e.g.
   * a layer's input gradient here while a helper makes its weight gradient). Every helper
   * is joined even when this thread's job throws, so no helper still writes into the
   * scratch when the call returns.
   */
  runJobs(jobs: readonly Job[]): void {
    const lists = jobs.map(([kernel, args]) => argList(kernel, args as Args<typeof kernel>));
    for (let p = 1; p < jobs.length; p++) this.helpers.start(p - 1, jobs[p][0], lists[p]);
    let failure: unknown = null;
    try {
      this.exports[jobs[0][0]](...lists[0]);
    } catch (e) {
      failure = e;
    }
    for (let p = 1; p < jobs.length; p++) {
      try {
        this.helpers.join(p - 1);
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure) throw failure;
  }
}

/** Splits [0, n) into `parts` ranges, each boundary a multiple of `step` (the last one n): `[b0, b1, …, b_parts]`. */
export function shareBounds(n: number, parts: number, step = 1): number[] {
  const bounds = Array.from({ length: parts + 1 }, (_, p) => Math.min(n, step * Math.round((p * n) / parts / step)));
  bounds[parts] = n;
  return bounds;
}
