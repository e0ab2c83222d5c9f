/**
 * IEEE 754 half precision (binary16: 1 sign, 5 exponent, 10 fraction bits), the F16 of
 * safetensors, as raw 16-bit patterns. Rounding is to nearest, ties to even, as a cast in
 * PyTorch or NumPy rounds.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The half-precision bit pattern nearest to `x` (overflow gives ±Infinity, NaN stays NaN).
 * @example toFloat16Bits(1) // 0x3c00
 */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const frac = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (frac ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  // A normal half keeps the top 10 fraction bits; a subnormal shifts the implicit 1 in too.
  const mantissa = e > 0 ? frac : frac | 0x800000;
  const shift = e > 0 ? 13 : 14 - e;
  if (shift > 24) return sign;
  let h = e > 0 ? (e << 10) | (mantissa >>> 13) : mantissa >>> shift;
  const rest = mantissa & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && h & 1)) h++; // a carry into the exponent is right
  return sign | h;
}

/** The number a half-precision bit pattern stands for. */
export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * `x` rounded to the nearest half-precision value.
 * @example roundToFloat16(0.1) // 0.0999755859375
 */
export function roundToFloat16(x: number): number {
  return fromFloat16Bits(toFloat16Bits(x));
}
