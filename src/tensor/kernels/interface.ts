import { convKernels } from './conv.js';
import { convPoolKernels } from './conv-pool.js';
import { elementwiseKernels } from './elementwise.js';
import { gemmKernels } from './gemm.js';
import { int8Kernels } from './int8.js';
import { int8LayerKernels } from './int8-layers.js';
import { linearKernels } from './linear.js';
import { lowRankKernels } from './lowrank.js';
import { poolKernels } from './pool.js';
import { sparseKernels } from './sparse.js';
import { staticInt8Kernels } from './static-int8.js';

/**
 * The kernel interface, written once as the TypeScript backend: every loop the engine runs
 * on typed arrays goes through one of these, so a backend is a complete set of them (its
 * type is this object's). Each file of kernels lists its own entries (`linearKernels` in
 * linear.ts, …), so a new kernel is written and listed in one place. Ops call
 * `kernels.gemm(...)` and never know which backend answers. Plain TypeScript kernels:
 * always available, and the readable baseline.
 */
export const jsKernels = {
  name: 'js' as string,
  ...convKernels,
  ...convPoolKernels,
  ...elementwiseKernels,
  ...gemmKernels,
  ...int8Kernels,
  ...int8LayerKernels,
  ...linearKernels,
  ...lowRankKernels,
  ...poolKernels,
  ...sparseKernels,
  ...staticInt8Kernels,
  /**
   * n zeros, in the storage this backend's kernels work on fastest, for arrays that live
   * across many calls (an optimizer's state): a plain Float32Array for js, one in wasm
   * memory for wasm (so it is not copied in and out on every step).
   */
  allocState: (n: number): Float32Array => new Float32Array(n),
};

/** A complete set of kernels: what every backend provides (the TypeScript one's shape). */
export type Kernels = typeof jsKernels;
