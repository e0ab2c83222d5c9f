/**
 * Reference GEMM, written to be read: C = op(A)·op(B), or C += op(A)·op(B).
 *
 * op(A) is [M, K]: A itself stored [M, K], or Aᵀ when `transA` (A stored [K, M]).
 * op(B) is [K, N]: B itself stored [K, N], or Bᵀ when `transB` (B stored [N, K]).
 * C is [M, N], row-major. Every fast GEMM is tested against this one.
 *
 * @example
 * gemmNaive(false, true, 64, 512, 784, x, w, y, false); // y = x·wᵀ (Linear's forward)
 */
export function gemmNaive(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  accumulate: boolean,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let p = 0; p < K; p++) {
        const a = transA ? A[p * M + i] : A[i * K + p];
        const b = transB ? B[j * K + p] : B[p * N + j];
        s += a * b;
      }
      C[i * N + j] = accumulate ? C[i * N + j] + s : s;
    }
  }
}
