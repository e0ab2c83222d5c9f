import { conv2dBackward, conv2dForward } from './conv.js';
import { convPoolBackward, convPoolForward } from './conv-pool.js';
import { adamStep, addBias, relu, reluBackward, sumRows } from './elementwise.js';
import { gemmBlocked } from './gemm.js';
import { gemmInt8 } from './int8.js';
import { int8Conv2d, int8Linear } from './int8-layers.js';
import { linearBackward, linearForward } from './linear.js';
import { lowRankLinear } from './lowrank.js';
import { maxPool2d, maxPool2dBackward } from './pool.js';
import { csrChain, csrLinear } from './sparse.js';

/**
 * The kernel interface, written once as the TypeScript backend: every loop the engine runs
 * on typed arrays goes through one of these, so a backend is a complete set of them (its
 * type is this object's). Ops call `kernels.gemm(...)` and never know which backend answers.
 * Plain TypeScript kernels: always available, and the readable baseline.
 */
export const jsKernels = {
  name: 'js' as string,
  gemm: gemmBlocked,
  linearForward,
  linearBackward,
  lowRankLinear,
  conv2dForward,
  conv2dBackward,
  maxPool2d,
  maxPool2dBackward,
  convPoolForward,
  convPoolBackward,
  addBias,
  sumRows,
  relu,
  reluBackward,
  adamStep,
  csrLinear,
  csrChain,
  gemmInt8,
  int8Linear,
  int8Conv2d,
  /**
   * n zeros, in the storage this backend's kernels work on fastest, for arrays that live
   * across many calls (an optimizer's state): a plain Float32Array for js, one in wasm
   * memory for wasm (so it is not copied in and out on every step).
   */
  allocState: (n: number): Float32Array => new Float32Array(n),
};

/** A complete set of kernels: what every backend provides (the TypeScript one's shape). */
export type Kernels = typeof jsKernels;
