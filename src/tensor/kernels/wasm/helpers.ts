import { type HelperThread, platform } from '../../../platform/index.js';

/**
 * Helper threads that run shares of a large kernel call on the other cores. Each one
 * instantiates the same compiled module on the same shared memory, then sleeps on its
 * control words until a job arrives, runs it, and signals completion.
 *
 * Control words (Int32, shared with the helper): 0 job number (−1 = stop), 1 the job done
 * (STARTING until the helper is ready, then 0; −job = the kernel threw, GONE = the helper
 * left), 2 the kernel (an index into the
 * helpers' kernel names), 3 its argument count, 4…4+MAX_ARGS its arguments, then the length
 * and the UTF-8 bytes of the last error message.
 */

const MAX_ARGS = 24;
const MESSAGE_LENGTH = 4 + MAX_ARGS;
const MESSAGE_BYTES = 512;
const CONTROL_BYTES = (MESSAGE_LENGTH + 1) * 4 + MESSAGE_BYTES;
/** Written to word 1 by a helper whose program ends for any reason but a stop. */
const GONE = -0x7fffffff;

/** Word 1 before the helper has instantiated the module (it then writes 0). */
const STARTING = -0x7ffffffe;

/** How long `join` waits for one share before it gives up: no share of any kernel here takes a second. */
const JOIN_LIMIT_MS = 60_000;

/**
 * How long the first job waits for a helper to start. The caller blocks while it waits, so
 * the worker's own `error` event cannot be delivered: a helper that never starts is only
 * seen as one that has not written its ready word.
 */
const START_LIMIT_MS = 10_000;

/**
 * How long a helper keeps polling for the next job after finishing one, and the caller
 * polls for a share to finish, before either sleeps in Atomics.wait. Waking a sleeping
 * thread costs tens of µs here, as much as a whole product of one image; the kernel calls
 * of one forward pass come microseconds apart, so a short poll finds the next one awake.
 */
const SPIN_MS = 0.2;

/** The helper's program; the platform supplies `workerData` (node:worker_threads, or a page's Web Worker). */
const WORKER_SOURCE = `
const { module, memory, control, kernels } = workerData;
const ctrl = new Int32Array(control, 0, ${MESSAGE_LENGTH + 1});
const text = new Uint8Array(control, ${(MESSAGE_LENGTH + 1) * 4});
function report(e) {
  const bytes = new TextEncoder().encode(e instanceof Error ? e.message : String(e)).subarray(0, text.length);
  text.set(bytes);
  ctrl[${MESSAGE_LENGTH}] = bytes.length;
}
let stopped = false;
try {
  const wasm = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } }).exports;
  Atomics.store(ctrl, 1, 0); // ready
  Atomics.notify(ctrl, 1);
  let seen = 0;
  for (;;) {
    const until = performance.now() + ${SPIN_MS};
    while (Atomics.load(ctrl, 0) === seen && performance.now() < until);
    // Wait until the job word changes, not merely until woken: a wake-up can be stale. The
    // caller stores a job, then notifies; if it is descheduled in between, this thread
    // can run the job, finish, and sleep before that notify arrives. Taking the wake-up as
    // a new job ran the last job a second time, over scratch the caller had moved on to use.
    while (Atomics.load(ctrl, 0) === seen) Atomics.wait(ctrl, 0, seen);
    seen = Atomics.load(ctrl, 0);
    if (seen < 0) { stopped = true; break; }
    let done = seen;
    try {
      wasm[kernels[ctrl[2]]](...ctrl.subarray(4, 4 + ctrl[3]));
    } catch (e) {
      report(e);
      done = -seen;
    }
    Atomics.store(ctrl, 1, done);
    Atomics.notify(ctrl, 1);
  }
} catch (e) {
  report(e);
} finally {
  if (!stopped) { Atomics.store(ctrl, 1, ${GONE}); Atomics.notify(ctrl, 1); }
}
`;

interface Helper {
  worker: HelperThread;
  ctrl: Int32Array;
  text: Uint8Array;
  job: number;
  kernel: string;
  /** Why this helper can no longer run anything, once it is known. */
  lost: string | null;
}

export class HelperThreads {
  private readonly helpers: Helper[] = [];

