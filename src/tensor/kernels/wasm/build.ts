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
function relaxedProbe(): Uint8Array<ArrayBuffer> {
  const zeros = [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
  const body = [0, ...zeros, ...zeros, ...zeros, 0xfd, 0x85, 0x02, 0x0b]; // f32x4.relaxed_madd, end
  const code = [1, body.length, ...body];
  // biome-ignore format: the bytes grouped by the module's sections
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
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isInteger(n) || n < 1 || n > 64)
    throw new Error(`SLIMTENSOR_THREADS=${raw}: expected an integer from 1 to 64`);
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
  if (!host.wasmBytesSync)
    return { reason: `${host.name} loads ${buildFile(simd)} asynchronously: call \`await init()\` before the first kernel call` };
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
