/**
 * What the engine needs from the place it runs, behind one interface: settings, the core
 * count, the bytes of a wasm build, a V8 flag, helper threads, and a terminal for progress
 * bars. The engine reaches Node (or, later, a browser) only through this, so that nothing
 * else in the core imports a `node:` module.
 */
export interface Platform {
  /** `node` (or another platform's name), for messages. */
  readonly name: string;
  /** A setting of the environment (`SLIMTENSOR_BACKEND`, …), or undefined when unset. */
  env(name: string): string | undefined;
  /** Logical cores of this machine. */
  cores(): number;
  /**
   * The bytes of the wasm build `file` (`kernels.wasm`, `kernels-relaxed.wasm`), read at
   * once, or why they cannot be. Absent where reading must wait (a page's fetch): there
   * `init()` must run before the first kernel call.
   */
  wasmBytesSync?(file: string): { bytes: Uint8Array<ArrayBuffer>; where: string } | { reason: string };
  /** The same, read asynchronously (what `init()` uses). */
  wasmBytes(file: string): Promise<{ bytes: Uint8Array<ArrayBuffer>; where: string } | { reason: string }>;
  /** Where a page serves the builds (a browser platform only; see `init({ wasmBase })`). */
  setWasmBase?(base: string): void;
  /** Turns on a V8 flag for this process and its threads; false where that cannot be done. */
  setV8Flag(flag: string): boolean;
  /**
   * Starts a helper thread running `program`, JavaScript that finds its start-up data in a
   * variable named `workerData` (as `node:worker_threads` passes it).
   */
  startThread(program: string, workerData: unknown): HelperThread;
  /** Where progress bars draw (a terminal), or null where there is none. */
  terminal(): { write(text: string): void } | null;
}

/** A running helper thread, as the wasm module's helpers see it. */
export interface HelperThread {
  /** Calls `listener` once the thread fails with an error it did not catch. */
  onError(listener: (e: Error) => void): void;
  /** Calls `listener` once the thread has ended, with its exit code. */
  onExit(listener: (code: number) => void): void;
  /** Stops the thread. */
  terminate(): Promise<unknown>;
}
