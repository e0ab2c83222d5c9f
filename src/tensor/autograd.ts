import { kernels } from './kernels/index.js';
import { fmt } from './shape.js';
import { Tensor } from './tensor.js';

/**
 * The local derivative of one recorded operation: given the gradient of the loss with
 * respect to the operation's output, return one gradient per input (null where the input
 * needs none). Gradients are raw arrays the size of each input.
 */
export type BackwardFn = (gradOutput: Float32Array) => (Float32Array | null)[];

/** One recorded operation in the graph. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: BackwardFn;
}

let gradEnabled = true;

/**
 * Whether operations currently record a graph.
 * @example noGrad(() => isGradEnabled()) // false
 */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording any graph (inference, evaluation, teacher outputs).
 *
 * @example
 * const logits = noGrad(() => model.forward(x));
 */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`noGrad: expected a function to run, got ${String(fn)}`);
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** True when an op on these inputs must record its backward. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t?.requiresGrad) return true;
  return false;
}

/**
 * Attaches `backward` to `output` when any input requires a gradient; returns `output`.
 * Every differentiable primitive ends with this call, next to its forward code.
 */
export function record(op: string, inputs: readonly Tensor[], output: Tensor, backward: BackwardFn): Tensor {
  if (needsGrad(...inputs)) {
    output.requiresGrad = true;
    output.node = { op, inputs, backward };
  }
  return output;
}

/**
 * Leaves whose gradient a backward may write in place (see `gradientInto`), each with the
 * array that holds it (made on first use, in the kernels' resident storage).
 */
const gradStorage = new WeakMap<Tensor, Float32Array | null>();

/**
 * Lets backwards write `t`'s gradient straight into one array kept for `t`'s life, in the
 * storage the kernels work on (wasm memory on the wasm backend), instead of returning a
 * fresh array each step that Adam then copies in. For a model's parameters (nn/init.ts
 * `parameter`). The price: after `zeroGrad()` the next backward reuses that array, so a
 * `grad` kept from an earlier step changes; copy it (`grad.data.slice()`) to keep it.
 */
export function keepGradInPlace(t: Tensor): void {
  if (!gradStorage.has(t)) gradStorage.set(t, null);
}

/**
 * Where a backward writes one input's gradient: `data`, added to when `accumulate`; `returned`: hand `data` back as that input's gradient.
 */
export interface GradientTarget {
  data: Float32Array;
  accumulate: boolean;
  returned: boolean;
}

/**
 * Where a backward should write input `t`'s gradient, or null when `t` needs none. For a
 * leaf marked by `keepGradInPlace`, its `grad` itself (set up here, zero-free, when it has
 * none yet: the kernel overwrites it), and the backward returns null for it; otherwise a
 * fresh array the backward fills and returns, as usual.
 * @example const w = gradientInto(weight); kernels.gemm(..., w.data, w.accumulate); return [..., w.returned ? w.data : null]
 */
export function gradientInto(t: Tensor): GradientTarget | null {
  if (!t.requiresGrad) return null;
  if (t.node || !gradStorage.has(t)) return { data: new Float32Array(t.size), accumulate: false, returned: true };
  if (t.grad) return { data: t.grad.data, accumulate: true, returned: false };
  let data = gradStorage.get(t);
  if (!data) {
    data = kernels.allocState(t.size);
    gradStorage.set(t, data);
  }
  t.grad = new Tensor(data, t.shape);
  return { data, accumulate: false, returned: false };
}

/** Reverse-mode sweep from `root`; see `Tensor.backward`. */
export function runBackward(root: Tensor, gradient?: Tensor): void {
  if (!root.requiresGrad)
    throw new Error('backward: this tensor does not require a gradient (no input had requiresGrad, or it was computed under noGrad)');
  let seed: Float32Array;
  if (gradient) {
    if (gradient.size !== root.size) {
      throw new Error(`backward: gradient of shape ${fmt(gradient.shape)} does not match the output's shape ${fmt(root.shape)}`);
    }
    seed = gradient.data.slice();
  } else {
    if (root.size !== 1) throw new Error(`backward: needs a scalar loss or an explicit gradient, got shape ${fmt(root.shape)}`);
    seed = Float32Array.of(1);
  }

  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Float32Array>([[root, seed]]);
  // Arrays that already belong to one tensor's gradient: handing one to a second tensor
  // would make the two accumulate into each other, so those get copied.
  const owned = new Set<Float32Array>([seed]);

  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const node = t.node;
    const g = grads.get(t);
    if (!node || !g) continue;
    const inputGrads = node.backward(g);
    grads.delete(t);
    owned.delete(g);
    node.inputs.forEach((input, k) => {
      const ig = inputGrads[k];
      if (!ig || !input.requiresGrad) return;
      if (ig.length !== input.size) {
        throw new Error(`backward of ${node.op}: gradient has ${ig.length} values for input ${k} of shape ${fmt(input.shape)}`);
      }
      const existing = grads.get(input);
      if (existing) {
        for (let j = 0; j < ig.length; j++) existing[j] += ig[j];
      } else {
        const mine = owned.has(ig) ? ig.slice() : ig;
        owned.add(mine);
        grads.set(input, mine);
      }
    });
  }

  // Leaves keep their gradient (accumulating across calls, as PyTorch does).
  for (const [t, g] of grads) {
    if (t.node) continue;
    if (t.grad) {
      const acc = t.grad.data;
      for (let j = 0; j < g.length; j++) acc[j] += g[j];
    } else {
      t.grad = new Tensor(g, t.shape);
    }
  }
  for (const t of order) t.node = null; // free the graph
}

/** Tensors reachable from `root` through recorded nodes, inputs before outputs. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative depth-first search: deep graphs must not overflow the call stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (next < inputs.length) {
      top[1] = next + 1;
      const child = inputs[next];
      if (!visited.has(child) && child.requiresGrad) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
