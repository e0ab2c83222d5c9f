// Small SIMD helpers shared by the kernels.

/**
 * a·b + c on four floats. The relaxed-SIMD build (kernels-relaxed.wasm) makes it one fused
 * multiply-add, rounded once; the plain build multiplies, then adds. The choice is made at
 * compile time.
 */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** The sum of the four lanes: (v0 + v1) + (v2 + v3). */
@inline export function hsumF32(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Lane j (0..3) of a float vector, for a j known only at run time. */
@inline export function laneF32(v: v128, j: i32): f32 {
  if (j == 0) return f32x4.extract_lane(v, 0);
  if (j == 1) return f32x4.extract_lane(v, 1);
  if (j == 2) return f32x4.extract_lane(v, 2);
  return f32x4.extract_lane(v, 3);
}
