/**
 * A drawn digit prepared as MNIST's were (LeCun et al.): the ink's bounding box scaled so
 * its longer side is 20 pixels (aspect kept, each pixel the average of the area it covers),
 * placed in a 28 × 28 image so that its centre of mass is at the centre, then normalized as
 * the notebook does: ink 1 → 1, paper 0 → −1. Pure functions over arrays, so the page and a
 * test compute the same input.
 */

/** The side of an MNIST image, and of the box the digit is scaled into. */
export const SIDE = 28;
export const BOX = 20;

/** `[height][width]` ink in [0, 1], row-major. */
export interface Ink {
  width: number;
  height: number;
  data: Float32Array;
}

/** Ink from a canvas's RGBA pixels: the alpha channel (strokes are drawn opaque on a transparent canvas). */
export function inkFromRgba(rgba: Uint8ClampedArray, width: number, height: number): Ink {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rgba[4 * i + 3] / 255;
  return { width, height, data };
}

/** The smallest box holding every inked pixel, or null for a blank canvas. */
export function inkBox(ink: Ink): { x0: number; y0: number; x1: number; y1: number } | null {
  let x0 = ink.width;
  let y0 = ink.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < ink.height; y++)
    for (let x = 0; x < ink.width; x++)
      if (ink.data[y * ink.width + x] > 0) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
  return x1 < 0 ? null : { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/** `src` (w × h) resampled to `tw` × `th` by area averaging: each target pixel is the mean of the source area it covers. */
export function resample(src: Float32Array, w: number, h: number, tw: number, th: number): Float32Array {
  const out = new Float32Array(tw * th);
  const sx = w / tw;
  const sy = h / th;
  for (let ty = 0; ty < th; ty++) {
    for (let tx = 0; tx < tw; tx++) {
      let sum = 0;
      const ya = ty * sy;
      const yb = ya + sy;
      const xa = tx * sx;
      const xb = xa + sx;
      for (let y = Math.floor(ya); y < Math.ceil(yb); y++) {
        const wy = Math.min(yb, y + 1) - Math.max(ya, y);
        for (let x = Math.floor(xa); x < Math.ceil(xb); x++) {
          const wx = Math.min(xb, x + 1) - Math.max(xa, x);
          sum += wy * wx * src[y * w + x];
        }
      }
      out[ty * tw + tx] = sum / (sx * sy);
    }
  }
  return out;
}

/** The 28 × 28 input for the models, in [−1, 1], or null when nothing is drawn. */
export function mnistInput(ink: Ink): Float32Array | null {
  const box = inkBox(ink);
  if (!box) return null;
  const w = box.x1 - box.x0;
  const h = box.y1 - box.y0;
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++) crop.set(ink.data.subarray((box.y0 + y) * ink.width + box.x0, (box.y0 + y) * ink.width + box.x1), y * w);
  const scale = BOX / Math.max(w, h);
  const tw = Math.max(1, Math.round(w * scale));
  const th = Math.max(1, Math.round(h * scale));
  const digit = resample(crop, w, h, tw, th);
  // The centre of mass of the scaled digit, then the shift that puts it at the image's centre.
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = digit[y * tw + x];
      mass += v;
      cx += v * (x + 0.5);
      cy += v * (y + 0.5);
    }
  const left = Math.min(SIDE - tw, Math.max(0, Math.round(SIDE / 2 - cx / mass)));
  const top = Math.min(SIDE - th, Math.max(0, Math.round(SIDE / 2 - cy / mass)));
  const image = new Float32Array(SIDE * SIDE).fill(-1);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) image[(top + y) * SIDE + left + x] = 2 * Math.min(1, digit[y * tw + x]) - 1;
  return image;
}
