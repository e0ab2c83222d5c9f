import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The exports of `assembly/gemm.ts` once compiled. */
interface WasmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  packBytes(M: number, N: number, K: number): number;
  gemm(transA: number, transB: number, M: number, N: number, K: number, a: number, b: number, c: number, accumulate: number, scratch: number): void;
}

/**
 * Where `npm run build:wasm` writes the module: `dist/wasm/kernels.wasm`, found from this
 * file whether it runs compiled (dist/src/...) or from source (src/..., under vitest).
 */
export function wasmPath(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const candidates = [join(root, 'wasm', 'kernels.wasm'), join(root, 'dist', 'wasm', 'kernels.wasm')];
  return candidates.find((p) => existsSync(p)) ?? candidates[1];
}

/**
 * The compiled kernels and a view of their memory. Arrays are placed after the module's
 * static data by `reserve`, which grows the memory when a call needs more.
 */
export class WasmModule {
  private readonly exports: WasmExports;
  private readonly base: number;
  private f32: Float32Array;

  private constructor(instance: WebAssembly.Instance) {
    this.exports = instance.exports as unknown as WasmExports;
    this.base = (this.exports.heapBase() + 15) & ~15;
    this.f32 = new Float32Array(this.exports.memory.buffer);
  }

  /** Loads and instantiates the module, or returns null (with the reason) when it cannot run here. */
  static load(path = wasmPath()): { module: WasmModule | null; reason?: string } {
    if (!existsSync(path)) return { module: null, reason: `${path} is missing (run npm run build:wasm)` };
    try {
      const compiled = new WebAssembly.Module(readFileSync(path));
      return { module: new WasmModule(new WebAssembly.Instance(compiled, { env: { abort: () => { throw new Error('wasm abort'); } } })) };
    } catch (e) {
      return { module: null, reason: `${path}: ${(e as Error).message}` };
    }
  }

  /** Makes sure `bytes` bytes after the heap base exist; returns the float view of the memory. */
  reserve(bytes: number): Float32Array {
    const need = this.base + bytes;
    const memory = this.exports.memory;
    if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
    if (this.f32.buffer !== memory.buffer) this.f32 = new Float32Array(memory.buffer);
    return this.f32;
  }

  /**
   * C (+)= op(A)·op(B), same arguments as the TypeScript kernels. The operands are copied
   * into the module's memory, multiplied there, and C is copied back.
   */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, accumulate: boolean): void {
    const sizeA = M * K, sizeB = K * N, sizeC = M * N;
    const align = (n: number): number => (n + 3) & ~3; // floats, so each array starts 16-byte aligned
    const offA = 0, offB = align(sizeA), offC = offB + align(sizeB), offS = offC + align(sizeC);
    const mem = this.reserve(offS * 4 + this.exports.packBytes(M, N, K));
    const at = this.base / 4;
    mem.set(A.subarray(0, sizeA), at + offA);
    mem.set(B.subarray(0, sizeB), at + offB);
    if (accumulate) mem.set(C.subarray(0, sizeC), at + offC);
    this.exports.gemm(+transA, +transB, M, N, K, this.base + offA * 4, this.base + offB * 4, this.base + offC * 4, +accumulate, this.base + offS * 4);
    C.set(this.f32.subarray(at + offC, at + offC + sizeC));
  }
}
