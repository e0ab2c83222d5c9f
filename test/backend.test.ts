import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Linear } from '../src/nn/layers.js';
import { backendInfo, checkBackendEnvironment } from '../src/tensor/kernels/index.js';
import { wasmBackend } from '../src/tensor/kernels/wasm/backend.js';
import { compileBuild } from '../src/tensor/kernels/wasm/build.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { MAX_PAGES } from '../src/tensor/kernels/wasm/heap.js';
import { HelperThreads } from '../src/tensor/kernels/wasm/helpers.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { Rng } from '../src/tensor/random.js';
import { randomArray } from './helpers.js';

/** Runs `code` (an ES module body) in a fresh Node process with the given environment; returns its stdout. */
function runFresh(code: string, env: Record<string, string>): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

describe('backend start-up', () => {
  const probe = `
    import { wasmStarted } from './src/tensor/kernels/wasm/backend.ts';
    import { Tensor } from './src/tensor/tensor.ts';
    import { matmul } from './src/tensor/ops/matmul.ts';
    const before = wasmStarted();
    matmul(Tensor.from([1, 2], [1, 2]), Tensor.from([3, 4], [2, 1]));
    console.log(JSON.stringify({ before, after: wasmStarted() }));`;

  it('importing the engine starts nothing; the first kernel call starts the default (wasm) backend', () => {
    expect(JSON.parse(runFresh(probe, { SLIMTENSOR_BACKEND: '' }))).toEqual({ before: false, after: true });
  });

  it('the js backend never starts wasm', () => {
    expect(JSON.parse(runFresh(probe, { SLIMTENSOR_BACKEND: 'js' }))).toEqual({ before: false, after: false });
  });

  it('refuses a bad SLIMTENSOR_BACKEND, SLIMTENSOR_THREADS or SLIMTENSOR_SIMD by name, prototype keys included', () => {
    const cases: [string, string, RegExp][] = [
      ['SLIMTENSOR_BACKEND', 'constructor', /SLIMTENSOR_BACKEND=constructor: unknown backend 'constructor'; available: js, wasm/],
      ['SLIMTENSOR_BACKEND', '__proto__', /unknown backend '__proto__'/],
      ['SLIMTENSOR_THREADS', 'abc', /SLIMTENSOR_THREADS=abc: expected an integer from 1 to 64/],
      ['SLIMTENSOR_THREADS', '0', /SLIMTENSOR_THREADS=0: expected an integer from 1 to 64/],
      ['SLIMTENSOR_THREADS', '1.5', /SLIMTENSOR_THREADS=1.5/],
      ['SLIMTENSOR_THREADS', '0x2', /SLIMTENSOR_THREADS=0x2/],
      ['SLIMTENSOR_SIMD', 'fast', /SLIMTENSOR_SIMD=fast: expected relaxed or plain/],
    ];
    for (const [key, value, message] of cases) {
      const saved = process.env[key];
      process.env[key] = value;
      try {
        expect(() => checkBackendEnvironment()).toThrow(message);
      } finally {
        if (saved === undefined) delete process.env[key];
        else process.env[key] = saved;
      }
    }
    expect(() => checkBackendEnvironment()).not.toThrow();
  });
});

