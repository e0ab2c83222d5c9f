import { conv2dBackward, conv2dForward } from './conv.js';
import { convPoolBackward, convPoolForward } from './conv-pool.js';
import { adamStep, addBias, relu, reluBackward, sumRows } from './elementwise.js';
import { gemmBlocked } from './gemm.js';
import { gemmInt8 } from './int8.js';
import { linearBackward, linearForward } from './linear.js';
import { lowRankLinear } from './lowrank.js';
import { int8Conv2d, int8Linear } from './int8-layers.js';
import { maxPool2d, maxPool2dBackward } from './pool.js';
import { csrChain, csrLinear } from './sparse.js';

/**
 * The kernel interface: every loop the engine runs on typed arrays goes through one of
 * these, so a backend is a complete set of them. Ops call `kernels.gemm(...)` and never
 * know which backend answers.
 */
export interface Kernels {
  readonly name: string;
  gemm: typeof gemmBlocked;
  linearForward: typeof linearForward;
  linearBackward: typeof linearBackward;
  lowRankLinear: typeof lowRankLinear;
  conv2dForward: typeof conv2dForward;
  conv2dBackward: typeof conv2dBackward;
  maxPool2d: typeof maxPool2d;
  maxPool2dBackward: typeof maxPool2dBackward;
  convPoolForward: typeof convPoolForward;
  convPoolBackward: typeof convPoolBackward;
  addBias: typeof addBias;
  sumRows: typeof sumRows;
  relu: typeof relu;
  reluBackward: typeof reluBackward;
  adamStep: typeof adamStep;
  csrLinear: typeof csrLinear;
  csrChain: typeof csrChain;
  gemmInt8: typeof gemmInt8;
  int8Linear: typeof int8Linear;
  int8Conv2d: typeof int8Conv2d;
  /**
   * n zeros, in the storage this backend's kernels work on fastest, for arrays that live
   * across many calls (an optimizer's state): a plain Float32Array for js, one in wasm
   * memory for wasm (so it is not copied in and out on every step).
   */
  allocState(n: number): Float32Array;
}

/** Plain TypeScript kernels: always available, and the readable baseline. */
export const jsKernels: Kernels = {
  name: 'js',
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
  allocState: (n) => new Float32Array(n),
};