  /** Starts `count` helpers that can run the exports named in `kernels`. */
  constructor(
    compiled: WebAssembly.Module,
    memory: WebAssembly.Memory,
    count: number,
    private readonly kernels: readonly string[],
  ) {
    for (let t = 0; t < count; t++) {
      const control = new SharedArrayBuffer(CONTROL_BYTES);
      new Int32Array(control)[1] = STARTING;
      const worker = platform().startThread(WORKER_SOURCE, { module: compiled, memory, control, kernels });
      const helper: Helper = {
        worker,
        ctrl: new Int32Array(control, 0, MESSAGE_LENGTH + 1),
        text: new Uint8Array(control, (MESSAGE_LENGTH + 1) * 4),
        job: 0,
        kernel: '',
        lost: null,
      };
      worker.onError((e) => (helper.lost ??= `failed: ${e.message}`));
      worker.onExit((code) => (helper.lost ??= `exited (code ${code})`));
      this.helpers.push(helper);
    }
  }

  get size(): number {
    return this.helpers.length;
  }

  /** The thread of helper i (for tests that need to stop one). */
  worker(i: number): HelperThread {
    return this.helpers[i].worker;
  }

  /** Hands helper i a job: `kernel` with `args` (byte addresses and sizes). */
  start(i: number, kernel: string, args: number[]): void {
    const h = this.helpers[i];
    if (h.lost) throw new Error(`wasm: helper thread ${i + 1} ${h.lost}; it cannot run ${kernel}`);
    if (args.length > MAX_ARGS) throw new Error(`wasm: ${kernel} has ${args.length} arguments, more than a helper takes (${MAX_ARGS})`);
    const index = this.kernels.indexOf(kernel);
    if (index < 0) throw new Error(`wasm: helpers do not run ${kernel}`);
    if (Atomics.load(h.ctrl, 1) === STARTING) this.awaitStart(i, kernel);
    h.ctrl[2] = index;
    h.ctrl[3] = args.length;
    h.ctrl.set(args, 4);
    h.kernel = kernel;
    h.job++;
    Atomics.store(h.ctrl, 0, h.job);
    Atomics.notify(h.ctrl, 0);
  }

  /**
   * Waits until helper i has finished its job. Throws, with the helper's own message, when
   * its kernel failed, when the helper is gone, or when it has not answered in a minute.
   */
  join(i: number): void {
    const h = this.helpers[i];
    const started = Date.now();
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(h.ctrl, 1) !== h.job && performance.now() < spinUntil);
    for (;;) {
      const done = Atomics.load(h.ctrl, 1);
      if (done === h.job) return;
      if (done === -h.job) throw new Error(`wasm: helper thread ${i + 1} failed in ${h.kernel}: ${this.message(h)}`);
      if (done === GONE) {
        h.lost ??= `stopped: ${this.message(h) || 'its program ended'}`;
        throw new Error(`wasm: helper thread ${i + 1} ${h.lost} while running ${h.kernel}`);
      }
      if (h.lost) throw new Error(`wasm: helper thread ${i + 1} ${h.lost} while running ${h.kernel}`);
      if (Date.now() - started > JOIN_LIMIT_MS) {
        h.lost = `did not answer within ${JOIN_LIMIT_MS / 1000} s`;
        throw new Error(`wasm: helper thread ${i + 1} ${h.lost} while running ${h.kernel}`);
      }
      Atomics.wait(h.ctrl, 1, done, 50);
    }
  }

  /**
   * Resolves once every helper has started (or has failed to, which its first job reports),
   * without blocking: a page's worker must return to its event loop for its own workers to
   * start, so `init()` waits here rather than in the first kernel call.
   */
  async started(): Promise<void> {
    const since = Date.now();
    for (const h of this.helpers) {
      while (Atomics.load(h.ctrl, 1) === STARTING && !h.lost && Date.now() - since < START_LIMIT_MS) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  }

  /** Blocks until helper i is ready, or throws once it has left or START_LIMIT_MS have passed. */
  private awaitStart(i: number, kernel: string): void {
    const h = this.helpers[i];
    const started = Date.now();
    for (;;) {
      const word = Atomics.load(h.ctrl, 1);
      if (word === 0) return;
      if (word === GONE) h.lost ??= `stopped while starting: ${this.message(h) || 'its program ended'}`;
      else if (Date.now() - started > START_LIMIT_MS)
        h.lost ??= `did not start within ${START_LIMIT_MS / 1000} s (a worker thread could not run its program)`;
      if (h.lost) throw new Error(`wasm: helper thread ${i + 1} ${h.lost}; it cannot run ${kernel}`);
      Atomics.wait(h.ctrl, 1, word, 50);
    }
  }

  private message(h: Helper): string {
    return new TextDecoder().decode(h.text.slice(0, h.ctrl[MESSAGE_LENGTH]));
  }
}
