// Convolution fused with max pooling, in WebAssembly: the same computation as
// src/tensor/kernels/conv-pool.ts, image by image. Each image is unfolded (im2col),
// multiplied by the filters with the SIMD GEMM (the bias in its epilogue), and pooled
// straight away, so only the pooled maxima and their positions leave the module; the
// backward visits the pooled winners only. The geometry arrives as 18 int32 at `geo`.
import { convScratch, im2colTopLeft } from './conv';
import { Geo, geoAt, pooledCols, pooledRows } from './geometry';
import { linearEpilogue } from './gemm';

// kernels/pool.ts maxPool2d over one image's conv output laid out position by position,
// yT [UH·UW, OC] (the OC channels of a position side by side; UH × UW the top-left
// positions the windows reach, pooledRows × pooledCols), four channels at a time:
// each window's running maximum and its position are vectors, updated by compare and
// select instead of a branch (which the winners' unpredictable order mispredicts often).
// Ties keep the first position and a NaN wins (the last NaN), as in the reference:
// a value replaces the maximum when it is greater or is NaN. `argmax` holds o·OH·OW + pos,
// the position in the whole (uncropped) OH × OW output.
function maxPoolT(yT: usize, geo: usize, out: usize, argmax: usize): void {
  const OH = geoAt(geo, Geo.OH), OW = geoAt(geo, Geo.OW), OC = geoAt(geo, Geo.OC), L = OH * OW;
  const UW = pooledCols(geo);
  const KH = geoAt(geo, Geo.PKH), KW = geoAt(geo, Geo.PKW), SH = geoAt(geo, Geo.PSH), SW = geoAt(geo, Geo.PSW);
  const POH = geoAt(geo, Geo.POH), POW = geoAt(geo, Geo.POW), Q = POH * POW;
  for (let oh = 0; oh < POH; oh++) {
    for (let ow = 0; ow < POW; ow++) {
      const q = oh * POW + ow;
      const first = oh * SH * OW + ow * SW;
      let o = 0;
      for (; o + 3 < OC; o += 4) {
        let best = f32x4.splat(-Infinity);
        let index = i32x4.splat(first);
        for (let kh = 0; kh < KH; kh++) {
          const row = (oh * SH + kh) * OW + ow * SW, at = (oh * SH + kh) * UW + ow * SW;
          for (let kw = 0; kw < KW; kw++) {
            const v = v128.load(yT + (<usize>((at + kw) * OC + o) << 2));
            const wins = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
            best = v128.bitselect(v, best, wins);
            index = v128.bitselect(i32x4.splat(row + kw), index, wins);
          }
        }
        index = i32x4.add(index, i32x4(o * L, (o + 1) * L, (o + 2) * L, (o + 3) * L));
        const at = <usize>(o * Q + q) << 2, step = <usize>Q << 2;
        store<f32>(out + at, f32x4.extract_lane(best, 0)); store<i32>(argmax + at, i32x4.extract_lane(index, 0));
        store<f32>(out + at + step, f32x4.extract_lane(best, 1)); store<i32>(argmax + at + step, i32x4.extract_lane(index, 1));
        store<f32>(out + at + 2 * step, f32x4.extract_lane(best, 2)); store<i32>(argmax + at + 2 * step, i32x4.extract_lane(index, 2));
        store<f32>(out + at + 3 * step, f32x4.extract_lane(best, 3)); store<i32>(argmax + at + 3 * step, i32x4.extract_lane(index, 3));
      }
      for (; o < OC; o++) {
        let best: f32 = -Infinity;
        let index = first;
        for (let kh = 0; kh < KH; kh++) {
          const row = (oh * SH + kh) * OW + ow * SW, at = (oh * SH + kh) * UW + ow * SW;
          for (let kw = 0; kw < KW; kw++) {
            const v = load<f32>(yT + (<usize>((at + kw) * OC + o) << 2));
            if (v > best || v != v) {
              best = v;
              index = row + kw;
            }
          }
        }
        store<f32>(out + (<usize>(o * Q + q) << 2), best);
        store<i32>(argmax + (<usize>(o * Q + q) << 2), o * L + index);
      }
    }
  }
}

