import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { ConvGeometry } from '../conv.js';
import type { PoolWindow } from '../conv-pool.js';
import type { Int8Weights } from '../int8.js';

/** The exports of `assembly/gemm.ts` once compiled. */
interface WasmExports {
  heapBase(): number;
  packBytes(M: number, N: number, K: number): number;
  gemm(
    transA: number, transB: number, M: number, N: number, K: number,
    a: number, b: number, c: number, accumulate: number, scratch: number, j0: number, j1: number,
  ): void;
  gemmI16(M: number, N: number, Kp: number, a: number, w: number, c: number, j0: number, j1: number): void;
  convScratch(geo: number): number;
  convForward(geo: number, x: number, w: number, bias: number, out: number, scratch: number, n0: number, n1: number): void;
  convBackward(geo: number, x: number, w: number, dy: number, dx: number, dw: number, db: number, scratch: number, n0: number, n1: number): void;
  convPool(geo: number, x: number, w: number, bias: number, out: number, argmax: number, scratch: number, n0: number, n1: number): void;
  convPoolBackward(geo: number, x: number, w: number, dout: number, argmax: number, dx: number, dw: number, db: number, n0: number, n1: number): void;
  adamStep(
    p: number, g: number, m: number, v: number, n: number,
    stepSize: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, eps: number, sqrtBc2: number, weightDecay: number,
  ): void;
}

/**
 * The two builds `npm run build:wasm` makes of assembly/: `plain` uses 128-bit SIMD only;
 * `relaxed` also uses relaxed SIMD's fused multiply-add, which Node 20 keeps behind a V8
 * flag (see `relaxedSimdSupported`).
 */
export type SimdLevel = 'relaxed' | 'plain';

/**
 * Where `npm run build:wasm` writes a build: `dist/wasm/kernels.wasm` (plain) or
 * `kernels-relaxed.wasm`, found from this file whether it runs compiled (dist/src/...) or
 * from source (src/..., under vitest).
 */
export function wasmPath(simd: SimdLevel = 'plain'): string {
  const file = simd === 'relaxed' ? 'kernels-relaxed.wasm' : 'kernels.wasm';
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const candidates = [join(root, 'wasm', file), join(root, 'dist', 'wasm', file)];
  return candidates.find((p) => existsSync(p)) ?? candidates[1];
}

/** The smallest module that uses a relaxed-SIMD instruction: () → f32x4.relaxed_madd(0, 0, 0). */
function relaxedProbe(): Uint8Array {
  const zeros = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const body = [0, ...zeros, ...zeros, ...zeros, 0xfd, 0x85, 0x02, 0x0b]; // f32x4.relaxed_madd, end
  const code = [1, body.length, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // magic, version
    1, 5, 1, 0x60, 0, 1, 0x7b, // one type: () → v128
    3, 2, 1, 0, // one function of that type
    10, code.length, ...code,
  ]);
}

/**
 * Whether this V8 runs relaxed SIMD. Node 20's V8 implements it behind
 * `--experimental-wasm-relaxed-simd`, which is turned on here (a process-wide V8 flag, so
 * the helper threads get it too); newer V8s have it on by default.
 */
export function relaxedSimdSupported(): boolean {
  if (WebAssembly.validate(relaxedProbe())) return true;
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(relaxedProbe());
}

/**
 * The build to load: `SLIMTENSOR_SIMD=relaxed|plain` when set, else relaxed where this V8
 * runs it and plain elsewhere.
 */
export function simdLevel(): SimdLevel {
  const raw = process.env.SLIMTENSOR_SIMD;
  if (raw === undefined || raw === '') return relaxedSimdSupported() ? 'relaxed' : 'plain';
  if (raw !== 'relaxed' && raw !== 'plain') throw new Error(`SLIMTENSOR_SIMD=${raw}: expected relaxed or plain`);
  if (raw === 'relaxed' && !relaxedSimdSupported()) throw new Error('SLIMTENSOR_SIMD=relaxed: this V8 does not run relaxed SIMD');
  return raw;
}

/** Up to 1 GiB of shared memory (16,384 pages of 64 KiB); it grows on demand. */
const MAX_PAGES = 16384;

