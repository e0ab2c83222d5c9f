// The rate of vector multiply-adds one thread can reach at all: twelve independent chains
// of a·b + c on four floats, held in registers, no memory traffic. The FMA unit's latency
// is hidden once enough chains are in flight, so this is the ceiling a GEMM's micro-kernel
// is measured against (bench `gemm`), and what says how fast any dense product can get
// here. Fused in the relaxed-SIMD build, a multiply then an add in the plain one (simd.ts
// madd).
import { madd } from './simd';

/** Runs `iters` rounds of 12 vector multiply-adds (96 flops each round); returns the chains' sum, so none is dead code. */
export function fmaPeak(iters: i32): f32 {
  let a0 = f32x4.splat(1), a1 = f32x4.splat(1), a2 = f32x4.splat(1), a3 = f32x4.splat(1);
  let a4 = f32x4.splat(1), a5 = f32x4.splat(1), a6 = f32x4.splat(1), a7 = f32x4.splat(1);
  let a8 = f32x4.splat(1), a9 = f32x4.splat(1), a10 = f32x4.splat(1), a11 = f32x4.splat(1);
  // 1·b + c = 1 for this b and c (to float rounding), so the chains neither grow nor vanish.
  const b = f32x4.splat(0.5), c = f32x4.splat(0.5);
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, b, c); a1 = madd(a1, b, c); a2 = madd(a2, b, c); a3 = madd(a3, b, c);
    a4 = madd(a4, b, c); a5 = madd(a5, b, c); a6 = madd(a6, b, c); a7 = madd(a7, b, c);
    a8 = madd(a8, b, c); a9 = madd(a9, b, c); a10 = madd(a10, b, c); a11 = madd(a11, b, c);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)),
      f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11))));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
