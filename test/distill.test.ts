import { describe, expect, it } from 'vitest';
import { distillationLoss } from '../src/compress/distill.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { gradCheck } from './helpers.js';

/** The loss from its definition, in float64 with plain loops. */
function byDefinition(s: number[][], t: number[][], labels: number[], T: number, alpha: number): number {
  const softmax = (row: number[], temp: number): number[] => {
    const m = Math.max(...row.map((v) => v / temp));
    const e = row.map((v) => Math.exp(v / temp - m));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  };
  let ce = 0;
  let kl = 0;
  s.forEach((row, i) => {
    ce -= Math.log(softmax(row, 1)[labels[i]]);
    const p = softmax(t[i], T);
    const q = softmax(row, T);
    p.forEach((pj, j) => {
      kl += pj === 0 ? 0 : pj * Math.log(pj / q[j]);
    });
  });
  const n = s.length;
  return alpha * (ce / n) + (1 - alpha) * T * T * (kl / n);
}

const rows = (t: Tensor): number[][] =>
  Array.from({ length: t.shape[0] }, (_, i) => Array.from(t.data.subarray(i * t.shape[1], (i + 1) * t.shape[1])));

describe('distillationLoss', () => {
  const rng = new Rng(21);
  const s = Tensor.randn([6, 10], rng, 2);
  const t = Tensor.randn([6, 10], rng, 3);
  const labels = Array.from({ length: 6 }, () => rng.int(10));

  for (const [T, alpha] of [
    [1, 0],
    [1, 1],
    [4, 0.5],
    [2, 0.1],
    [8, 0],
  ] as const) {
    it(`equals its definition at T=${T}, α=${alpha}`, () => {
      const got = distillationLoss(s, t, labels, { temperature: T, alpha }).item();
      expect(got).toBeCloseTo(byDefinition(rows(s), rows(t), labels, T, alpha), 5);
    });
  }

  it('is zero (up to rounding) when the student copies the teacher and α = 0', () => {
    expect(distillationLoss(t, t, null, { temperature: 3 }).item()).toBeCloseTo(0, 6);
  });

  it('passes the finite-difference check in the student logits; the teacher gets no gradient', () => {
    const teacher = t.clone();
    teacher.requiresGrad = true;
    gradCheck((x) => distillationLoss(x, teacher, labels, { temperature: 4, alpha: 0.5 }), [s.clone()], new Rng(5));
    expect(teacher.grad).toBeNull();
  });

  it('refuses bad input', () => {
    expect(() => distillationLoss(s, Tensor.zeros([6, 12]), labels)).toThrow(
      /distillationLoss: student logits \[6, 10\] and teacher logits \[6, 12\]/,
    );
    expect(() => distillationLoss(s, t, labels, { temperature: 0 })).toThrow(/temperature must be a number > 0, got 0/);
    expect(() => distillationLoss(s, t, labels, { temperature: -2 })).toThrow(/temperature must be a number > 0, got -2/);
    expect(() => distillationLoss(s, t, labels, { alpha: 1.5 })).toThrow(/alpha must lie in \[0, 1\], got 1.5/);
    expect(() => distillationLoss(s, t, null, { alpha: 0.5 })).toThrow(/labels are needed when alpha > 0/);
  });
});
