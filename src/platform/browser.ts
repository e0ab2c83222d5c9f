import type { HelperThread, Platform } from './platform.js';

/**
 * The browser: builds fetched and compiled asynchronously (so `init()` must run before the
 * first kernel call), helpers as Web Workers on the same shared memory, no terminal. The
 * engine itself must run in a dedicated worker: its calls block in `Atomics.wait` while
 * the helpers run their shares, which a page's main thread may not do.
 */

/** What a page's Web Worker offers, typed here so that the core needs no DOM types. */
interface WebWorker {
  postMessage(message: unknown): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}

interface BrowserGlobals {
  Worker: new (url: string) => WebWorker;
  navigator?: { hardwareConcurrency?: number };
  location?: { href: string };
  crossOriginIsolated?: boolean;
}

const web = globalThis as unknown as BrowserGlobals;

/** Where the page serves the builds (`kernels.wasm`, `kernels-relaxed.wasm`); `init({ wasmBase })` changes it. */
let wasmBase = 'wasm/';

function buildUrl(file: string): string {
  return new URL(`${wasmBase}${file}`, web.location?.href ?? 'http://localhost/').href;
}

/**
 * A helper's program runs once its start-up data arrives: Node hands it over as
 * `workerData`, a Web Worker by its first message. The program then blocks in its loop,
 * which a worker may do.
 */
function helperSource(program: string): string {
  return `self.onmessage = (event) => {\n  self.onmessage = null;\n  const workerData = event.data;\n${program}\n};\n`;
}

/** The browser platform. */
export const browserPlatform: Platform = {
  name: 'browser',
  env: () => undefined,
  cores: () => Math.max(1, web.navigator?.hardwareConcurrency ?? 1),
  async wasmBytes(file) {
    const url = buildUrl(file);
    try {
      const response = await fetch(url);
      if (!response.ok) return { reason: `${url}: HTTP ${response.status} ${response.statusText}` };
      return { bytes: new Uint8Array(await response.arrayBuffer()), where: url };
    } catch (e) {
      return { reason: `${url}: ${(e as Error).message}` };
    }
  },
  setWasmBase(base) {
    wasmBase = base.endsWith('/') ? base : `${base}/`;
  },
  setV8Flag: () => false,
  startThread(program, workerData): HelperThread {
    const url = URL.createObjectURL(new Blob([helperSource(program)], { type: 'text/javascript' }));
    const worker = new web.Worker(url);
    worker.postMessage(workerData);
    let stopped = false;
    const exits: ((code: number) => void)[] = [];
    return {
      onError: (listener) => worker.addEventListener('error', (event) => listener(new Error(event.message ?? 'helper worker failed'))),
      // A Web Worker has no exit event: it ends only when terminated (or its page closes).
      onExit: (listener) => exits.push(listener),
      async terminate() {
        if (stopped) return;
        stopped = true;
        worker.terminate();
        URL.revokeObjectURL(url);
        for (const listener of exits) listener(0);
      },
    };
  },
  terminal: () => null,
};

/** The platform of a page: what `./index.ts` starts with when a bundler swaps `./node.js` for this file. */
export const hostPlatform = browserPlatform;

/** Whether this page may share memory between threads (served with COOP and COEP: SharedArrayBuffer exists). */
export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && web.crossOriginIsolated !== false;
}