/** Rounds a count of 4-byte words up to a multiple of 4, so that every array starts 16-byte aligned. */
const align = (n: number): number => (n + 3) & ~3;

/** Products of at least this many multiply-adds are split across the threads. */
const POOL_MIN_MACS = 512 * 1024;

/** The kernels helper threads run, by number (slot 2 of the control words). */
const SPLIT_KERNELS = ['gemm', 'gemmI16', 'convPool', 'convPoolBackward', 'convForward', 'convBackward'] as const;
type SplitKernel = (typeof SPLIT_KERNELS)[number];

/**
 * A helper thread's whole program: it instantiates the same module on the same shared
 * memory, then sleeps on its control word until a job arrives, runs its share of it, and
 * signals completion. Slots of `ctrl`: 0 job number (−1 = stop), 1 the job done (negative
 * = failed), 2 the kernel (an index into SPLIT_KERNELS), 3 its argument count, 4… its arguments.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, kernels } = workerData;
const wasm = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } }).exports;
const ctrl = new Int32Array(control);
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  if (seen < 0) break;
  let done = seen;
  try {
    wasm[kernels[ctrl[2]]](...ctrl.subarray(4, 4 + ctrl[3]));
  } catch (e) {
    done = -seen;
  }
  Atomics.store(ctrl, 1, done);
  Atomics.notify(ctrl, 1);
}
`;

/** The number of threads to use: `SLIMTENSOR_THREADS`, else one per core (at most 2 here). */
export function threadCount(): number {
  const raw = process.env.SLIMTENSOR_THREADS;
  if (raw === undefined || raw === '') return Math.max(1, Math.min(2, cpus().length));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`SLIMTENSOR_THREADS=${raw}: expected an integer from 1 to 64`);
  return n;
}

/** One helper thread and its control words. */
interface Helper {
  worker: Worker;
  ctrl: Int32Array;
  job: number;
}

/**
 * The compiled kernels on a shared memory, and a pool of helper threads that run parts of
 * large products on the other cores. Arrays are placed after the module's static data;
 * `reserve` grows the memory when a call needs more.
 */
export class WasmModule {
  private readonly exports: WasmExports;
  /** Start of the per-call scratch: after the static data and the resident arrays. */
  private base: number;
  /** Bytes of resident arrays (weights that stay in wasm memory between calls). */
  private residentBytes = 0;
  private f32: Float32Array;
  private readonly helpers: Helper[] = [];

