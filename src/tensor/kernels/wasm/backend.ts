import { gemmBlocked } from '../gemm.js';
import { jsKernels, type Kernels } from '../interface.js';
import type { CompiledBuild, SimdLevel } from './build.js';
import { wasmCalls } from './calls/index.js';
import { WasmModule } from './module.js';

/** Products smaller than this many multiply-adds stay in TypeScript: copying into wasm memory would cost more than it saves. */
const WASM_MIN_MACS = 16 * 1024;

/** Element-wise passes over fewer values stay in TypeScript, for the same reason. */
const WASM_MIN_VALUES = 4096;

/** The wasm backend once started: its module and kernels, or why it cannot run here. */
export interface WasmBackend {
  module: WasmModule | null;
  kernels: Kernels | null;
  reason?: string;
}

let wasm: WasmBackend | undefined;

/**
 * Starts the wasm backend on first use (compiles the module, starts its helper threads)
 * and returns it; nothing wasm runs before this is called. Its kernels are the WebAssembly
 * SIMD ones (assembly/) where they pay, the TypeScript ones for the rest.
 */
export function wasmBackend(options: { threads?: number; simd?: SimdLevel; build?: CompiledBuild } = {}): WasmBackend {
  if (wasm) return wasm;
  const loaded = WasmModule.load(options);
  if (!loaded.module) {
    wasm = { module: null, kernels: null, reason: loaded.reason };
    return wasm;
  }
  const calls = wasmCalls(loaded.module);
  const {
    gemm: wasmGemm,
    linearForward: wasmLinear,
    linearBackward: wasmLinearBackward,
    relu: wasmRelu,
    reluBackward: wasmReluBackward,
  } = calls;
  wasm = {
    module: loaded.module,
    kernels: {
      ...jsKernels,
      ...calls,
      name: 'wasm',
      gemm: (transA, transB, M, N, K, A, B, C, accumulate) => {
        // Small products are not worth the copies into wasm memory.
        if (M * N * K < WASM_MIN_MACS) gemmBlocked(transA, transB, M, N, K, A, B, C, accumulate);
        else wasmGemm(transA, transB, M, N, K, A, B, C, accumulate);
      },
      linearForward: (x, N, inF, W, outF, bias, relu, y) => {
        if (N * outF * inF < WASM_MIN_MACS) jsKernels.linearForward(x, N, inF, W, outF, bias, relu, y);
        else wasmLinear(x, N, inF, W, outF, bias, relu, y);
      },
      linearBackward: (...a) => {
        const [, , N, inF, outF] = a;
        if (N * outF * inF < WASM_MIN_MACS) jsKernels.linearBackward(...a);
        else wasmLinearBackward(...a);
      },
      relu: (x, out) => (x.length < WASM_MIN_VALUES ? jsKernels.relu(x, out) : wasmRelu(x, out)),
      reluBackward: (dy, y, dx) => (dy.length < WASM_MIN_VALUES ? jsKernels.reluBackward(dy, y, dx) : wasmReluBackward(dy, y, dx)),
    },
  };
  return wasm;
}

/** Whether the wasm backend has been started (by a kernel call, `useBackend` or `wasmBackend`). */
export function wasmStarted(): boolean {
  return wasm !== undefined;
}
