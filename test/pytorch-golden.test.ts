import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuantizedLinear } from '../src/compress/int8-layers.js';
import { Conv2d, Linear } from '../src/nn/layers.js';
import { Adam } from '../src/optim/adam.js';
import { noGrad } from '../src/tensor/autograd.js';
import { activationQuant } from '../src/tensor/kernels/quantize.js';
import { conv2d, maxPool2d } from '../src/tensor/ops/conv.js';
import { div, mul, relu } from '../src/tensor/ops/elementwise.js';
import { crossEntropy, crossEntropyComposed, klDiv, klDivSoftTargets, logSoftmax, softmax } from '../src/tensor/ops/loss.js';
import { linear, linearRelu } from '../src/tensor/ops/matmul.js';
import { max, sum } from '../src/tensor/ops/reduce.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * slimtensor held to PyTorch 1.13: the values in fixtures/pytorch/golden.json were made by
 * fixtures/pytorch/make_fixtures.py (inputs included), so PyTorch is not needed here.
 * Floating-point results agree within 1e-5 relative; what PyTorch computes exactly
 * (max-pool routing, int8 values and scales) agrees bit for bit.
 */

type Stored = { shape: number[]; data: (number | 'NaN')[] };
const golden = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'pytorch', 'golden.json'), 'utf8'));

const values = (s: Stored): Float32Array => Float32Array.from(s.data, (v) => (v === 'NaN' ? NaN : v));
const tensor = (s: Stored, requiresGrad = false): Tensor => new Tensor(values(s), s.shape, { requiresGrad });

/** Within 1e-5 relative (plus a tiny absolute floor for values near 0), NaN only where PyTorch has NaN. */
function expectGolden(got: Tensor | Float32Array, want: Stored, label: string): void {
  const g = got instanceof Tensor ? got.data : got;
  const w = values(want);
  if (got instanceof Tensor) expect(got.shape, label).toEqual(want.shape);
  expect(g.length, label).toBe(w.length);
  for (let i = 0; i < w.length; i++) {
    if (Number.isNaN(w[i])) expect(g[i], `${label}[${i}]`).toBeNaN();
    else expect(Math.abs(g[i] - w[i]), `${label}[${i}]: ${g[i]} vs ${w[i]}`).toBeLessThanOrEqual(1e-5 * Math.abs(w[i]) + 1e-6);
  }
}

/** Σ(out ⊙ g) backward, PyTorch's way of asking for the gradients of `out` against an upstream g. */
function backwardWith(out: Tensor, g: Stored): void {
  sum(mul(out, tensor(g))).backward();
}

