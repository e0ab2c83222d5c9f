import type { Kernels } from '../../interface.js';
import type { WasmModule } from '../module.js';
import { adamCalls } from './adam.js';
import { convCalls } from './conv.js';
import { denseCalls } from './dense.js';
import { int8Calls } from './int8.js';
import { int8ConvCalls } from './int8-conv.js';
import { sparseCalls } from './sparse.js';

/** The kernel calls of one wasm module: the entries of the kernel interface that wasm runs, with its signatures. */
export type WasmCalls = ReturnType<typeof wasmCalls>;

/** Binds every family's wasm kernel calls to module `m` (each checked against the kernel interface's signature). */
export function wasmCalls(m: WasmModule) {
  return {
    ...denseCalls(m),
    ...int8Calls(m),
    ...int8ConvCalls(m),
    ...convCalls(m),
    ...adamCalls(m),
    ...sparseCalls(m),
    allocState: (n: number) => m.heap.allocFloat32(n) ?? new Float32Array(n),
  } satisfies Partial<Kernels>;
}
