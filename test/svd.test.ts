import { describe, expect, it } from 'vitest';
import { type Svd, SvdConvergenceError, svd } from '../src/compress/svd.js';
import { Rng } from '../src/tensor/random.js';
import { orthogonalityError } from './helpers.js';

function reconstruct({ U, S, V, m, n, k }: Svd, rank = k): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let r = 0; r < rank; r++) acc += U[i * k + r] * S[r] * V[j * k + r];
      out[i * n + j] = acc;
    }
  return out;
}

function frobenius(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - (b ? b[i] : 0)) ** 2;
  return Math.sqrt(s);
}

function randomMatrix(m: number, n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: m * n }, () => rng.uniformRange(-1, 1));
}

describe('one-sided Jacobi SVD', () => {
  const rng = new Rng(11);

  it('reconstructs random tall, wide, square and one-sided matrices; U and V orthonormal; σ sorted', () => {
    for (const [m, n] of [
      [1, 1],
      [1, 5],
      [5, 1],
      [6, 6],
      [40, 13],
      [13, 40],
      [128, 256],
    ]) {
      const a = randomMatrix(m, n, rng);
      const r = svd(a, m, n);
      expect(r.k).toBe(Math.min(m, n));
      expect(frobenius(reconstruct(r), a) / frobenius(a)).toBeLessThan(1e-10);
      expect(orthogonalityError(r.U, m, r.k)).toBeLessThan(1e-10);
      expect(orthogonalityError(r.V, n, r.k)).toBeLessThan(1e-10);
      for (let i = 1; i < r.k; i++) expect(r.S[i]).toBeLessThanOrEqual(r.S[i - 1]);
      expect(r.S[r.k - 1]).toBeGreaterThanOrEqual(0);
    }
  });

  it('known cases: a diagonal matrix, a rank-1 outer product, a zero matrix, a built U·Σ·Vᵀ', () => {
    const diag = svd([3, 0, 0, 0, -7, 0, 0, 0, 0.5], 3, 3);
    expect([...diag.S]).toEqual([expect.closeTo(7, 12), expect.closeTo(3, 12), expect.closeTo(0.5, 12)]);

    const u = [1, 2, 2],
      v = [3, 4]; // |u| = 3, |v| = 5: σ₁ = 15
    const outer = u.flatMap((ui) => v.map((vj) => ui * vj));
    const r1 = svd(outer, 3, 2);
    expect(r1.S[0]).toBeCloseTo(15, 12);
    expect(r1.S[1]).toBe(0);
    expect(orthogonalityError(r1.U, 3, 2)).toBeLessThan(1e-12); // the zero σ still gets an orthonormal U column

    const zero = svd(new Float64Array(12), 4, 3);
    expect([...zero.S]).toEqual([0, 0, 0]);
    expect(orthogonalityError(zero.U, 4, 3)).toBeLessThan(1e-12);

    // A = Q1·diag(5, 2, 1e-3)·Q2ᵀ with rotations Q1, Q2 built by hand.
    const c = Math.cos(0.3),
      s = Math.sin(0.3);
    const Q1 = [c, -s, 0, s, c, 0, 0, 0, 1];
    const Q2 = [1, 0, 0, 0, c, -s, 0, s, c];
    const sig = [5, 2, 1e-3];
    const a = new Float64Array(9);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) for (let r = 0; r < 3; r++) a[i * 3 + j] += Q1[i * 3 + r] * sig[r] * Q2[j * 3 + r];
    const known = svd(a, 3, 3);
    known.S.forEach((v, i) => {
      expect(v).toBeCloseTo(sig[i], 12);
    });
  });

  it('rank-deficient: a 20×10 matrix of rank 3 has 7 zero singular values', () => {
    const left = randomMatrix(20, 3, rng),
      right = randomMatrix(3, 10, rng);
    const a = new Float64Array(200);
    for (let i = 0; i < 20; i++)
      for (let j = 0; j < 10; j++) for (let r = 0; r < 3; r++) a[i * 10 + j] += left[i * 3 + r] * right[r * 10 + j];
    const r = svd(a, 20, 10);
    expect(r.S[2]).toBeGreaterThan(1e-3);
    for (let i = 3; i < 10; i++) expect(r.S[i]).toBeLessThan(1e-10);
    expect(frobenius(reconstruct(r), a) / frobenius(a)).toBeLessThan(1e-10);
    expect(orthogonalityError(r.U, 20, 10)).toBeLessThan(1e-8);
  });

  it('a pruned 6×6 layer weight with a zero row converges (its zero column once rotated forever in subnormals)', () => {
    // The fc weight a factorized head was made from in the ONNX property test (seed 2032).
    // biome-ignore format: the matrix row by row
    const w = Float32Array.from([
      -0.02515389397740364, 0, 0.07249647378921509, 0, 0, 0.14323623478412628,
      0.11847418546676636, 0.07264533638954163, 0.1427772492170334, 0, 0, -0.004602111876010895,
      0.18842875957489014, -0.27065417170524597, 0, 0.2023870348930359, 0, -0.2700129747390747,
      0, -0.15007871389389038, -0.3270522356033325, -0.21665087342262268, 0.35861337184906006, 0,
      0, 0, 0, 0, 0, 0,
      0, 0.09975602477788925, 0.32795295119285583, 0, 0.023578371852636337, 0,
    ]);
    const r = svd(w, 6, 6);
    expect(r.S[4]).toBeGreaterThan(0.1);
    expect(r.S[5]).toBe(0); // rank 5: one row is zero
    expect(frobenius(reconstruct(r), w) / frobenius(w)).toBeLessThan(1e-12);
    expect(orthogonalityError(r.U, 6, 6)).toBeLessThan(1e-12);
    expect(orthogonalityError(r.V, 6, 6)).toBeLessThan(1e-12);
  });

  it('Eckart–Young: the rank-r truncation error is the norm of the dropped singular values', () => {
    const a = randomMatrix(30, 17, rng);
    const r = svd(a, 30, 17);
    for (const rank of [1, 5, 16]) {
      const dropped = Math.sqrt(r.S.slice(rank).reduce((acc, v) => acc + v * v, 0));
      expect(frobenius(reconstruct(r, rank), a)).toBeCloseTo(dropped, 10);
    }
  });

  it('float32 input (a layer weight) reconstructs to float32 precision', () => {
    const a = Float32Array.from(randomMatrix(64, 32, rng));
    const r = svd(a, 64, 32);
    expect(frobenius(reconstruct(r), a) / frobenius(a)).toBeLessThan(1e-5);
  });

  it('says so when it does not converge, and refuses bad input', () => {
    expect(() => svd(randomMatrix(20, 20, rng), 20, 20, { maxSweeps: 1 })).toThrow(SvdConvergenceError);
    expect(() => svd(randomMatrix(20, 20, rng), 20, 20, { maxSweeps: 1 })).toThrow(/no convergence after 1 sweeps of \[20, 20\]/);
    expect(() => svd([1, 2, 3], 2, 2)).toThrow(/3 values do not fill \[2, 2\]/);
    expect(() => svd([1, NaN], 1, 2)).toThrow(/non-finite value at 1/);
    expect(() => svd([], 0, 2)).toThrow(/positive integers/);
  });
});