describe('wasm helper threads fail loudly', () => {
  it("a kernel that traps in a helper throws with the helper's own message, and the pool keeps working", () => {
    const m = WasmModule.load({ threads: 2 }).module!;
    const far = 2 ** 31; // past the end of the memory
    // Share 0 (this thread) has no columns; share 1 (the helper) reads out of bounds.
    expect(() =>
      m.split('gemm', 2, (p) => ({
        transA: 0,
        transB: 0,
        M: 4,
        N: 8,
        K: 4,
        a: far,
        b: far,
        c: far,
        accumulate: 0,
        scratch: far,
        j0: 0,
        j1: p === 0 ? 0 : 8,
      })),
    ).toThrow(/wasm: helper thread 1 failed in gemm: .*out of bounds/);
    const rng = new Rng(3);
    const [M, N, K] = [64, 64, 256]; // large enough to be split across both threads
    const A = randomArray(M * K, rng),
      B = randomArray(K * N, rng),
      C = new Float32Array(M * N);
    wasmCalls(m).gemm(false, false, M, N, K, A, B, C, false);
    expect(C.some((v) => v !== 0)).toBe(true);
  });

  it('a helper that has exited is reported by name at the next split call, not waited for', async () => {
    const m = WasmModule.load({ threads: 2 }).module!;
    const helper = m.helperThread(0);
    const exited = new Promise((resolve) => helper.onExit(resolve));
    await helper.terminate();
    await exited;
    const rng = new Rng(4);
    const [M, N, K] = [64, 64, 256];
    const A = randomArray(M * K, rng),
      B = randomArray(K * N, rng),
      C = new Float32Array(M * N);
    expect(() => wasmCalls(m).gemm(false, false, M, N, K, A, B, C, false)).toThrow(
      /wasm: helper thread 1 exited \(code \d+\); it cannot run gemm/,
    );
  });

  it('a helper that cannot start is reported with its own message, not waited for', () => {
    // A module importing a function the helper does not provide: instantiating it fails in the helper.
    const bytes = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 11, 1, 3, 101, 110, 118, 3, 102, 111, 111, 0, 0);
    const pool = new HelperThreads(new WebAssembly.Module(bytes), new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }), 1, [
      'foo',
    ]);
    const t0 = Date.now();
    expect(() => pool.start(0, 'foo', [])).toThrow(/wasm: helper thread 1 stopped while starting: .*foo.*; it cannot run foo/);
    expect(Date.now() - t0).toBeLessThan(9000); // the helper's own failure, not the start-up limit
  });

  it('a stale wake-up does not run the last job again (a notify that arrives after the helper finished and slept)', () => {
    // The caller stores a job, then notifies; descheduled in between, its notify can reach a
    // helper that already ran that job and went to sleep. An accumulating gemm shows a rerun: C = 1 becomes 2.
    const build = compileBuild('plain');
    if (!('compiled' in build)) throw new Error(build.reason);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
    const pool = new HelperThreads(build.compiled, memory, 1, ['gemm']);
    const [a, b, c, scratch] = [65536, 65536 + 64, 65536 + 128, 65536 + 256];
    const f32 = new Float32Array(memory.buffer);
    f32[a / 4] = 1;
    f32.fill(1, b / 4, b / 4 + 8);
    const C = new Float32Array(memory.buffer, c, 8);
    pool.start(0, 'gemm', [0, 0, 1, 8, 1, a, b, c, 1, scratch, 0, 8]); // C += A·B: 0 + 1
    pool.join(0);
    expect([...C]).toEqual(new Array(8).fill(1));
    const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    sleep(20); // past the helper's spin: it sleeps in Atomics.wait
    const control = (pool as unknown as { helpers: { ctrl: Int32Array }[] }).helpers[0].ctrl;
    Atomics.notify(control, 0); // the late notify of the job already done
    sleep(100);
    expect([...C]).toEqual(new Array(8).fill(1));
    pool.start(0, 'gemm', [0, 0, 1, 8, 1, a, b, c, 1, scratch, 0, 8]); // and the next real job runs once
    pool.join(0);
    expect([...C]).toEqual(new Array(8).fill(2));
  });

  it('a process started with --input-type=module runs the helpers too (they do not inherit that flag)', () => {
    const code = `
      import { Tensor } from './src/tensor/tensor.ts';
      import { matmul } from './src/tensor/ops/matmul.ts';
      console.log(matmul(Tensor.ones([256, 512]), Tensor.ones([512, 256])).data[0]);`;
    expect(runFresh(code, { SLIMTENSOR_BACKEND: 'wasm', SLIMTENSOR_THREADS: '2' }).trim()).toBe('512');
  }, 30_000);
});

describe('resident parameters', () => {
  it(
    "a new layer's weights live in the active backend's memory (wasm: read by the products in place), and loading a state dict keeps " +
      'them there',
    () => {
      const layer = new Linear(300, 40, { rng: new Rng(2) });
      const module = wasmBackend().module;
      if (backendInfo().name === 'wasm') {
        expect(module!.heap.addressOf(layer.weight.data)).toBeDefined();
        expect(module!.heap.addressOf(layer.bias!.data)).toBeDefined();
        const before = layer.weight.data;
        layer.loadStateDict(new Linear(300, 40, { rng: new Rng(3) }).stateDict());
        expect(layer.weight.data).toBe(before);
      } else {
        expect(module?.heap.addressOf(layer.weight.data)).toBeUndefined();
      }
      // Either way the values are PyTorch's init bounds, drawn as before.
      expect(layer.weight.data.every((v) => Math.abs(v) <= 1 / Math.sqrt(300))).toBe(true);
    },
  );
});