/**
 * Images n0 ≤ n < n1 of out = maxPool(conv2d(x, w) + bias), with `argmax` the index
 * o·OH·OW + oh·OW + ow of each winner within its image's conv output. x [N, C, H, W],
 * w [OC, C·KH·KW], bias [OC] (0 = none), out and argmax [N, OC, POH, POW]; byte
 * addresses in this module's memory, `scratch` convScratch(geo) bytes of this thread's own.
 * Each image's conv output is made position by position, yT = colᵀ·wᵀ + bias (the bias in
 * the GEMM's epilogue, no pass of its own), so that pooling runs four channels to a vector,
 * and only at the positions some window reaches (20 × 20 of the teacher's 24 × 24).
 */
export function convPool(geo: usize, x: usize, w: usize, bias: usize, out: usize, argmax: usize, scratch: usize, n0: i32, n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W);
  const CKK = C * geoAt(geo, Geo.KH) * geoAt(geo, Geo.KW);
  const UH = pooledRows(geo), UW = pooledCols(geo), L = UH * UW;
  const OC = geoAt(geo, Geo.OC);
  const P = OC * geoAt(geo, Geo.POH) * geoAt(geo, Geo.POW);
  const col = (scratch + 15) & ~<usize>15;
  const yT = col + (<usize>(CKK * L) << 2);
  const pack = yT + (<usize>(OC * L) << 2);
  for (let n = n0; n < n1; n++) {
    im2colTopLeft(x + (<usize>(n * C * H * W) << 2), geo, col, UH, UW);
    linearEpilogue(true, true, L, OC, CKK, col, w, yT, false, pack, 0, OC, bias, false);
    maxPoolT(yT, geo, out + (<usize>(n * P) << 2), argmax + (<usize>(n * P) << 2));
  }
}

/**
 * Images n0 ≤ n < n1 of the backward of `convPool` (kernels/conv-pool.ts convPoolBackward):
 * for each pooled gradient d at its winner, db[o] += d, dw[o, ·] += d·(the input patch),
 * dx (the input patch) += d·w[o, ·]. dout and argmax as convPool's out and argmax; dx
 * [N, C, H, W], dw [OC, C·KH·KW], db [OC], each 0 when not wanted; `scratch`
 * convScratch(geo) bytes of this thread's own. Threads working on other images must be
 * given their own dw and db.
 *
 * dw is made tap by tap: for each filter, the winners whose patch lies inside the image are
 * listed (their d and where their patch starts), then each row of taps is a sum over that
 * list held in registers. Adding each winner's patch into dw in turn instead chains every
 * update to the one before on the same 25 addresses (a load, an add and a store each), and
 * took 5.5 ms for a batch of 64 here; the sums take a fraction of that.
 */
export function convPoolBackward(geo: usize, x: usize, w: usize, dout: usize, argmax: usize, dx: usize, dw: usize, db: usize,
    scratch: usize, n0: i32, n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W), KH = geoAt(geo, Geo.KH), KW = geoAt(geo, Geo.KW);
  const SH = geoAt(geo, Geo.SH), SW = geoAt(geo, Geo.SW), PH = geoAt(geo, Geo.PH), PW = geoAt(geo, Geo.PW);
  const OW = geoAt(geo, Geo.OW), L = geoAt(geo, Geo.OH) * OW, OC = geoAt(geo, Geo.OC);
  const Q = geoAt(geo, Geo.POH) * geoAt(geo, Geo.POW);
  const list = (scratch + 15) & ~<usize>15; // pairs (d: f32, patch start: i32, in floats from x)
  const chunk = max(1, ((convScratch(geo) - 16) >> 3) / max(1, Q)); // images whose winners fit the list
  if (dw || db) {
    for (let o = 0; o < OC; o++) {
      for (let c0 = n0; c0 < n1; c0 += chunk) {
        const c1 = min(n1, c0 + chunk);
        let count = 0;
        let dsum: f32 = 0;
        for (let n = c0; n < c1; n++) {
          for (let q = 0; q < Q; q++) {
            const i = <usize>((n * OC + o) * Q + q) << 2;
            const d = load<f32>(dout + i);
            if (d == 0) continue;
            dsum += d;
            const pos = load<i32>(argmax + i) - o * L;
            const oh = pos / OW, ow = pos - oh * OW;
            const ih = oh * SH - PH, iw = ow * SW - PW;
            if (ih >= 0 && iw >= 0 && ih + KH <= H && iw + KW <= W) {
              const e = list + (<usize>count << 3);
              store<f32>(e, d);
              store<i32>(e, (n * C * H + ih) * W + iw, 4);
              count++;
            } else if (dw) {
              winnerBackward(geo, x, w, n, o, d, oh, ow, 0, dw);
            }
          }
        }
        if (db) store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + dsum);
        if (dw) patchSums(x, H, W, C, KH, KW, list, count, dw + (<usize>(o * C * KH * KW) << 2));
      }
    }
  }
  if (dx) {
    for (let n = n0; n < n1; n++) {
      for (let o = 0; o < OC; o++) {
        for (let q = 0; q < Q; q++) {
          const i = <usize>((n * OC + o) * Q + q) << 2;
          const d = load<f32>(dout + i);
          if (d == 0) continue;
          const pos = load<i32>(argmax + i) - o * L;
          const oh = pos / OW;
          winnerBackward(geo, x, w, n, o, d, oh, pos - oh * OW, dx, 0);
        }
      }
    }
  }
}

