import { platform } from '../../../platform/index.js';

/**
 * The two builds of assembly/ that `npm run build:wasm` makes, which one this machine runs,
 * and how many threads to use. Nothing here runs a kernel.
 */

/**
 * `plain` uses 128-bit SIMD only; `relaxed` also uses relaxed SIMD's fused multiply-add,
 * which Node 20 keeps behind a V8 flag (see `relaxedSimdSupported`).
 */
export type SimdLevel = 'relaxed' | 'plain';

/** The file of a build, as `npm run build:wasm` names it in dist/wasm/. */
export function buildFile(simd: SimdLevel): string {
  return simd === 'relaxed' ? 'kernels-relaxed.wasm' : 'kernels.wasm';
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
 * the helper threads get it too); newer V8s have it on by default. Called only when the
 * wasm backend starts, never at import.
 */
export function relaxedSimdSupported(): boolean {
  if (WebAssembly.validate(relaxedProbe())) return true;
  return platform().setV8Flag('--experimental-wasm-relaxed-simd') && WebAssembly.validate(relaxedProbe());
}

/**
 * The build to load: `SLIMTENSOR_SIMD=relaxed|plain` when set, else relaxed where this V8
 * runs it and plain elsewhere.
 */
export function simdLevel(): SimdLevel {
  const raw = platform().env('SLIMTENSOR_SIMD');
  if (raw === undefined || raw === '') return relaxedSimdSupported() ? 'relaxed' : 'plain';
  if (raw !== 'relaxed' && raw !== 'plain') throw new Error(`SLIMTENSOR_SIMD=${raw}: expected relaxed or plain`);
  if (raw === 'relaxed' && !relaxedSimdSupported()) throw new Error('SLIMTENSOR_SIMD=relaxed: this V8 does not run relaxed SIMD');
  return raw;
}

/** The number of threads to use: `SLIMTENSOR_THREADS` (an integer from 1 to 64), else one per core (at most 2). */
export function threadCount(): number {
  const raw = platform().env('SLIMTENSOR_THREADS');
  if (raw === undefined || raw === '') return Math.max(1, Math.min(2, platform().cores()));
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isInteger(n) || n < 1 || n > 64) throw new Error(`SLIMTENSOR_THREADS=${raw}: expected an integer from 1 to 64`);
  return n;
}

/** A compiled build, or why it cannot run here. */
export type CompiledBuild = { compiled: WebAssembly.Module } | { reason: string };

/**
 * Compiles a build of the kernels at once, or says why it cannot run here: where the
 * platform reads its files asynchronously (a page), `init()` must have compiled it first.
 */
export function compileBuild(simd: SimdLevel): CompiledBuild {
  const host = platform();
  if (!host.wasmBytesSync) return { reason: `${host.name} loads ${buildFile(simd)} asynchronously: call \`await init()\` before the first kernel call` };
  const source = host.wasmBytesSync(buildFile(simd));
  if ('reason' in source) return source;
  return relaxedRefused(simd, source.where) ?? attempt(source.where, () => new WebAssembly.Module(source.bytes));
}

/** Compiles a build of the kernels asynchronously (what `init()` does), or says why it cannot run here. */
export async function compileBuildAsync(simd: SimdLevel): Promise<CompiledBuild> {
  const source = await platform().wasmBytes(buildFile(simd));
  if ('reason' in source) return source;
  const refused = relaxedRefused(simd, source.where);
  if (refused) return refused;
  try {
    return { compiled: await WebAssembly.compile(source.bytes) };
  } catch (e) {
    return { reason: `${source.where}: ${(e as Error).message}` };
  }
}

function relaxedRefused(simd: SimdLevel, where: string): { reason: string } | null {
  return simd === 'relaxed' && !relaxedSimdSupported() ? { reason: `${where}: this V8 does not run relaxed SIMD` } : null;
}

function attempt(where: string, compile: () => WebAssembly.Module): CompiledBuild {
  try {
    return { compiled: compile() };
  } catch (e) {
    return { reason: `${where}: ${(e as Error).message}` };
  }
}

/** The exports of assembly/ once compiled: byte addresses and sizes in, nothing out but sizes. */
export interface WasmExports {
  heapBase(): number;
  packBytes(M: number, N: number, K: number): number;
  gemm(
    transA: number, transB: number, M: number, N: number, K: number,
    a: number, b: number, c: number, accumulate: number, scratch: number, j0: number, j1: number,
  ): void;
  linearEpilogue(
    transA: number, transB: number, M: number, N: number, K: number,
    a: number, b: number, c: number, accumulate: number, scratch: number, j0: number, j1: number, bias: number, relu: number,
  ): void;
  gemv(transB: number, M: number, N: number, K: number, a: number, b: number, c: number, accumulate: number, j0: number, j1: number): void;
  gemmI16(M: number, N: number, Kp: number, a: number, w: number, c: number, j0: number, j1: number): void;
  gemmU7I8(M: number, N: number, Kp: number, a: number, w: number, c: number, j0: number, j1: number, z: number, rowSums: number): void;
  convScratch(geo: number): number;
  convForward(geo: number, x: number, w: number, bias: number, out: number, scratch: number, n0: number, n1: number): void;
  convBackward(geo: number, x: number, w: number, dy: number, dx: number, dw: number, db: number, scratch: number, n0: number, n1: number): void;
  convPool(geo: number, x: number, w: number, bias: number, out: number, argmax: number, scratch: number, n0: number, n1: number): void;
  convPoolBackward(geo: number, x: number, w: number, dout: number, argmax: number, dx: number, dw: number, db: number, scratch: number, n0: number, n1: number): void;
  csrGemv(width: number, rowPtr: number, idx: number, val: number, x: number, y: number, r0: number, r1: number, bias: number, relu: number): void;
  csrGemm(width: number, rowPtr: number, idx: number, val: number, xT: number, N: number, Np: number, y: number, rows: number, r0: number, r1: number, bias: number, relu: number): void;
  csrGemmT(width: number, rowPtr: number, idx: number, val: number, xT: number, Np: number, yT: number, r0: number, r1: number, bias: number, relu: number): void;
  transposePad(x: number, N: number, cols: number, Np: number, xT: number, c0: number, c1: number): void;
  rangeF32(x: number, n: number, out: number): void;
  quantizeI16(x: number, M: number, K: number, Kp: number, inv: number, lo: number, hi: number, out: number): void;
  quantizeU8(x: number, M: number, K: number, Kp: number, inv: number, z: number, qmax: number, out: number): void;
  dequantRows(acc: number, M: number, N: number, factor: number, bias: number, relu: number, y: number): void;
  convI16Scratch(geo: number, Kp: number, OCp: number): number;
  convI16(q: number, geo: number, w: number, Kp: number, OCp: number, factor: number, bias: number, y: number, outBytes: number, scratch: number, n0: number, n1: number): void;
  convU7I8Scratch(geo: number, Kp: number, OCp: number): number;
  convU7I8(q: number, geo: number, w: number, Kp: number, OCp: number, z: number, zSums: number, factor: number, bias: number, y: number, outBytes: number, scratch: number, n0: number, n1: number): void;
  reluMask(dy: number, y: number, out: number, n: number): void;
  reluF32(x: number, out: number, n: number): void;
  fmaPeak(iters: number): number;
  sumRows(x: number, rows: number, cols: number, out: number, accumulate: number): void;
  adamStepAt(p: number, g: number, m: number, v: number, n: number, settings: number): void;
}
