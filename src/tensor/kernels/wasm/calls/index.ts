import type { Kernels } from '../../interface.js';
import type { WasmModule } from '../module.js';
import { adamStep } from './adam.js';
import { convBackward, convForward, convPool, convPoolBackward } from './conv.js';
import { gemm, linearBackward, linearForward, lowRankLinear, relu, reluBackward } from './dense.js';
import { gemmInt8, int8Linear } from './int8.js';
import { int8Conv2d } from './int8-conv.js';
import { csrChain, csrLinear } from './sparse.js';

/** The kernel calls of one wasm module: the entries of the kernel interface that wasm runs, with its signatures. */
export type WasmCalls = ReturnType<typeof wasmCalls>;

/** Binds every wasm kernel call to module `m` (each checked against the kernel interface's signature). */
export function wasmCalls(m: WasmModule) {
  return {
    gemm: (...a) => gemm(m, ...a),
    linearForward: (...a) => linearForward(m, ...a),
    linearBackward: (...a) => linearBackward(m, ...a),
    relu: (...a) => relu(m, ...a),
    reluBackward: (...a) => reluBackward(m, ...a),
    lowRankLinear: (...a) => lowRankLinear(m, ...a),
    gemmInt8: (...a) => gemmInt8(m, ...a),
    int8Linear: (...a) => int8Linear(m, ...a),
    int8Conv2d: (...a) => int8Conv2d(m, ...a),
    conv2dForward: (...a) => convForward(m, ...a),
    conv2dBackward: (...a) => convBackward(m, ...a),
    convPoolForward: (...a) => convPool(m, ...a),
    convPoolBackward: (...a) => convPoolBackward(m, ...a),
    adamStep: (...a) => adamStep(m, ...a),
    csrLinear: (...a) => csrLinear(m, ...a),
    csrChain: (...a) => csrChain(m, ...a),
    allocState: (n: number) => m.heap.allocFloat32(n) ?? new Float32Array(n),
  } satisfies Partial<Kernels>;
}
