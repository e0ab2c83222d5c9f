import { describe, expect, it } from 'vitest';
import { toSparse } from '../src/compress/csr.js';
import { FactorizedLinear } from '../src/compress/low-rank.js';
import { Pruner } from '../src/compress/prune.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { Linear, ReLU, Sequential } from '../src/nn/layers.js';
import { LeNet5, type MLP, SimpleNet, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { plan, runPlanned } from '../src/nn/plan.js';
import { noGrad } from '../src/tensor/autograd.js';
import { backendInfo } from '../src/tensor/kernels/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose } from './helpers.js';

/**
 * A model's forward is its steps, the math as the notebook writes it; its plan joins the
 * runs that have a fused kernel. The plan must compute what the steps compute: bit for bit
 * on the js backend, within float tolerance on wasm (whose fused kernels sum in another
 * order).
 */

const stages = (m: Module): string[] => plan(m).map((s) => s.steps.join(' '));

function pruned(net: MLP, sparsity: number): MLP {
  new Pruner(net).pruneToSparsity(sparsity, { scope: 'global' });
  return net;
}

/** The plan's output against the plain forward's, on the backend the suite runs. */
function expectPlanMatches(model: Module, x: Tensor): void {
  model.eval();
  const [plain, planned] = noGrad(() => [model.forward(x), runPlanned(model, x)]);
  expect(planned.shape).toEqual(plain.shape);
  if (backendInfo().name === 'js') expect(planned.data).toEqual(plain.data);
  else expectClose(planned.data, plain.data, 1e-4, 1e-5);
}

describe('plan', () => {
  const rng = new Rng(5);
  const images = Tensor.uniform([6, 1, 28, 28], -1, 1, rng);

  it("fuses each Linear with the ReLU after it, and leaves SimpleNet's last layer alone", () => {
    expect(stages(new SimpleNet(new Rng(0)))).toEqual(['flatten', 'fc1 fc1.relu', 'fc2 fc2.relu', 'fc3 fc3.relu', 'fc4']);
  });

  it("runs the teacher's conv, ReLU and pool as one stage, and LeNet-5's convolutions each with its pool", () => {
    expect(stages(new TeacherNet(new Rng(0)))).toEqual(['conv1 conv1.relu pool', 'flatten', 'fc1 fc1.relu', 'fc2']);
    expect(stages(new LeNet5(new Rng(0)))).toEqual(['conv1 pool1', 'conv2 pool2', 'flatten', 'fc1 fc1.relu', 'fc2']);
  });

  it('joins consecutive sparse layers into one chain, and only those', () => {
    expect(stages(toSparse(pruned(new SimpleNet(new Rng(0)), 0.9)))).toEqual(['flatten', 'fc1 fc1.relu fc2 fc2.relu fc3 fc3.relu fc4']);
    const mixed = new SimpleNet(new Rng(0));
    mixed.setLayer(1, toSparse(new Sequential(mixed.layers[1])).layers[0]);
    mixed.setLayer(2, toSparse(new Sequential(mixed.layers[2])).layers[0]);
    expect(stages(mixed)).toEqual(['flatten', 'fc1 fc1.relu', 'fc2 fc2.relu fc3 fc3.relu', 'fc4']);
    expect(stages(new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2)))).toEqual(['0 1', '2']);
  });

  it('a model without steps is one stage, its own forward', () => {
    const layer = new Linear(4, 2);
    expect(stages(layer)).toEqual(['Linear']);
    expectPlanMatches(layer, Tensor.uniform([3, 4], -1, 1, rng));
  });

  it('computes what the plain steps compute: dense, sparse, factorized and int8 models, MLPs and CNNs', () => {
    const factorized = new SimpleNet(new Rng(2));
    factorized.setLayer(2, FactorizedLinear.fromLinear(factorized.layers[2] as Linear, { rank: 20 }));
    const models: [string, Module][] = [
      ['SimpleNet', new SimpleNet(new Rng(1))],
      ['SimpleNet 90% CSR', toSparse(pruned(new SimpleNet(new Rng(1)), 0.9))],
      ['factorized fc3', factorized],
      ['int8 SimpleNet', quantizeDynamic(new SimpleNet(new Rng(1)))],
      ['TeacherNet', new TeacherNet(new Rng(3))],
      ['int8 TeacherNet', quantizeDynamic(new TeacherNet(new Rng(3)), { conv: true })],
      ['LeNet-5', new LeNet5(new Rng(4))],
    ];
    for (const [, model] of models) expectPlanMatches(model, images);
  });

  it('the gradient through the plan is the gradient through the steps (the fused backward, winners only)', () => {
    const [a, b] = [new TeacherNet(new Rng(7)), new TeacherNet(new Rng(7))];
    const loss = (out: Tensor): void => out.backward(Tensor.ones(out.shape));
    loss(a.forward(images));
    loss(runPlanned(b, images));
    const grads = (m: Module): Float32Array[] => m.parameters().map((p) => p.grad!.data);
    grads(b).forEach((g, i) => {
      expectClose(g, grads(a)[i], 1e-3, 1e-4);
    });
  });

  it('plans again when a layer is swapped for its compressed twin', () => {
    const net = new SimpleNet(new Rng(6));
    net.eval();
    const dense = noGrad(() => runPlanned(net, images)).data;
    quantizeDynamic(net);
    const int8 = noGrad(() => runPlanned(net, images)).data;
    expect(int8).not.toEqual(dense); // not the cached dense plan
    expectPlanMatches(net, images);
  });
});
