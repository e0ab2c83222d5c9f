/** Small hot loops the layers and optimizers run every step, kept as kernels so a faster backend can replace them. */

/** out[r, c] = x[r, c] + bias[c] for a [rows, cols] matrix; `out` may be `x`. */
export function addBias(x: Float32Array, bias: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let r = 0, k = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++, k++) out[k] = x[k] + bias[c];
  }
}

/** out[c] (+)= Σ_r x[r, c]: column sums of a [rows, cols] matrix (a bias gradient). */
export function sumRows(x: Float32Array, rows: number, cols: number, out: Float32Array, accumulate: boolean): void {
  if (!accumulate) out.fill(0, 0, cols);
  for (let r = 0, k = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++, k++) out[c] += x[k];
  }
}

/** out = max(x, 0), as PyTorch's relu: negatives become 0; a NaN stays NaN, and −0 stays −0. */
export function relu(x: Float32Array, out: Float32Array): void {
  // biome-ignore lint/complexity/useMathMinMax: Math.max(-0, 0) is +0, and PyTorch's relu keeps -0
  for (let i = 0; i < x.length; i++) out[i] = x[i] < 0 ? 0 : x[i];
}

/**
 * A layer's epilogue as the reference kernels apply it, in place on y `[rows, cols]`:
 * + bias[c] (when given), then max(y, 0) when `withRelu`. Fast kernels fuse the same steps
 * into their last pass over y.
 */
export function biasRelu(y: Float32Array, bias: Float32Array | null, rows: number, cols: number, withRelu: boolean): void {
  if (bias) addBias(y, bias, rows, cols, y);
  if (withRelu) relu(y, y);
}

/** dx = 0 where the ReLU's output is ≤ 0, else dy (so, as PyTorch, a NaN output passes its gradient on). */
export function reluBackward(dy: Float32Array, y: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < dy.length; i++) dx[i] = y[i] <= 0 ? 0 : dy[i];
}

/**
 * One Adam update of a parameter, in place (PyTorch's formulation):
 * m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
 * p −= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps).
 * Weight decay (L2, not AdamW) is folded into g beforehand by the optimizer.
 */
export function adamStep(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  step: number,
  weightDecay: number,
): void {
  const stepSize = lr / (1 - beta1 ** step);
  const sqrtBc2 = Math.sqrt(1 - beta2 ** step);
  for (let i = 0; i < p.length; i++) {
    const gi = weightDecay !== 0 ? g[i] + weightDecay * p[i] : g[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
  }
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const elementwiseKernels = { addBias, sumRows, relu, reluBackward, adamStep };
