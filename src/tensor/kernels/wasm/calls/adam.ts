import type { WasmModule } from '../module.js';

/**
 * Adam's update (same arguments as kernels/elementwise.ts adamStep), in float32 SIMD.
 * Resident arrays (moments made by `allocState`) are updated where they live; the others
 * are copied in, and p, m, v back out.
 */
export function adamStep(
  wasm: WasmModule, p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  lr: number, beta1: number, beta2: number, eps: number, step: number, weightDecay: number,
): void {
  const frame = wasm.heap.frame();
  const [pa, ga, ma, va] = [frame.output(p, true), frame.place(g), frame.output(m, true), frame.output(v, true)];
  const stepSize = lr / (1 - Math.pow(beta1, step));
  const sqrtBc2 = Math.sqrt(1 - Math.pow(beta2, step));
  // 1 − β in float64: 1 − f32(0.999) would be 1.3e-5 off 0.001.
  wasm.exports.adamStep(pa, ga, ma, va, p.length, stepSize, beta1, 1 - beta1, beta2, 1 - beta2, eps, sqrtBc2, weightDecay);
  frame.finish();
}
