import { noGrad } from '../src/tensor/autograd.js';
import { conv2dDirect } from '../src/tensor/kernels/conv.js';
import { conv2d, conv2dMaxPool, maxPool2d } from '../src/tensor/ops/conv.js';
import { relu } from '../src/tensor/ops/elementwise.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { type BenchOptions, type BenchResult, backends, measure, withBackend } from './harness.js';

/**
 * The teacher's convolution (batch 64 × 1×28×28, 32 filters 5×5): the direct loops (the
 * reference) against im2col + GEMM on each backend, forward, and forward + backward; then
 * the teacher's conv + max-pool (5) + ReLU, composed and fused (`conv2dMaxPool`), forward +
 * backward. GFLOP/s counts the forward's 2·N·OC·OH·OW·C·K², and twice that again for a
 * backward, the work of the composed ops (the fused backward skips most of it, so its rate
 * is the composed-equivalent one). Before timing, each backend is checked: its forward
 * against the direct loops, its backward (plain and fused) against the js backend's.
 */
export async function benchConv(options: BenchOptions): Promise<BenchResult[]> {
  const rng = new Rng(6);
  const [N, C, H, W, OC, K] = [64, 1, 28, 28, 32, 5];
  const OH = H - K + 1,
    OW = W - K + 1;
  const x = Tensor.uniform([N, C, H, W], -1, 1, rng);
  const w = Tensor.uniform([OC, C, K, K], -0.2, 0.2, rng, { requiresGrad: true });
  const b = Tensor.uniform([OC], -0.2, 0.2, rng, { requiresGrad: true });
  const g = { C, H, W, KH: K, KW: K, SH: 1, SW: 1, PH: 0, PW: 0, OH, OW };
  const direct = new Float32Array(N * OC * OH * OW);
  conv2dDirect(x.data, w.data, b.data, N, OC, g, direct);
  const dy = Tensor.uniform([N, OC, OH, OW], -1, 1, rng);
  const pooledGrad = Tensor.uniform([N, OC, 4, 4], -1, 1, rng);
  /** The weight and bias gradients of `f` given its output gradient. */
  const gradsOf = (f: () => Tensor, grad: Tensor): Float32Array[] => {
    w.grad = null;
    b.grad = null;
    f().backward(grad);
    return [Float32Array.from(w.grad!.data), Float32Array.from(b.grad!.data)];
  };
  const worstOf = (a: Float32Array, ref: Float32Array): number =>
    a.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]) / (1 + Math.abs(ref[i]))), 0);
  // What every backend must reproduce before it is timed: the direct loops' forward, and the reference backend's gradients.
  const reference = await withBackend('js', () => ({
    conv: gradsOf(() => conv2d(x, w, b), dy),
    pooled: gradsOf(() => relu(maxPool2d(conv2d(x, w, b), { kernelSize: 5 })), pooledGrad),
  }));
  const check = (backend: string): void => {
    const problems = [
      ['im2col + GEMM forward vs the direct loops', worstOf(noGrad(() => conv2d(x, w, b)).data, direct)],
      [
        'fused conv + pool forward vs the composed ops',
        worstOf(
          noGrad(() => conv2dMaxPool(x, w, b, {}, { kernelSize: 5 })).data,
          noGrad(() => maxPool2d(conv2d(x, w, b), { kernelSize: 5 })).data,
        ),
      ],
      ...gradsOf(() => conv2d(x, w, b), dy).map(
        (grad, i) => [`conv backward (${i ? 'bias' : 'weight'}) vs the js backend`, worstOf(grad, reference.conv[i])] as const,
      ),
      ...gradsOf(() => relu(conv2dMaxPool(x, w, b, {}, { kernelSize: 5 })), pooledGrad).map(
        (grad, i) => [`fused backward (${i ? 'bias' : 'weight'}) vs the composed js ops`, worstOf(grad, reference.pooled[i])] as const,
      ),
    ] as const;
    for (const [what, worst] of problems) if (!(worst < 1e-3)) throw new Error(`conv bench (${backend}): ${what} differs by ${worst}`);
  };
  const flops = (2 * N * OC * OH * OW * C * K * K) / 1e9;
  const base = measure(
    'conv',
    'direct loops, forward',
    () => conv2dDirect(x.data, w.data, b.data, N, OC, g, direct),
    flops,
    'GFLOP/s',
    options,
  );
  const results = [base];
  for (const backend of backends()) {
    await withBackend(backend, () => {
      check(backend);
      results.push(measure('conv', `im2col + GEMM, forward, ${backend}`, () => noGrad(() => conv2d(x, w, b)), flops, 'GFLOP/s', options));
      // Backward from a given output gradient, so no loss's own time is counted.
      const forwardBackward = (name: string, f: () => Tensor, dy: Tensor): BenchResult =>
        measure(
          'conv',
          `${name}, forward + backward, ${backend}`,
          () => {
            w.grad = null;
            b.grad = null;
            f().backward(dy);
          },
          3 * flops,
          'GFLOP/s',
          options,
        );
      results.push(forwardBackward('im2col + GEMM', () => conv2d(x, w, b), dy));
      results.push(forwardBackward('conv, pool, ReLU composed', () => relu(maxPool2d(conv2d(x, w, b), { kernelSize: 5 })), pooledGrad));
      results.push(forwardBackward('conv2dMaxPool fused, ReLU', () => relu(conv2dMaxPool(x, w, b, {}, { kernelSize: 5 })), pooledGrad));
    });
  }
  return results.map((r) => ({ ...r, ratio: r.rate / base.rate, baseline: base.name }));
}
