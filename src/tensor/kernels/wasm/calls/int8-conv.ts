import type { ConvGeometry } from '../../conv.js';
import type { PoolWindow } from '../../conv-pool.js';
import type { Int8Weight } from '../../int8.js';
import type { Kernels } from '../../interface.js';
import { dequantFactors } from '../../quantize.js';
import type { ExportTable } from '../exports.js';
import { roundUp } from '../heap.js';
import { SPLIT_MIN_MACS, shareBounds, type WasmModule } from '../module.js';
import { geometryWords } from './conv.js';
import { quantizeInto, quantOf } from './int8.js';

/** The exports of assembly/conv-int8.ts that these calls use, each with its parameters by name and in order (see ../exports.ts). */
export const INT8_CONV_EXPORTS = {
  convI16Scratch: { params: ['geo', 'Kp', 'OCp'], split: false },
  convI16: { params: ['q', 'geo', 'w', 'Kp', 'OCp', 'factor', 'bias', 'y', 'outBytes', 'scratch', 'n0', 'n1'], split: true },
  convU7I8Scratch: { params: ['geo', 'Kp', 'OCp'], split: false },
  convU7I8: { params: ['q', 'geo', 'w', 'Kp', 'OCp', 'z', 'zSums', 'factor', 'bias', 'y', 'outBytes', 'scratch', 'n0', 'n1'], split: true },
} as const satisfies ExportTable;

/** int8 filters `[OC, K]` packed for assembly/conv-int8.ts convI16: by pairs of taps, `[Kp/2][OCp][2]` int16, zeros past the real ones. */
interface ConvPack {
  Kp: number;
  OCp: number;
  at: number | null;
  pairs: Int16Array;
}

function convPack(m: WasmModule, w: Int8Weight): ConvPack {
  return m.packOf(w, 'conv', () => {
    const Kp = (w.cols + 1) & ~1,
      OCp = (w.rows + 31) & ~31;
    const pairs = new Int16Array(Kp * OCp);
    for (let o = 0; o < w.rows; o++) for (let k = 0; k < w.cols; k++) pairs[((k >> 1) * OCp + o) * 2 + (k & 1)] = w.q[o * w.cols + k];
    return { Kp, OCp, at: m.heap.residentCopy(w, pairs), pairs };
  });
}

/**
 * int8 filters `[OC, K]` packed for assembly/conv-int8.ts convU7I8: by quads of taps,
 * `[Kp/4][OCp][4]` bytes, zeros past the real ones, and each filter's sum (for z·Σw).
 */
interface ConvQuadPack {
  Kp: number;
  OCp: number;
  at: number | null;
  quads: Int8Array;
  sums: Int32Array;
}

function convQuadPack(m: WasmModule, w: Int8Weight): ConvQuadPack {
  return m.packOf(w, 'conv-u7', () => {
    const Kp = roundUp(w.cols, 4),
      OCp = (w.rows + 31) & ~31;
    const quads = new Int8Array(Kp * OCp);
    const sums = new Int32Array(OCp);
    for (let o = 0; o < w.rows; o++)
      for (let k = 0; k < w.cols; k++) sums[o] += quads[((k >> 2) * OCp + o) * 4 + (k & 3)] = w.q[o * w.cols + k];
    return { Kp, OCp, at: m.heap.residentCopy(w, quads), quads, sums };
  });
}

/**
 * A whole int8 convolution in wasm (same arguments as kernels/int8-layers.ts int8Conv2d): the
 * batch is quantized once, then each thread takes a share of the images and, image by
 * image, multiplies each output position's patch by the resident filters (32 channels at
 * a time) and scales the sums back straight into `[N, OC, OH, OW]`, max-pooling them
 * first when `pool` is given. The relaxed build with 7-bit activations multiplies bytes
 * (convU7I8); otherwise both sides are widened to 16 bits (convI16). Same sums either way.
 */
export function int8Conv2d(
  m: WasmModule,
  x: Float32Array,
  N: number,
  w: Int8Weight,
  bias: Float32Array | null,
  g: ConvGeometry,
  pool: PoolWindow | null,
  y: Float32Array,
): void {
  const OC = w.rows,
    L = g.OH * g.OW,
    size = g.C * g.H * g.W,
    outSize = OC * (pool ? pool.OH * pool.OW : L);
  // The resident packs are made before the call's scratch frame opens.
  const quadPack = m.simd === 'relaxed' && w.reduceRange ? convQuadPack(m, w) : null;
  const pairPack = quadPack ? null : convPack(m, w);
  const frame = m.heap.frame();
  const xa = frame.place(x, N * size);
  const aq = quantOf(m, frame, xa, N * size, w.reduceRange);
  const geo = frame.place(geometryWords(OC, g, pool));
  const factor = frame.place(dequantFactors(aq.scale, w.scales, OC));
  const ba = bias ? frame.place(bias) : 0;
  const ya = frame.output(y, false, N * outSize);
  const outBytes = outSize * 4;
  if (quadPack) {
    const pack = quadPack;
    // Bytes q (not q − z); 16 more than the batch, zeros, for the 8-byte row copies at its end.
    const qBytes = roundUp(N * size, 16) + 16;
    const q = frame.take(qBytes);
    m.call('quantizeU8', { x: xa, M: 1, K: N * size, Kp: qBytes, inv: Math.fround(1 / aq.scale), z: aq.zeroPoint, qmax: aq.qmax, out: q });
    const wa = pack.at ?? frame.place(pack.quads);
    const zSums = frame.place(pack.sums.map((s) => aq.zeroPoint * s));
    const parts = N * L * pack.OCp * pack.Kp >= SPLIT_MIN_MACS ? Math.min(m.threads, N) : 1;
    const scratchBytes = m.call('convU7I8Scratch', { geo, Kp: pack.Kp, OCp: pack.OCp });
    const scratch = Array.from({ length: parts }, () => frame.take(scratchBytes));
    const bounds = shareBounds(N, parts);
    m.split('convU7I8', parts, (p) => ({
      q,
      geo,
      w: wa,
      Kp: pack.Kp,
      OCp: pack.OCp,
      z: aq.zeroPoint,
      zSums,
      factor,
      bias: ba,
      y: ya,
      outBytes,
      scratch: scratch[p],
      n0: bounds[p],
      n1: bounds[p + 1],
    }));
  } else {
    const pack = pairPack!;
    const q = quantizeInto(m, frame, xa, 1, N * size, roundUp(N * size, 8), aq);
    const wa = pack.at ?? frame.place(pack.pairs);
    const parts = N * L * pack.OCp * pack.Kp >= SPLIT_MIN_MACS ? Math.min(m.threads, N) : 1;
    const scratchBytes = m.call('convI16Scratch', { geo, Kp: pack.Kp, OCp: pack.OCp });
    const scratch = Array.from({ length: parts }, () => frame.take(scratchBytes));
    const bounds = shareBounds(N, parts);
    m.split('convI16', parts, (p) => ({
      q,
      geo,
      w: wa,
      Kp: pack.Kp,
      OCp: pack.OCp,
      factor,
      bias: ba,
      y: ya,
      outBytes,
      scratch: scratch[p],
      n0: bounds[p],
      n1: bounds[p + 1],
    }));
  }
  frame.finish();
}

/** These calls as entries of the kernel interface, bound to module `m`. */
export function int8ConvCalls(m: WasmModule) {
  return {
    int8Conv2d: (...a) => int8Conv2d(m, ...a),
  } satisfies Partial<Kernels>;
}