// dw[c, kh, kw] += Σ_e d_e · x[start_e + (c·H + kh)·W + kw] over the `count` listed winners
// (all with their patch inside the image): a row of taps at a time, four in a vector, in
// two sets of accumulators (even and odd winners) so the multiply-adds do not wait on each other.
function patchSums(x: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32, list: usize, count: i32, dw: usize): void {
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      const rowOffset = (c * H + kh) * W;
      const out = dw + (<usize>((c * KH + kh) * KW) << 2);
      let kw = 0;
      for (; kw + 3 < KW; kw += 4) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
        let e = 0;
        for (; e + 1 < count; e += 2) {
          const a = list + (<usize>e << 3);
          s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a), v128.load(x + (<usize>(load<i32>(a, 4) + rowOffset + kw) << 2))));
          s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a, 8), v128.load(x + (<usize>(load<i32>(a, 12) + rowOffset + kw) << 2))));
        }
        if (e < count) {
          const a = list + (<usize>e << 3);
          s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a), v128.load(x + (<usize>(load<i32>(a, 4) + rowOffset + kw) << 2))));
        }
        v128.store(out + (<usize>kw << 2), f32x4.add(v128.load(out + (<usize>kw << 2)), f32x4.add(s0, s1)));
      }
      for (; kw < KW; kw++) {
        let s0: f32 = 0, s1: f32 = 0;
        let e = 0;
        for (; e + 1 < count; e += 2) {
          const a = list + (<usize>e << 3);
          s0 += load<f32>(a) * load<f32>(x + (<usize>(load<i32>(a, 4) + rowOffset + kw) << 2));
          s1 += load<f32>(a, 8) * load<f32>(x + (<usize>(load<i32>(a, 12) + rowOffset + kw) << 2));
        }
        if (e < count) {
          const a = list + (<usize>e << 3);
          s0 += load<f32>(a) * load<f32>(x + (<usize>(load<i32>(a, 4) + rowOffset + kw) << 2));
        }
        store<f32>(out + (<usize>kw << 2), load<f32>(out + (<usize>kw << 2)) + (s0 + s1));
      }
    }
  }
}

// One winner's share of the backward, patch by patch (the taps that fall on padding are
// skipped): dx (its input patch) += d·w[o, ·] when dx is given, dw[o, ·] += d·(the patch) when dw is.
function winnerBackward(geo: usize, x: usize, w: usize, n: i32, o: i32, d: f32, oh: i32, ow: i32, dx: usize, dw: usize): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W), KH = geoAt(geo, Geo.KH), KW = geoAt(geo, Geo.KW);
  const SH = geoAt(geo, Geo.SH), SW = geoAt(geo, Geo.SW), PH = geoAt(geo, Geo.PH), PW = geoAt(geo, Geo.PW);
  const kh0 = max(0, PH - oh * SH), kh1 = min(KH, H + PH - oh * SH);
  const kw0 = max(0, PW - ow * SW), kw1 = min(KW, W + PW - ow * SW);
  for (let c = 0; c < C; c++) {
    for (let kh = kh0; kh < kh1; kh++) {
      const xRow = x + (<usize>(((n * C + c) * H + oh * SH - PH + kh) * W + ow * SW - PW) << 2);
      const dxRow = dx + (xRow - x);
      const wRow = <usize>(((o * C + c) * KH + kh) * KW) << 2;
      for (let kw = kw0; kw < kw1; kw++) {
        const k = <usize>kw << 2;
        if (dw) store<f32>(dw + wRow + k, load<f32>(dw + wRow + k) + d * load<f32>(xRow + k));
        if (dx) store<f32>(dxRow + k, load<f32>(dxRow + k) + d * load<f32>(w + wRow + k));
      }
    }
  }
}
