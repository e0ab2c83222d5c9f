import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { HelperThread, Platform } from './platform.js';

/**
 * Where `npm run build:wasm` writes a build (`dist/wasm/<file>`), found from this file
 * whether it runs compiled (dist/src/platform/) or from source (src/platform/, under vitest).
 */
export function wasmPath(file: string): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const candidates = [join(root, 'wasm', file), join(root, 'dist', 'wasm', file)];
  return candidates.find((p) => existsSync(p)) ?? candidates[1];
}

function missing(path: string): { reason: string } {
  return { reason: `${path} is missing (run npm run build:wasm)` };
}

/** Node: `process.env`, `node:os`, the builds read from dist/wasm, helpers as worker threads. */
export const nodePlatform: Platform = {
  name: 'node',
  env: (name) => process.env[name],
  cores: () => cpus().length,
  wasmBytesSync(file) {
    const path = wasmPath(file);
    return existsSync(path) ? { bytes: readFileSync(path), where: path } : missing(path);
  },
  async wasmBytes(file) {
    const path = wasmPath(file);
    return existsSync(path) ? { bytes: await readFile(path), where: path } : missing(path);
  },
  setV8Flag(flag) {
    try {
      setFlagsFromString(flag);
      return true;
    } catch {
      return false;
    }
  },
  startThread(program, workerData): HelperThread {
    // The helper's program is plain CommonJS and needs none of the process's options:
    // --input-type=module would break it, and V8 flags (--no-liftoff, ...) are refused in
    // a Worker's execArgv although they already apply to it (V8's flags are process-wide).
    const worker = new Worker(`const { workerData } = require('node:worker_threads');\n${program}`, {
      eval: true,
      execArgv: [],
      workerData,
    });
    worker.unref(); // an idle helper never keeps the process alive
    return {
      onError: (listener) => worker.on('error', listener),
      onExit: (listener) => worker.on('exit', listener),
      terminate: () => worker.terminate(),
    };
  },
  terminal: () => (process.stderr.isTTY ? process.stderr : null),
};

/** The platform the engine starts with (a bundler for a page swaps this file for ./browser.js). */
export const hostPlatform = nodePlatform;