describe('as PyTorch 1.13 (golden values from test/fixtures/pytorch)', () => {
  it('linear: values and the three gradients', () => {
    const f = golden.linear;
    const [x, w, b] = [tensor(f.x, true), tensor(f.weight, true), tensor(f.bias, true)];
    const y = linear(x, w, b);
    expectGolden(y, f.y, 'y');
    backwardWith(y, f.g);
    expectGolden(x.grad!, f.dx, 'dx');
    expectGolden(w.grad!, f.dweight, 'dweight');
    expectGolden(b.grad!, f.dbias, 'dbias');
  });

  it(
    'relu: negatives become 0, a NaN stays NaN, −0 stays −0; the gradient is cut where the output is ≤ 0 (a NaN passes it), bit for ' +
      'bit',
    () => {
      const f = golden.relu;
      const x = tensor(f.x, true);
      const y = relu(x);
      expect([...y.data].map(String)).toEqual([...values(f.y)].map(String));
      expect([...y.data].map((v) => (Object.is(v, -0) ? -1 : 1))).toEqual(f.signs);
      y.backward(Tensor.from([1, 2, 3, 4, 5, 6, 7], [7]));
      expect([...x.grad!.data]).toEqual([...values(f.dx)]);
    },
  );

  it('linearRelu (bias and ReLU fused into the product) gives relu(F.linear) and its three gradients', () => {
    const f = golden.linearRelu;
    const [x, w, b] = [tensor(f.x, true), tensor(f.weight, true), tensor(f.bias, true)];
    const y = linearRelu(x, w, b);
    expectGolden(y, f.y, 'y');
    expect(y.data.some((v) => v === 0)).toBe(true);
    backwardWith(y, f.g);
    expectGolden(x.grad!, f.dx, 'dx');
    expectGolden(w.grad!, f.dweight, 'dweight');
    expectGolden(b.grad!, f.dbias, 'dbias');
  });

  it('conv2d: square and 3×2 kernels, equal and different strides and paddings per axis', () => {
    for (const [i, f] of (golden.conv2d as Record<string, Stored & number[]>[]).entries()) {
      const [x, w, b] = [tensor(f.x, true), tensor(f.weight, true), tensor(f.bias, true)];
      const y = conv2d(x, w, b, { stride: f.stride as unknown as [number, number], padding: f.padding as unknown as [number, number] });
      expectGolden(y, f.y, `conv ${i} y`);
      backwardWith(y, f.g);
      expectGolden(x.grad!, f.dx, `conv ${i} dx`);
      expectGolden(w.grad!, f.dweight, `conv ${i} dweight`);
      expectGolden(b.grad!, f.dbias, `conv ${i} dbias`);
    }
  });

  it('max-pool: equal maxima route the gradient to the first; a NaN wins its window (the last NaN when there are two), bit for bit', () => {
    for (const [i, f] of (golden.maxPool2d as Record<string, Stored & number[]>[]).entries()) {
      const x = tensor(f.x, true);
      const y = maxPool2d(x, { kernelSize: f.kernel as unknown as [number, number], stride: f.stride as unknown as [number, number] });
      expect([...y.data].map(String), `pool ${i} y`).toEqual([...values(f.y)].map(String));
      backwardWith(y, f.g);
      expect([...x.grad!.data], `pool ${i} dx`).toEqual([...values(f.dx)]);
    }
  });

  it('max along an axis: the first of equal maxima, the first NaN, and the gradient goes there', () => {
    const f = golden.maxAxis;
    const x = tensor(f.x, true);
    const m = max(x, 1);
    expect([...m.data].map(String)).toEqual([...values(f.values)].map(String));
    sum(m).backward();
    const cols = f.x.shape[1];
    const routed = Array.from({ length: f.x.shape[0] }, (_, r) => [...x.grad!.data.subarray(r * cols, (r + 1) * cols)].indexOf(1));
    expect(routed).toEqual(f.indices);
  });

  it('log-softmax, cross-entropy (fused and composed) and KL divergence (batchmean, T = 1 and 4) with their gradients', () => {
    const ls = golden.logSoftmax;
    const x = tensor(ls.x, true);
    const y = logSoftmax(x, 1);
    expectGolden(y, ls.y, 'logSoftmax');
    backwardWith(y, ls.g);
    expectGolden(x.grad!, ls.dx, 'logSoftmax dx');

    const ce = golden.crossEntropy;
    for (const fn of [crossEntropy, crossEntropyComposed]) {
      const logits = tensor(ce.logits, true);
      const loss = fn(logits, ce.labels);
      expect(Math.abs(loss.item() - ce.loss)).toBeLessThanOrEqual(1e-5 * ce.loss);
      loss.backward();
      expectGolden(logits.grad!, ce.dlogits, `${fn.name} dlogits`);
    }

    for (const key of ['klDivT1', 'klDivT4']) {
      const f = golden[key];
      const s = tensor(f.student, true);
      const loss = klDiv(
        logSoftmax(div(s, f.temperature), 1),
        noGrad(() => softmax(div(tensor(f.teacher), f.temperature), 1)),
        'batchmean',
      );
      expect(Math.abs(loss.item() - f.loss), key).toBeLessThanOrEqual(1e-5 * f.loss + 1e-7);
      loss.backward();
      expectGolden(s.grad!, f.dstudent, `${key} dstudent`);
      const fusedStudent = tensor(f.student, true);
      const fused = klDivSoftTargets(fusedStudent, tensor(f.teacher), f.temperature);
      expect(Math.abs(fused.item() - f.loss), `${key} fused`).toBeLessThanOrEqual(1e-5 * f.loss + 1e-7);
      fused.backward();
      expectGolden(fusedStudent.grad!, f.dstudent, `${key} fused dstudent`);
    }
  });

  for (const key of ['adam', 'adamWeightDecay']) {
    it(
      `Adam (${key === 'adam' ? 'no weight decay' : 'weight decay 0.01'}): four steps, a parameter without a gradient skips one and ` +
        `keeps its own step count`,
      () => {
        const f = golden[key];
        const p1 = new Tensor(Float32Array.from(f.p1), [f.p1.length], { requiresGrad: true });
        const p2 = new Tensor(Float32Array.from(f.p2), [f.p2.length], { requiresGrad: true });
        const opt = new Adam([p1, p2], { lr: f.lr, weightDecay: f.weightDecay });
        for (const [i, step] of (f.steps as { grad1: number[]; grad2: number[] | null; p1: number[]; p2: number[] }[]).entries()) {
          opt.zeroGrad();
          p1.grad = new Tensor(Float32Array.from(step.grad1), [f.p1.length]);
          p2.grad = step.grad2 ? new Tensor(Float32Array.from(step.grad2), [f.p2.length]) : null;
          opt.step();
          expectGolden(p1.data, { shape: [f.p1.length], data: step.p1 }, `step ${i + 1} p1`);
          expectGolden(p2.data, { shape: [f.p2.length], data: step.p2 }, `step ${i + 1} p2`);
        }
        expect(opt.parameterSteps()).toEqual(f.stepCounts);
      },
    );
  }

  it("default init: Kaiming-uniform weights and biases within ±1/√fan_in, with the spread of a uniform (as PyTorch's own draw)", () => {
    const make: Record<string, (rng: Rng) => { weight: Tensor; bias: Tensor | null }> = {
      'Linear(784, 512)': (rng) => new Linear(784, 512, { rng }),
      'Linear(128, 10)': (rng) => new Linear(128, 10, { rng }),
      'Conv2d(1, 32, 5)': (rng) => new Conv2d(1, 32, 5, { rng }),
    };
    for (const f of golden.init as Record<string, number & string>[]) {
      const layer = make[f.layer](new Rng(0));
      const w = layer.weight.data;
      const maxAbs = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const mean = w.reduce((a, v) => a + v, 0) / w.length;
      const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / (w.length - 1));
      expect(maxAbs, f.layer).toBeLessThanOrEqual(f.weightBound);
      expect(f.weightMax, f.layer).toBeLessThanOrEqual(f.weightBound); // PyTorch's own draw, same bound
      // Same distribution: the spreads of two draws of n uniform values agree within a few standard errors.
      const tolerance = (4 * f.weightBound) / Math.sqrt(w.length);
      expect(Math.abs(std - f.weightStd), f.layer).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(mean), f.layer).toBeLessThanOrEqual(tolerance);
      expect(
        layer.bias!.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
        f.layer,
      ).toBeLessThanOrEqual(f.biasBound);
    }
  });

  for (const f of golden.quantizeDynamic as Record<string, unknown>[]) {
    it(
      `quantize_dynamic of a Linear, ${f.scheme}: int8 weights and scales bit for bit, the activations' scale and zero point, outputs ` +
        `within 1e-5`,
      () => {
        const w = f.weight as Stored,
          b = f.bias as Stored;
        const layer = new Linear(w.shape[1], w.shape[0]);
        layer.weight.data.set(values(w));
        layer.bias!.data.set(values(b));
        const q = QuantizedLinear.fromFloat(layer, { perChannel: f.scheme === 'per-channel' });
        expect([...q.weight.q]).toEqual(f.q);
        expect([...q.weight.scales]).toEqual((f.scales as number[]).map(Math.fround));
        const x = tensor(f.x as Stored);
        expect(activationQuant(x.data)).toMatchObject({
          scale: Math.fround(f.activationScale as number),
          zeroPoint: f.activationZeroPoint,
        });
        expectGolden(q.forward(x), f.y as Stored, 'y');
      },
    );
  }
});
