import type { ConvGeometry } from '../../conv.js';
import type { PoolWindow } from '../../conv-pool.js';
import type { Kernels } from '../../interface.js';
import type { Args, ExportTable } from '../exports.js';
import { GEOMETRY_WORDS, Geo } from '../geometry.js';
import type { ScratchFrame } from '../heap.js';
import { SPLIT_MIN_MACS, shareBounds, type WasmModule } from '../module.js';

/**
 * The exports of assembly/conv.ts and conv-pool.ts that these calls use, each with its parameters by name and in order (see ../exports.ts).
 */
export const CONV_EXPORTS = {
  convScratch: { params: ['geo'], split: false },
  // im2col's two forms, exported for the convolutions of assembly/ (no call from here).
  im2col: { params: ['x', 'geo', 'col'], split: false },
  im2colTopLeft: { params: ['x', 'geo', 'col', 'OH', 'OW'], split: false },
  convForward: { params: ['geo', 'x', 'w', 'bias', 'out', 'scratch', 'n0', 'n1'], split: true },
  convBackward: { params: ['geo', 'x', 'w', 'dy', 'dx', 'dw', 'db', 'scratch', 'n0', 'n1'], split: true },
  convPool: { params: ['geo', 'x', 'w', 'bias', 'out', 'argmax', 'scratch', 'n0', 'n1'], split: true },
  convPoolBackward: { params: ['geo', 'x', 'w', 'dout', 'argmax', 'dx', 'dw', 'db', 'scratch', 'n0', 'n1'], split: true },
} as const satisfies ExportTable;

/** The convolution kernels, each run on a range of images [n0, n1). */
type ConvKernel = 'convForward' | 'convBackward' | 'convPool' | 'convPoolBackward';

/**
 * The convolution kernels of assembly/conv.ts over a whole batch, same arguments as their
 * TypeScript twins in kernels/conv.ts and kernels/conv-pool.ts. The batch goes into the
 * module's memory once; each thread unfolds and multiplies a share of the images, and a
 * backward gives each thread a weight and bias gradient of its own, added up at the end.
 */

/** conv2d forward (kernels/conv.ts conv2dForward). */
export function convForward(
  m: WasmModule,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  N: number,
  OC: number,
  g: ConvGeometry,
  out: Float32Array,
): void {
  const job = convJob(m, N, OC, g, null);
  const [xa, wa, ba] = [job.frame.place(x), job.frame.place(w), bias ? job.frame.place(bias) : 0];
  const oa = job.frame.output(out, false, N * OC * g.OH * g.OW);
  job.run('convForward', (p) => ({ geo: job.geo, x: xa, w: wa, bias: ba, out: oa, scratch: job.scratch[p] }));
}

/** conv2d backward (kernels/conv.ts conv2dBackward). */
export function convBackward(
  m: WasmModule,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  N: number,
  OC: number,
  g: ConvGeometry,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
): void {
  const job = convJob(m, N, OC, g, null, { dw, db });
  const [xa, wa, dya] = [job.frame.place(x), job.frame.place(w), job.frame.place(dy)];
  const dxa = dx ? job.frame.output(dx, true, N * g.C * g.H * g.W) : 0; // gradients add to what is there
  job.run('convBackward', (p) => ({ geo: job.geo, x: xa, w: wa, dy: dya, dx: dxa, dw: job.dw[p], db: job.db[p], scratch: job.scratch[p] }));
}

/** The fused convolution and max pooling (kernels/conv-pool.ts convPoolForward): only the pooled values and their positions come back. */
export function convPool(
  m: WasmModule,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  N: number,
  OC: number,
  g: ConvGeometry,
  pool: PoolWindow,
  out: Float32Array,
  argmax: Int32Array,
): void {
  const size = N * OC * pool.OH * pool.OW;
  const job = convJob(m, N, OC, g, pool);
  const [xa, wa, ba] = [job.frame.place(x), job.frame.place(w), bias ? job.frame.place(bias) : 0];
  const [oa, ia] = [job.frame.output(out, false, size), job.frame.output(argmax, false, size)];
  job.run('convPool', (p) => ({ geo: job.geo, x: xa, w: wa, bias: ba, out: oa, argmax: ia, scratch: job.scratch[p] }));
}