  private constructor(
    private readonly memory: WebAssembly.Memory, compiled: WebAssembly.Module, threads: number,
    /** Which build runs: with fused multiply-add (relaxed) or without (plain). */
    readonly simd: SimdLevel,
  ) {
    const imports = { env: { memory, abort: () => { throw new Error('wasm abort'); } } };
    this.exports = new WebAssembly.Instance(compiled, imports).exports as unknown as WasmExports;
    this.base = (this.exports.heapBase() + 15) & ~15;
    this.f32 = new Float32Array(memory.buffer);
    for (let t = 1; t < threads; t++) {
      const control = new SharedArrayBuffer(24 * 4);
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: compiled, memory, control, kernels: SPLIT_KERNELS } });
      worker.unref(); // an idle helper never keeps the process alive
      this.helpers.push({ worker, ctrl: new Int32Array(control), job: 0 });
    }
  }

  /** Threads a large product is split across (1 = no helpers). */
  get threads(): number {
    return this.helpers.length + 1;
  }

  /**
   * Loads a build of the kernels with `threads` threads (default: `threadCount()`, and the
   * build `simdLevel()` picks), or returns null with the reason when it cannot run here.
   */
  static load(options: { threads?: number; simd?: SimdLevel } = {}): { module: WasmModule | null; reason?: string } {
    let path = wasmPath(options.simd ?? 'plain');
    try {
      const simd = options.simd ?? simdLevel();
      path = wasmPath(simd);
      if (!existsSync(path)) return { module: null, reason: `${path} is missing (run npm run build:wasm)` };
      if (simd === 'relaxed' && !relaxedSimdSupported()) return { module: null, reason: `${path}: this V8 does not run relaxed SIMD` };
      const compiled = new WebAssembly.Module(readFileSync(path));
      const memory = new WebAssembly.Memory({ initial: 64, maximum: MAX_PAGES, shared: true });
      return { module: new WasmModule(memory, compiled, options.threads ?? threadCount(), simd) };
    } catch (e) {
      return { module: null, reason: `${path}: ${(e as Error).message}` };
    }
  }

  /** Resident blocks given back (their arrays were garbage-collected), by size in bytes, for reuse. */
  private readonly freeBlocks = new Map<number, number[]>();
  /** The byte address of each array made by `allocFloat32`. */
  private readonly addresses = new WeakMap<Float32Array, number>();
  private readonly released = new FinalizationRegistry<[number, number]>(([at, size]) => {
    const list = this.freeBlocks.get(size);
    if (list) list.push(at);
    else this.freeBlocks.set(size, [at]);
  });

  /**
   * Places `bytes` bytes in wasm memory for good (e.g. an int8 layer's widened weights) and
   * returns their byte address; null once 256 MiB are resident (callers then copy per call).
   * Scratch for calls starts after the resident arrays.
   */
  allocResident(bytes: number): number | null {
    const size = (bytes + 15) & ~15;
    const reused = this.freeBlocks.get(size)?.pop();
    if (reused !== undefined) return reused;
    if (this.residentBytes + size > 256 * 2 ** 20) return null;
    const at = this.base;
    this.reserve(size);
    this.base += size;
    this.residentBytes += size;
    return at;
  }

  /**
   * n zeros in a Float32Array that lives in wasm memory, so kernels work on it where it is
   * instead of copying it in and out every call (Adam keeps its moments here); null when
   * the resident space is used up. The block is reused once the array is garbage, so keep
   * no subarray of it longer than the array itself.
   */
  allocFloat32(n: number): Float32Array | null {
    const at = this.allocResident(n * 4);
    if (at === null) return null;
    const array = new Float32Array(this.memory.buffer, at, n).fill(0);
    this.addresses.set(array, at);
    this.released.register(array, [at, (n * 4 + 15) & ~15]);
    return array;
  }

  /** Makes sure `bytes` bytes after the heap base exist; returns the float view of the memory. */
  reserve(bytes: number): Float32Array {
    const need = this.base + bytes;
    const have = this.memory.buffer.byteLength;
    if (need > MAX_PAGES * 65536) throw new Error(`wasm: a product needs ${need} bytes, more than the ${MAX_PAGES * 64} KiB the module may use`);
    if (need > have) this.memory.grow(Math.ceil((need - have) / 65536));
    if (this.f32.byteLength !== this.memory.buffer.byteLength) this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }

  /**
   * C (+)= op(A)·op(B), same arguments as the TypeScript kernels. The operands are copied
   * into the module's memory, multiplied there (large products split by columns across
   * the threads), and C is copied back.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void {
    const sizeA = M * K, sizeB = K * N, sizeC = M * N;
    const pack = align(Math.ceil(this.exports.packBytes(M, N, K) / 4));
    const offB = align(sizeA), offC = offB + align(sizeB), offS = offC + align(sizeC);
    const parts = M * N * K >= POOL_MIN_MACS ? Math.min(this.threads, Math.floor(N / 8)) : 1;
    const mem = this.reserve((offS + pack * Math.max(1, parts)) * 4);
    const at = this.base / 4;
    mem.set(A.subarray(0, sizeA), at);
    mem.set(B.subarray(0, sizeB), at + offB);
    if (accumulate) mem.set(C.subarray(0, sizeC), at + offC);
    const args = [+transA, +transB, M, N, K, this.base, this.base + offB * 4, this.base + offC * 4, +accumulate];
    if (parts <= 1) {
      this.exports.gemm(...(args as [number, number, number, number, number, number, number, number, number]), this.base + offS * 4, 0, N);
    } else {
      // Columns in multiples of the 8-wide panel, as even as that allows.
      const bounds = Array.from({ length: parts + 1 }, (_, p) => Math.min(N, 8 * Math.round((p * N) / parts / 8)));
      bounds[parts] = N;
      for (let p = 1; p < parts; p++) this.dispatch(this.helpers[p - 1], 'gemm', [...args, this.base + (offS + p * pack) * 4, bounds[p], bounds[p + 1]]);
      this.exports.gemm(...(args as [number, number, number, number, number, number, number, number, number]), this.base + offS * 4, bounds[0], bounds[1]);
      for (let p = 1; p < parts; p++) this.join(this.helpers[p - 1]);
    }
    C.set(this.f32.subarray(at + offC, at + offC + sizeC));
  }

  /**
   * C = A·Wᵀ for int8 layers: A `[M, K]` activations minus their zero point, W int8 weights
   * (widened to 16 bits and padded to a multiple of 8 once, kept with the weights), exact
   * int32 sums. Large products are split by columns across the threads.
   */
  gemmInt8(M: number, A: Int16Array, w: Int8Weights, C: Int32Array): void {
    const { N, K } = w;
    const Kp = (K + 7) & ~7;
    // The weights, widened to 16 bits and padded, live in wasm memory from the first call on.
    let pack = w.packs.get('wasm') as { wide: Int16Array; at: number | null } | undefined;
    if (!pack) {
      const wide = new Int16Array(N * Kp);
      for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) wide[j * Kp + k] = w.q[j * K + k];
      const at = this.allocResident(wide.byteLength);
      if (at !== null) new Int16Array(this.memory.buffer, at, wide.length).set(wide);
      w.packs.set('wasm', (pack = { wide, at }));
    }
    const bytesA = M * Kp * 2, bytesW = pack.at === null ? N * Kp * 2 : 0;
    const offW = (bytesA + 15) & ~15, offC = offW + ((bytesW + 15) & ~15);
    this.reserve(offC + M * N * 4);
    const buffer = this.memory.buffer;
    const a16 = new Int16Array(buffer, this.base, M * Kp);
    if (Kp === K) a16.set(A.subarray(0, M * K));
    else for (let i = 0; i < M; i++) { a16.set(A.subarray(i * K, (i + 1) * K), i * Kp); a16.fill(0, i * Kp + K, (i + 1) * Kp); }
    const wAt = pack.at ?? this.base + offW;
    if (pack.at === null) new Int16Array(buffer, wAt, N * Kp).set(pack.wide);
    const args = [M, N, Kp, this.base, wAt, this.base + offC];
    const parts = M * N * K >= POOL_MIN_MACS ? Math.min(this.threads, Math.floor(N / 8)) : 1;
    const bounds = Array.from({ length: parts + 1 }, (_, p) => Math.min(N, 8 * Math.round((p * N) / parts / 8)));
    bounds[parts] = N;
    for (let p = 1; p < parts; p++) this.dispatch(this.helpers[p - 1], 'gemmI16', [...args, bounds[p], bounds[p + 1]]);
    this.exports.gemmI16(M, N, Kp, this.base, wAt, this.base + offC, bounds[0], bounds[1]);
    for (let p = 1; p < parts; p++) this.join(this.helpers[p - 1]);
    C.set(new Int32Array(buffer, this.base + offC, M * N));
  }

  /**
   * conv2d over a batch (same arguments as kernels/conv.ts conv2dForward): the images go
   * into the module's memory once, each thread unfolds and multiplies a share of them.
   */
  convForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, N: number, OC: number, g: ConvGeometry, out: Float32Array): void {
    const job = this.convJob(N, OC, g, null, [x, w, bias, N * OC * g.OH * g.OW]);
    const a = job.addresses;
    this.splitImages('convForward', N, job.parts, (p) => [a[0], a[1], a[2], a[3], a[4], job.scratch(p)]);
    out.set(job.read(4));
  }

  /**
   * conv2d's backward over a batch (same arguments as kernels/conv.ts conv2dBackward); each
   * thread takes a share of the images, with a weight and bias gradient of its own.
   */
  convBackward(
    x: Float32Array, w: Float32Array, dy: Float32Array, N: number, OC: number, g: ConvGeometry,
    dx: Float32Array | null, dw: Float32Array | null, db: Float32Array | null,
  ): void {
    const job = this.convJob(N, OC, g, null, [x, w, dy, dx], { dw, db });
    const a = job.addresses;
    this.splitImages('convBackward', N, job.parts, (p) => [a[0], a[1], a[2], a[3], dx ? a[4] : 0, job.dw(p), job.db(p), job.scratch(p)]);
    if (dx) dx.set(job.read(4));
    job.addGradients();
  }

  /**
   * The fused convolution and max pooling of kernels/conv-pool.ts (same arguments as
   * `convPoolForward`): the batch goes into the module's memory once, each thread takes a
   * share of the images, and only the pooled values and their positions come back.
   */
  convPool(
    x: Float32Array, w: Float32Array, bias: Float32Array | null, N: number, OC: number,
    g: ConvGeometry, pool: PoolWindow, out: Float32Array, argmax: Int32Array,
  ): void {
    const size = N * OC * pool.OH * pool.OW;
    const job = this.convJob(N, OC, g, pool, [x, w, bias, size, size]);
    const a = job.addresses;
    this.splitImages('convPool', N, job.parts, (p) => [a[0], a[1], a[2], a[3], a[4], a[5], job.scratch(p)]);
    out.set(job.read(4));
    argmax.set(new Int32Array(job.read(5).buffer, a[5], size));
  }

  /**
   * The backward of `convPool` (same arguments as kernels/conv-pool.ts convPoolBackward):
   * each thread takes a share of the images, with a weight and bias gradient of its own.
   */
  convPoolBackward(
    x: Float32Array, w: Float32Array, dout: Float32Array, argmax: Int32Array, N: number, OC: number,
    g: ConvGeometry, pool: PoolWindow, dx: Float32Array | null, dw: Float32Array | null, db: Float32Array | null,
  ): void {
    // It visits one conv output per pooled value, not all of them.
    const job = this.convJob(N, OC, g, pool, [x, w, dout, argmax, dx], { dw, db }, (g.OH * g.OW) / (pool.OH * pool.OW));
    const a = job.addresses;
    this.splitImages('convPoolBackward', N, job.parts, (p) => [a[0], a[1], a[2], a[3], a[4], dx ? a[5] : 0, job.dw(p), job.db(p)]);
    if (dx) dx.set(job.read(5));
    job.addGradients();
  }

  /**
   * Lays out one call of a conv kernel in the scratch: the geometry, then `arrays` (copied
   * in; null for one not given; a number for an output of that many values), then per
   * thread its scratch and, for a backward, its own dw and db (zeroed). The images are
   * split across the threads when the work (the convolution's multiply-adds, divided by
   * `saving` for a kernel that does only part of them) is large enough.
   */
  private convJob(
    N: number, OC: number, g: ConvGeometry, pool: PoolWindow | null,
    arrays: (Float32Array | Int32Array | number | null)[],
    grads?: { dw: Float32Array | null; db: Float32Array | null }, saving = 1,
  ) {
    const geometry = [g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.OH, g.OW, OC];
    geometry.push(...(pool ? [pool.KH, pool.KW, pool.SH, pool.SW, pool.OH, pool.OW] : [0, 0, 0, 0, 0, 0]));
    new Int32Array(this.reserve(align(geometry.length) * 4).buffer, this.base, geometry.length).set(geometry);
    const sizeW = OC * g.C * g.KH * g.KW;
    const offsets = [0];
    let words = align(geometry.length);
    const placed = arrays;
    const sizes = placed.map((a) => (a === null ? 0 : typeof a === 'number' ? a : a.length));
    for (const size of sizes) {
      offsets.push(words);
      words += align(size);
    }
    const perThread = align(Math.ceil(this.exports.convScratch(this.base) / 4)) + (grads ? align(sizeW) + align(OC) : 0);
    const work = (N * OC * g.OH * g.OW * g.C * g.KH * g.KW) / saving;
    const parts = work >= POOL_MIN_MACS ? Math.min(this.threads, N) : 1;
    const mem = this.reserve((words + perThread * parts) * 4);
    const at = this.base / 4, addr = (off: number): number => this.base + off * 4;
    placed.forEach((a, i) => {
      if (a instanceof Float32Array) mem.set(a.subarray(0, sizes[i]), at + offsets[i + 1]);
      else if (a instanceof Int32Array) new Int32Array(mem.buffer, addr(offsets[i + 1]), sizes[i]).set(a.subarray(0, sizes[i]));
    });
    mem.fill(0, at + words, at + words + perThread * parts);
    const threadBase = (p: number): number => words + p * perThread;
    const scratchWords = perThread - (grads ? align(sizeW) + align(OC) : 0);
    return {
      parts,
      /** Byte addresses: 0 the geometry, then each array in order (0 for one not given). */
      addresses: [addr(0), ...placed.map((a, i) => (a === null ? 0 : addr(offsets[i + 1])))],
      scratch: (p: number): number => addr(threadBase(p)),
      dw: (p: number): number => (grads?.dw ? addr(threadBase(p) + scratchWords) : 0),
      db: (p: number): number => (grads?.db ? addr(threadBase(p) + scratchWords + align(sizeW)) : 0),
      /** The floats of array i (as counted in `addresses`) after the call. */
      read: (i: number): Float32Array => mem.subarray(at + offsets[i], at + offsets[i] + sizes[i - 1]),
      /** Adds every thread's dw and db into the caller's. */
      addGradients: (): void => {
        for (let p = 0; p < parts; p++) {
          const from = at + threadBase(p) + scratchWords;
          if (grads?.dw) for (let k = 0; k < sizeW; k++) grads.dw[k] += mem[from + k];
          if (grads?.db) for (let o = 0; o < OC; o++) grads.db[o] += mem[from + align(sizeW) + o];
        }
      },
    };
  }

  /** Runs `kernel` on images split in `parts`: part p ≥ 1 on helper p − 1, part 0 on this thread. */
  private splitImages(kernel: SplitKernel, N: number, parts: number, args: (part: number) => number[]): void {
    const bounds = Array.from({ length: parts + 1 }, (_, p) => Math.round((p * N) / parts));
    for (let p = 1; p < parts; p++) this.dispatch(this.helpers[p - 1], kernel, [...args(p), bounds[p], bounds[p + 1]]);
    (this.exports[kernel] as (...a: number[]) => void)(...args(0), bounds[0], bounds[1]);
    for (let p = 1; p < parts; p++) this.join(this.helpers[p - 1]);
  }

  /**
   * Adam's update (same arguments as kernels/elementwise.ts adamStep), in float32 SIMD.
   * Moments made by `allocFloat32` are updated where they live; other arrays are copied in
   * (and p, m, v back out).
   */
  adamStep(
    p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
    lr: number, beta1: number, beta2: number, eps: number, step: number, weightDecay: number,
  ): void {
    const n = p.length, words = align(n);
    const arrays = [p, g, m, v];
    const resident = arrays.map((a) => this.addresses.get(a));
    const copied = resident.filter((at) => at === undefined).length;
    const mem = this.reserve(copied * words * 4);
    let next = this.base;
    const addr = arrays.map((a, i) => {
      const at = resident[i];
      if (at !== undefined) return at;
      mem.set(a, next / 4);
      next += words * 4;
      return next - words * 4;
    });
    const stepSize = lr / (1 - Math.pow(beta1, step));
    const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step));
    this.exports.adamStep(addr[0], addr[1], addr[2], addr[3], n, stepSize, beta1, 1 - beta1, beta2, 1 - beta2, eps, sqrtBc2, weightDecay);
    for (const i of [0, 2, 3]) if (resident[i] === undefined) arrays[i].set(mem.subarray(addr[i] / 4, addr[i] / 4 + n));
  }

  private dispatch(h: Helper, kernel: SplitKernel, args: number[]): void {
    h.ctrl[2] = SPLIT_KERNELS.indexOf(kernel);
    h.ctrl[3] = args.length;
    h.ctrl.set(args, 4);
    h.job++;
    Atomics.store(h.ctrl, 0, h.job);
    Atomics.notify(h.ctrl, 0);
  }

  private join(h: Helper): void {
    for (;;) {
      const done = Atomics.load(h.ctrl, 1);
      if (done === h.job) return;
      if (done === -h.job) throw new Error('wasm: a helper thread failed in its kernel');
      Atomics.wait(h.ctrl, 1, done, 1000);
    }
  }
}
