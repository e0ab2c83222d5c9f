import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc } from '@fast-check/vitest';
import { expect } from 'vitest';
import { noGrad } from '../src/tensor/autograd.js';
import type { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * A fraction in [lo, hi], spread evenly in steps of 1/1000. (fast-check's `fc.double` draws
 * bit patterns, so nearly every value it makes in [0, 1] is below 1e-20 or exactly 1: a
 * density drawn with it is almost always "empty" or "full".)
 */
export function fraction(lo = 0, hi = 1): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: 1000 }).map((k) => lo + ((hi - lo) * k) / 1000);
}

/** Largest |a − b| over two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Asserts |a − b| ≤ atol + rtol·|b| elementwise. */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-6): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(b[i]);
    if (!(Math.abs(a[i] - b[i]) <= tol)) {
      throw new Error(`element ${i}: ${a[i]} vs ${b[i]} (|diff| ${Math.abs(a[i] - b[i])} > ${tol})`);
    }
  }
}

/** A Float32Array of uniform values in [lo, hi). */
export function randomArray(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniformRange(lo, hi);
  return a;
}

/**
 * Finite-difference gradient check. The scalar L = Σ w·f(inputs) (w random, summed in
 * float64) is differentiated by central differences (eps 1e-3) for up to `samples`
 * elements of each input and compared with the gradient `backward()` fills.
 */
export function gradCheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], rng: Rng, samples = 24): void {
  const eps = 1e-3;
  for (const x of inputs) {
    x.requiresGrad = true;
    x.grad = null;
  }
  const out = fn(...inputs);
  const w = Tensor.from(randomArray(out.size, rng), out.shape);
  out.backward(w);
  const L = (): number =>
    noGrad(() => {
      const y = fn(...inputs);
      let s = 0;
      for (let i = 0; i < y.size; i++) s += w.data[i] * y.data[i];
      return s;
    });
  inputs.forEach((x, k) => {
    expect(x.grad, `input ${k} got no gradient`).not.toBeNull();
    const picks = x.size <= samples ? [...Array(x.size).keys()] : Array.from({ length: samples }, () => rng.int(x.size));
    for (const j of picks) {
      const saved = x.data[j];
      x.data[j] = saved + eps;
      const up = L();
      x.data[j] = saved - eps;
      const down = L();
      x.data[j] = saved;
      const numeric = (up - down) / (2 * eps);
      const analytic = x.grad!.data[j];
      const tol = 2e-3 + 1e-2 * Math.max(Math.abs(numeric), Math.abs(analytic));
      if (!(Math.abs(numeric - analytic) <= tol)) {
        throw new Error(`input ${k} element ${j}: analytic ${analytic} vs numeric ${numeric}`);
      }
    }
  });
}

/** A random [rows, cols] matrix with roughly `density` non-zeros, and some rows empty. */
export function sparseRandom(rows: number, cols: number, density: number, rng: Rng): Float32Array {
  const a = randomArray(rows * cols, rng);
  for (let i = 0; i < a.length; i++) if (rng.uniform() > density) a[i] = 0;
  for (let r = 0; r < rows; r += 3) a.fill(0, r * cols, (r + 1) * cols); // every third row empty
  return a;
}

/** Asserts two arrays hold the same values bit for bit (NaN equal to NaN), naming the first difference; fast on long arrays. */
export function expectIdentical(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`element ${i} of ${want.length}: ${got[i]} vs ${want[i]}`);
  }
}

const tempDirs: string[] = [];

/** A fresh folder under the system temp dir (`slimtensor-<name>-XXXXXX`), removed after the test file (test/setup.ts). */
export function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `slimtensor-${name}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder `tempDir` made in this test file. */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** max |XᵀX − I| for X `[rows, k]` row-major: how far its columns are from orthonormal. */
export function orthogonalityError(X: ArrayLike<number>, rows: number, k: number): number {
  let worst = 0;
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++) {
      let d = 0;
      for (let i = 0; i < rows; i++) d += X[i * k + a] * X[i * k + b];
      worst = Math.max(worst, Math.abs(d - (a === b ? 1 : 0)));
    }
  return worst;
}
