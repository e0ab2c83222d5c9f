import { record } from '../autograd.js';
import { kernels } from '../kernels/index.js';
import { Tensor } from '../tensor.js';
import { asTensor, type BroadcastPlan, broadcastPlan, unbroadcast } from './broadcast.js';

/** An operand of the element-wise ops: a tensor, or a number that stands for a scalar tensor. */
export type Operand = Tensor | number;

/** Applies f elementwise over the broadcast of a and b. */
function zip(a: Tensor, b: Tensor, plan: BroadcastPlan, f: (x: number, y: number) => number): Float32Array {
  const A = a.data,
    B = b.data,
    ai = plan.aIndex,
    bi = plan.bIndex;
  const out = new Float32Array(ai ? ai.length : bi ? bi.length : A.length);
  for (let i = 0; i < out.length; i++) out[i] = f(A[ai ? ai[i] : i], B[bi ? bi[i] : i]);
  return out;
}

/**
 * a + b, elementwise with one-way broadcasting (see `broadcastPlan`).
 * @example add(x, bias) // [N, C] + [C] → [N, C]
 */
export function add(a: Operand, b: Operand): Tensor {
  const [ta, tb] = [asTensor(a), asTensor(b)];
  const plan = broadcastPlan('add', ta.shape, tb.shape);
  const out = new Tensor(
    zip(ta, tb, plan, (x, y) => x + y),
    plan.shape,
  );
  return record('add', [ta, tb], out, (g) => [unbroadcast(g, plan.aIndex, ta.size), unbroadcast(g, plan.bIndex, tb.size)]);
}

/**
 * a − b, elementwise with one-way broadcasting.
 * @example sub(logits, 1) // every entry minus one
 */
export function sub(a: Operand, b: Operand): Tensor {
  const [ta, tb] = [asTensor(a), asTensor(b)];
  const plan = broadcastPlan('sub', ta.shape, tb.shape);
  const out = new Tensor(
    zip(ta, tb, plan, (x, y) => x - y),
    plan.shape,
  );
  return record('sub', [ta, tb], out, (g) => [
    unbroadcast(g, plan.aIndex, ta.size),
    tb.requiresGrad
      ? unbroadcast(
          g.map((v) => -v),
          plan.bIndex,
          tb.size,
        )
      : null,
  ]);
}

/**
 * a · b, elementwise with one-way broadcasting. d/da = b, d/db = a.
 * @example mul(w, w) // w², elementwise
 */
export function mul(a: Operand, b: Operand): Tensor {
  const [ta, tb] = [asTensor(a), asTensor(b)];
  const plan = broadcastPlan('mul', ta.shape, tb.shape);
  const out = new Tensor(
    zip(ta, tb, plan, (x, y) => x * y),
    plan.shape,
  );
  return record('mul', [ta, tb], out, (g) => {
    const A = ta.data,
      B = tb.data,
      ai = plan.aIndex,
      bi = plan.bIndex;
    const ga = ta.requiresGrad ? g.map((v, i) => v * B[bi ? bi[i] : i]) : null;
    const gb = tb.requiresGrad ? g.map((v, i) => v * A[ai ? ai[i] : i]) : null;
    return [ga && unbroadcast(ga, ai, ta.size), gb && unbroadcast(gb, bi, tb.size)];
  });
}

/**
 * a / b, elementwise with one-way broadcasting. d/da = 1/b, d/db = −a/b².
 * @example div(x, 255) // [N, 784] scaled to [0, 1]
 */
export function div(a: Operand, b: Operand): Tensor {
  const [ta, tb] = [asTensor(a), asTensor(b)];
  const plan = broadcastPlan('div', ta.shape, tb.shape);
  const out = new Tensor(
    zip(ta, tb, plan, (x, y) => x / y),
    plan.shape,
  );
  return record('div', [ta, tb], out, (g) => {
    const A = ta.data,
      B = tb.data,
      ai = plan.aIndex,
      bi = plan.bIndex;
    const ga = ta.requiresGrad ? g.map((v, i) => v / B[bi ? bi[i] : i]) : null;
    const gb = tb.requiresGrad
      ? g.map((v, i) => {
          const y = B[bi ? bi[i] : i];
          return (-v * A[ai ? ai[i] : i]) / (y * y);
        })
      : null;
    return [ga && unbroadcast(ga, ai, ta.size), gb && unbroadcast(gb, bi, tb.size)];
  });
}

/**
 * −x.
 * @example neg(Tensor.from([1, -2])) // [-1, 2]
 */
export function neg(x: Tensor): Tensor {
  const out = new Tensor(
    x.data.map((v) => -v),
    x.shape,
  );
  return record('neg', [x], out, (g) => [g.map((v) => -v)]);
}

/**
 * eˣ. d/dx = eˣ (the output itself).
 * @example exp(Tensor.from([0, 1])) // [1, 2.718…]
 */
export function exp(x: Tensor): Tensor {
  const out = new Tensor(x.data.map(Math.exp), x.shape);
  return record('exp', [x], out, (g) => [g.map((v, i) => v * out.data[i])]);
}

/**
 * Natural logarithm. d/dx = 1/x.
 * @example log(softmax(logits)) // what logSoftmax computes, less stably
 */
export function log(x: Tensor): Tensor {
  const out = new Tensor(x.data.map(Math.log), x.shape);
  return record('log', [x], out, (g) => [g.map((v, i) => v / x.data[i])]);
}

/**
 * x·log(x), with 0·log 0 = 0 (the entropy term of a KL divergence, where a target
 * probability of exactly 0 must contribute nothing instead of NaN). d/dx = log(x) + 1.
 */
export function xlogx(x: Tensor): Tensor {
  const out = new Tensor(
    x.data.map((v) => (v === 0 ? 0 : v * Math.log(v))),
    x.shape,
  );
  return record('xlogx', [x], out, (g) => [g.map((v, i) => (x.data[i] === 0 ? 0 : v * (Math.log(x.data[i]) + 1)))]);
}

/**
 * max(x, 0). The gradient passes where the output is positive.
 * @example relu(Tensor.from([-1, 2])) // [0, 2]
 */
export function relu(x: Tensor): Tensor {
  const out = Tensor.zeros(x.shape);
  kernels.relu(x.data, out.data);
  return record('relu', [x], out, (g) => {
    const dx = new Float32Array(g.length);
    kernels.reluBackward(g, out.data, dx);
    return [dx];
  });
}
