import type { Kernels } from '../../interface.js';
import type { ExportTable } from '../exports.js';
import { shareBounds, type WasmModule } from '../module.js';

/** The exports of assembly/adam.ts that these calls use, each with its parameters by name and in order (see ../exports.ts). */
export const ADAM_EXPORTS = {
  adamStepAt: { params: ['p', 'g', 'm', 'v', 'n', 'settings'], split: true },
} as const satisfies ExportTable;

/** Parameters of at least this many values are updated on all the threads (fc1's 401k: both; a bias: this one). */
export const ADAM_SPLIT_MIN = 64 * 1024;

/**
 * Adam's update (same arguments as kernels/elementwise.ts adamStep), in float32 SIMD.
 * Resident arrays (a parameter, its gradient, the moments made by `allocState`) are
 * updated where they live; the others are copied in, and p, m, v back out. A large
 * parameter is split into ranges, one per thread: the update is element by element, so
 * the ranges are independent and the result is the same on any number of threads.
 */
export function adamStep(
  wasm: WasmModule,
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  step: number,
  weightDecay: number,
): void {
  const frame = wasm.heap.frame();
  const [pa, ga, ma, va] = [frame.output(p, true), frame.place(g), frame.output(m, true), frame.output(v, true)];
  const stepSize = lr / (1 - beta1 ** step);
  const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
  // 1 − β in float64: 1 − f32(0.999) would be 1.3e-5 off 0.001.
  const settings = frame.place(Float32Array.of(stepSize, beta1, 1 - beta1, beta2, 1 - beta2, eps, sqrtBc2, weightDecay));
  const n = p.length;
  const parts = n >= ADAM_SPLIT_MIN ? wasm.threads : 1;
  const bounds = shareBounds(n, parts, 4);
  wasm.split('adamStepAt', parts, (i) => {
    const at = bounds[i] * 4;
    return { p: pa + at, g: ga + at, m: ma + at, v: va + at, n: bounds[i + 1] - bounds[i], settings };
  });
  frame.finish();
}

/** These calls as entries of the kernel interface, bound to module `m`. */
export function adamCalls(m: WasmModule) {
  return {
    adamStep: (...a) => adamStep(m, ...a),
  } satisfies Partial<Kernels>;
}