/** The backward of `convPool` (kernels/conv-pool.ts convPoolBackward): one conv output visited per pooled value. */
export function convPoolBackward(
  m: WasmModule,
  x: Float32Array,
  w: Float32Array,
  dout: Float32Array,
  argmax: Int32Array,
  N: number,
  OC: number,
  g: ConvGeometry,
  pool: PoolWindow,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
): void {
  const job = convJob(m, N, OC, g, pool, { dw, db }, (g.OH * g.OW) / (pool.OH * pool.OW));
  const [xa, wa, da, ia] = [job.frame.place(x), job.frame.place(w), job.frame.place(dout), job.frame.place(argmax)];
  const dxa = dx ? job.frame.output(dx, true, N * g.C * g.H * g.W) : 0; // gradients add to what is there
  job.run('convPoolBackward', (p) => ({
    geo: job.geo,
    x: xa,
    w: wa,
    dout: da,
    argmax: ia,
    dx: dxa,
    dw: job.dw[p],
    db: job.db[p],
    scratch: job.scratch[p],
  }));
}

/**
 * The fields of a convolution's geometry in the order assembly/geometry.ts reads them
 * (its `Geo` enum; a test holds the two lists to each other): the convolution, the
 * filter count, then the pooling window and the pooled size (zeros without pooling).
 */
/** The geometry as the int32 words the kernels read, each field at its place in `Geo`. */
export function geometryWords(OC: number, g: ConvGeometry, pool: PoolWindow | null): Int32Array {
  const p = pool ?? { KH: 0, KW: 0, SH: 0, SW: 0, OH: 0, OW: 0 };
  const named: Record<keyof typeof Geo, number> = {
    ...g,
    OC,
    PKH: p.KH,
    PKW: p.KW,
    PSH: p.SH,
    PSW: p.SW,
    POH: p.OH,
    POW: p.OW,
  };
  const words = new Int32Array(GEOMETRY_WORDS);
  for (let i = 0; i < GEOMETRY_WORDS; i++) words[i] = named[Geo[i] as keyof typeof Geo];
  return words;
}

/**
 * Lays out one call of a conv kernel: the geometry, then per thread its scratch and, for a
 * backward, its own zeroed dw and db. The images are split across the threads when the
 * work (the convolution's multiply-adds, divided by `saving` for a kernel that does only
 * part of them) is large enough. `run` calls the kernel on each share of the images, then
 * adds every thread's gradients into the caller's and copies the outputs back.
 */
function convJob(
  m: WasmModule,
  N: number,
  OC: number,
  g: ConvGeometry,
  pool: PoolWindow | null,
  grads?: { dw: Float32Array | null; db: Float32Array | null },
  saving = 1,
) {
  const frame: ScratchFrame = m.heap.frame();
  const geo = frame.place(geometryWords(OC, g, pool));
  const work = (N * OC * g.OH * g.OW * g.C * g.KH * g.KW) / saving;
  const parts = work >= SPLIT_MIN_MACS ? Math.min(m.threads, N) : 1;
  const sizeW = OC * g.C * g.KH * g.KW;
  const scratchBytes = m.call('convScratch', { geo });
  const shares = Array.from({ length: parts }, () => ({
    scratch: frame.zeros(scratchBytes),
    dw: grads?.dw ? frame.zeros(sizeW * 4) : 0,
    db: grads?.db ? frame.zeros(OC * 4) : 0,
  }));
  return {
    frame,
    geo,
    scratch: shares.map((s) => s.scratch),
    dw: shares.map((s) => s.dw),
    db: shares.map((s) => s.db),
    run<K extends ConvKernel>(kernel: K, args: (part: number) => Omit<Args<K>, 'n0' | 'n1'>): void {
      const bounds = shareBounds(N, parts);
      m.split(kernel, parts, (p) => ({ ...args(p), n0: bounds[p], n1: bounds[p + 1] }) as unknown as Args<K>);
      frame.finish();
      for (const share of shares) {
        if (grads?.dw) addFrom(m, share.dw, grads.dw, sizeW);
        if (grads?.db) addFrom(m, share.db, grads.db, OC);
      }
    },
  };
}

/** to[i] += the float at byte address `at` + 4i, for i < n. */
function addFrom(m: WasmModule, at: number, to: Float32Array, n: number): void {
  const from = m.heap.view(Float32Array, at, n);
  for (let k = 0; k < n; k++) to[k] += from[k];
}

/** These calls as entries of the kernel interface, bound to module `m`. */
export function convCalls(m: WasmModule) {
  return {
    conv2dForward: (...a) => convForward(m, ...a),
    conv2dBackward: (...a) => convBackward(m, ...a),
    convPoolForward: (...a) => convPool(m, ...a),
    convPoolBackward: (...a) => convPoolBackward(m, ...a),
  } satisfies Partial<Kernels>;
}
