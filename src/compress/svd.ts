/**
 * Singular value decomposition by one-sided Jacobi rotations (Hestenes 1958), in Float64.
 *
 * For A `[m, n]` with m ≥ n, it rotates pairs of A's columns until every pair is
 * orthogonal: each rotation is the 2×2 Jacobi rotation that zeroes the pair's inner
 * product, and the same rotations applied to the identity give V. Then the column norms
 * are the singular values and the normalized columns are U, so A = U·diag(σ)·Vᵀ. A wide
 * matrix is decomposed through its transpose. Slower than LAPACK's bidiagonalization, but
 * short, and accurate to the last digits (Demmel & Veselić 1992).
 */

/** A thin SVD: A `[m, n]` = U `[m, k]` · diag(S) · Vᵀ, with k = min(m, n). */
export interface Svd {
  /** Rows of A. */
  m: number;
  /** Columns of A. */
  n: number;
  /** min(m, n): the singular values kept. */
  k: number;
  /** `[m, k]` row-major, orthonormal columns. */
  U: Float64Array;
  /** k singular values, descending, ≥ 0. */
  S: Float64Array;
  /** `[n, k]` row-major, orthonormal columns. */
  V: Float64Array;
  /** Sweeps over all column pairs until convergence. */
  sweeps: number;
}

/** Convergence settings. */
export interface SvdOptions {
  /** Stop when every pair's |cos angle| is below this (default 1e-13). */
  tolerance?: number;
  /** Give up (with an error) after this many sweeps (default 60). */
  maxSweeps?: number;
}

/**
 * The Jacobi iteration did not converge within `maxSweeps`.
 * @example try { svd(a, m, n, { maxSweeps: 2 }); } catch (e) { if (e instanceof SvdConvergenceError) … }
 */
export class SvdConvergenceError extends Error {}

/**
 * Thin SVD of a row-major `[m, n]` matrix (any m, n ≥ 1; rank-deficient and zero
 * matrices included). Throws `SvdConvergenceError` if the sweeps run out.
 * @example const { U, S, V } = svd(fc3.weight.data, 128, 256) // S[0] ≥ S[1] ≥ …
 */
export function svd(a: ArrayLike<number>, m: number, n: number, options: SvdOptions = {}): Svd {
  if (!(Number.isInteger(m) && Number.isInteger(n) && m >= 1 && n >= 1))
    throw new Error(`svd: sizes must be positive integers, got [${m}, ${n}]`);
  if (a.length !== m * n) throw new Error(`svd: ${a.length} values do not fill [${m}, ${n}]`);
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new Error(`svd: the matrix has a non-finite value at ${i}`);
  if (m < n) {
    const t = new Float64Array(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j];
    const r = tallSvd(t, n, m, options);
    return { m, n, k: r.k, U: r.V, S: r.S, V: r.U, sweeps: r.sweeps };
  }
  return { ...tallSvd(a, m, n, options), m, n };
}

/** SVD of a tall or square matrix (m ≥ n), columns kept as separate arrays for locality. */
function tallSvd(a: ArrayLike<number>, m: number, n: number, options: SvdOptions): Svd {
  const tol = options.tolerance ?? 1e-13;
  const maxSweeps = options.maxSweeps ?? 60;
  const cols = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => a[i * n + j]));
  const vcols = Array.from({ length: n }, (_, j) => {
    const v = new Float64Array(n);
    v[j] = 1;
    return v;
  });
  // A column whose squared norm is below (ε·‖A‖_F)² is zero to working precision: its
  // pairs are left alone (rotating it only stirs rounding noise, and can go on forever in
  // subnormal numbers), and its singular value is reported as 0 below.
  const frobeniusSq = cols.reduce((acc, col) => acc + col.reduce((s, v) => s + v * v, 0), 0);
  const negligible = Number.EPSILON * Number.EPSILON * frobeniusSq;
  let sweeps = 0;
  for (let rotated = true; rotated; ) {
    if (sweeps === maxSweeps)
      throw new SvdConvergenceError(`svd: no convergence after ${maxSweeps} sweeps of [${m}, ${n}] (tolerance ${tol})`);
    sweeps++;
    rotated = false;
    // Squared column norms, recomputed each sweep and updated exactly by each rotation.
    const sq = cols.map((col) => col.reduce((acc, v) => acc + v * v, 0));
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const x = cols[p],
          y = cols[q];
        const alpha = sq[p],
          beta = sq[q];
        let gamma = 0;
        for (let i = 0; i < m; i++) gamma += x[i] * y[i];
        if (gamma === 0 || Math.min(alpha, beta) <= negligible || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        // The rotation angle θ with tan 2θ = 2γ / (β − α); t = tan θ, the smaller root.
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(x, y, c, s);
        rotate(vcols[p], vcols[q], c, s);
        sq[p] = alpha - t * gamma;
        sq[q] = beta + t * gamma;
      }
    }
  }
  const norms = cols.map((col) => Math.sqrt(col.reduce((acc, v) => acc + v * v, 0)));
  const order = [...norms.keys()].sort((i, j) => norms[j] - norms[i]);
  const U = new Float64Array(m * n);
  const V = new Float64Array(n * n);
  const S = Float64Array.from(order, (j) => norms[j]);
  const tiny = S[0] * Number.EPSILON * Math.max(m, n);
  const uCols: Float64Array[] = [];
  order.forEach((j, r) => {
    const col = S[r] > tiny && S[r] > 0 ? cols[j].map((v) => v / S[r]) : completeBasis(uCols, m);
    if (!(S[r] > tiny)) S[r] = 0;
    uCols.push(col);
    for (let i = 0; i < m; i++) U[i * n + r] = col[i];
    for (let i = 0; i < n; i++) V[i * n + r] = vcols[j][i];
  });
  return { m, n, k: n, U, S, V, sweeps };
}

/** x, y ← c·x − s·y, s·x + c·y. */
function rotate(x: Float64Array, y: Float64Array, c: number, s: number): void {
  for (let i = 0; i < x.length; i++) {
    const xi = x[i],
      yi = y[i];
    x[i] = c * xi - s * yi;
    y[i] = s * xi + c * yi;
  }
}

/**
 * A unit vector orthogonal to `basis`: the first standard basis vector that survives
 * Gram–Schmidt. Used for the U columns of zero singular values, so U stays orthonormal.
 */
function completeBasis(basis: Float64Array[], m: number): Float64Array {
  for (let e = 0; e < m; e++) {
    const v = new Float64Array(m);
    v[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const d = v.reduce((acc, vi, i) => acc + vi * b[i], 0);
        for (let i = 0; i < m; i++) v[i] -= d * b[i];
      }
    }
    const norm = Math.sqrt(v.reduce((acc, vi) => acc + vi * vi, 0));
    if (norm > 1e-8) return v.map((vi) => vi / norm);
  }
  throw new Error('svd: could not complete the basis of U');
}
