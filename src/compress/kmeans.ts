/**
 * One-dimensional k-means, as Deep Compression clusters a layer's weights: the centroids
 * start evenly spaced over [min, max] ("linear initialization", which the paper found best
 * because it keeps centroids on the rare large weights), then Lloyd's iterations move each
 * centroid to the mean of the values nearest to it until none moves.
 *
 * In one dimension the values nearest to a centroid form an interval of the sorted values,
 * bounded by the midpoints between neighbouring centroids. So the values are sorted once,
 * and each iteration finds every cluster's sum with two binary searches into prefix sums:
 * O(k log n) per iteration instead of O(n k).
 */

/** The result of `kmeans1d`. */
export interface Clustering {
  /** Centroids in increasing order, `[k]`. */
  centroids: Float32Array;
  /** The centroid index of each value, in the values' order. */
  assignments: Uint16Array;
  /** Lloyd iterations run (0 when the initial centroids were already stable). */
  iterations: number;
}

/** Centroid j of k evenly spaced over [lo, hi]: lo + j·(hi − lo)/(k − 1) (the middle for k = 1). */
export function linearCentroids(lo: number, hi: number, k: number): Float64Array {
  const c = new Float64Array(k);
  for (let j = 0; j < k; j++) c[j] = k === 1 ? (lo + hi) / 2 : lo + (j * (hi - lo)) / (k - 1);
  return c;
}

/** The first index i with sorted[i] > x (binary search; sorted ascending). */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Clusters `values` into at most `k` groups (k ≤ 65536) by 1-D k-means with linear
 * initialization. A value halfway between two centroids goes to the lower one. A cluster
 * that loses every value keeps its centroid (it may win values back in a later iteration).
 * @example kmeans1d(Float32Array.of(0, 0.1, 1, 1.1), 2).centroids // [0.05, 1.05]
 */
export function kmeans1d(values: ArrayLike<number>, k: number, maxIterations = 100): Clustering {
  if (!(Number.isInteger(k) && k >= 1 && k <= 65536)) throw new Error(`kmeans1d: k must be an integer in [1, 65536], got ${k}`);
  const n = values.length;
  if (n === 0) return { centroids: new Float32Array(k), assignments: new Uint16Array(0), iterations: 0 };
  const sorted = Float64Array.from(values).sort();
  if (!Number.isFinite(sorted[0]) || !Number.isFinite(sorted[n - 1])) throw new Error('kmeans1d: the values must be finite');
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i] + sorted[i];
  const c = linearCentroids(sorted[0], sorted[n - 1], k);
  // ends[j]: one past the last sorted value of cluster j (values ≤ the midpoint to the next centroid).
  const ends = new Int32Array(k);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    for (let j = 0; j + 1 < k; j++) ends[j] = upperBound(sorted, (c[j] + c[j + 1]) / 2);
    ends[k - 1] = n;
    let moved = false;
    for (let j = 0, begin = 0; j < k; begin = ends[j], j++) {
      const count = ends[j] - begin;
      if (count === 0) continue;
      const mean = (prefix[ends[j]] - prefix[begin]) / count;
      if (mean !== c[j]) moved = true;
      c[j] = mean;
    }
    if (!moved) break;
  }
  return { centroids: Float32Array.from(c), assignments: nearest(values, Float32Array.from(c)), iterations };
}

/** The index of the nearest centroid to each value (`centroids` ascending; ties go to the lower). */
export function nearest(values: ArrayLike<number>, centroids: Float32Array): Uint16Array {
  const k = centroids.length;
  const mids = new Float64Array(Math.max(k - 1, 0));
  for (let j = 0; j + 1 < k; j++) mids[j] = (centroids[j] + centroids[j + 1]) / 2;
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    // The number of midpoints strictly below the value is its cluster.
    let lo = 0;
    let hi = mids.length;
    const v = values[i];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (mids[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}
