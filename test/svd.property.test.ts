import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { svd } from '../src/compress/svd.js';
import { Rng } from '../src/tensor/random.js';
import { fraction, orthogonalityError } from './helpers.js';

/**
 * The SVD against its definition over random matrices of the kind compression hands it
 * (seeded; `PROPERTY_RUNS` runs): pruned (mostly zero), with zero rows and columns,
 * repeated columns (rank-deficient), at scales from 1e-30 to 1e30, tall and wide. Each
 * must converge, and give A = U·diag(S)·Vᵀ with U and V orthonormal, S sorted and ≥ 0,
 * and Σσ² = ‖A‖²_F.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const OPTIONS = { seed: 2033, numRuns: RUNS };

const matrixCase = fc.record({
  m: fc.integer({ min: 1, max: 12 }),
  n: fc.integer({ min: 1, max: 12 }),
  sparsity: fraction(0, 0.95),
  zeroRows: fraction(0, 0.5),
  repeatedColumns: fraction(0, 0.5),
  exponent: fc.integer({ min: -30, max: 30 }),
  float32: fc.boolean(),
  seed: fc.integer(),
});
type MatrixCase = typeof matrixCase extends fc.Arbitrary<infer T> ? T : never;

function build(c: MatrixCase): Float64Array {
  const rng = new Rng(c.seed);
  const { m, n } = c;
  const a = Float64Array.from({ length: m * n }, () => (rng.uniform() < c.sparsity ? 0 : rng.uniformRange(-1, 1) * 10 ** c.exponent));
  for (let i = 0; i < m; i++) if (rng.uniform() < c.zeroRows) a.fill(0, i * n, (i + 1) * n);
  for (let j = 1; j < n; j++) {
    if (rng.uniform() >= c.repeatedColumns) continue;
    const from = rng.int(j);
    for (let i = 0; i < m; i++) a[i * n + j] = a[i * n + from];
  }
  return c.float32 ? Float64Array.from(Float32Array.from(a)) : a;
}

describe('svd over random pruned, rank-deficient and badly scaled matrices', () => {
  test.prop([matrixCase], OPTIONS)('converges to A = U·diag(S)·Vᵀ with orthonormal U, V and sorted S ≥ 0', (c) => {
    const { m, n } = c;
    const a = build(c);
    const { U, S, V, k } = svd(a, m, n);
    expect(k).toBe(Math.min(m, n));
    const norm = Math.sqrt(a.reduce((acc, v) => acc + v * v, 0));
    let err = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let r = 0; r < k; r++) acc += U[i * k + r] * S[r] * V[j * k + r];
        err += (acc - a[i * n + j]) ** 2;
      }
    expect(Math.sqrt(err)).toBeLessThanOrEqual(1e-12 * norm);
    expect(orthogonalityError(U, m, k)).toBeLessThan(1e-10);
    expect(orthogonalityError(V, n, k)).toBeLessThan(1e-10);
    for (let r = 0; r < k; r++) {
      expect(S[r]).toBeGreaterThanOrEqual(0);
      if (r > 0) expect(S[r]).toBeLessThanOrEqual(S[r - 1]);
    }
    const energy = Math.sqrt(S.reduce((acc, s) => acc + s * s, 0));
    expect(Math.abs(energy - norm)).toBeLessThanOrEqual(1e-12 * norm);
  });
});
