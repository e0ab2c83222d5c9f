import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { toSparse } from '../src/compress/csr.js';
import { FactorizedLinear } from '../src/compress/low-rank.js';
import { Pruner } from '../src/compress/prune.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { exportOnnx } from '../src/interop/onnx.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { LeNet5, MLP, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { Rng } from '../src/tensor/random.js';

/**
 * The ONNX files as graphs, read back with the ONNX schema (no runtime needed): well formed
 * (every name defined once, before it is used; every tensor's bytes the size its dims and
 * type say), every node named after the layer it computes (so a viewer such as Netron
 * groups a layer's ops under its name), and the model's metadata as documented.
 */

const { onnx } = onnxProto;
const BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 7: 8, 11: 8 }; // FLOAT, UINT8, INT8, INT64, DOUBLE

async function graphOf(model: Module, options = {}) {
  return onnx.ModelProto.decode(await exportOnnx(model, options));
}

function expectWellFormed(graph: onnxProto.onnx.IGraphProto, layers: string[]): void {
  const defined = new Set<string>(graph.input!.map((v) => v.name!));
  const tensors = [...graph.initializer!, ...graph.sparseInitializer!.flatMap((s) => [s.values!, s.indices!])];
  for (const t of tensors) {
    expect(t.name, 'a tensor without a name').toBeTruthy();
    expect(defined.has(t.name!), `${t.name} is defined twice`).toBe(false);
    defined.add(t.name!);
    const count = (t.dims as number[]).reduce((p, d) => p * Number(d), 1);
    expect(t.rawData!.length, `${t.name}: ${t.rawData!.length} bytes for dims [${t.dims}]`).toBe(count * BYTES[t.dataType!]);
  }
  const nodeNames = new Set<string>();
  for (const node of graph.node!) {
    expect(node.opType, `node ${node.name} has no op`).toBeTruthy();
    expect(node.input!.length, `node ${node.name} reads nothing`).toBeGreaterThan(0);
    for (const input of node.input!) if (input !== '') expect(defined.has(input), `${node.name} reads ${input}, never defined`).toBe(true);
    for (const output of node.output!) {
      expect(defined.has(output), `${output} is defined twice`).toBe(false);
      defined.add(output);
    }
    expect(nodeNames.has(node.name!), `two nodes named ${node.name}`).toBe(false);
    nodeNames.add(node.name!);
    if (node.name !== 'logits') {
      const layer = layers.find((l) => node.name!.startsWith(`${l}.`) || node.name === l || node.name!.startsWith(`${l}_`));
      expect(layer, `node ${node.name} (${node.opType}) is not named after a layer of ${layers.join(', ')}`).toBeDefined();
    }
  }
  expect(graph.node!.at(-1)).toMatchObject({ opType: 'Identity', output: ['logits'], name: 'logits' });
  expect(graph.output!.map((o) => o.name)).toEqual(['logits']);
}

/** The names a node may carry: the model's steps (`fc1`, `relu1`, `flatten`) and its modules'. */
const layerNames = (model: Module): string[] => [
  ...(model.steps() ?? []).map(([name]) => name),
  ...model
    .namedModules()
    .map(([name]) => name)
    .filter(Boolean),
];

const dims = (v: onnxProto.onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));

describe('exported ONNX graphs', () => {
  const pruned = (): MLP => {
    const net = new MLP([784, 32, 16, 10], new Rng(1));
    new Pruner(net).pruneToSparsity(0.8);
    return net;
  };
  const factorized = (): MLP => {
    const net = new MLP([784, 32, 10], new Rng(2));
    net.setLayer(0, FactorizedLinear.fromLinear(net.layers[0] as Linear, { rank: 4 }));
    return net;
  };
  const cases: [string, () => Module, object?][] = [
    ['int8 MLP, 7-bit', () => quantizeDynamic(new MLP([784, 24, 10], new Rng(3)))],
    ['int8 MLP, 8-bit, per channel', () => quantizeDynamic(new MLP([784, 24, 10], new Rng(3)), { reduceRange: false, perChannel: true })],
    ['int8 teacher per channel', () => quantizeDynamic(new TeacherNet(new Rng(4)), { conv: true, perChannel: true })],
    ['int8 teacher per tensor, 8-bit', () => quantizeDynamic(new TeacherNet(new Rng(4)), { conv: true, reduceRange: false })],
    ['CSR MLP as sparse initializers', () => toSparse(pruned()), { sparse: true }],
    ['factorized MLP', factorized],
    ['LeNet-5', () => new LeNet5(new Rng(5))],
  ];
  for (const [label, make, options] of cases) {
    it(`are well formed and name each node after its layer: ${label}`, async () => {
      const model = make();
      const graph = (await graphOf(model, options)).graph!;
      expectWellFormed(graph, layerNames(model));
    });
  }

  it('record the producer, opset, graph name and the input and output shapes', async () => {
    const mlp = await graphOf(new MLP([20, 8, 3], new Rng(6)), { inputShape: [20] });
    // int64 fields decode as Long objects.
    expect([Number(mlp.irVersion), mlp.producerName]).toEqual([7, 'slimtensor']);
    expect(mlp.opsetImport!.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    expect(mlp.graph!.name).toBe('MLP');
    expect(dims(mlp.graph!.input![0])).toEqual(['N', 20]);
    expect(mlp.graph!.input![0].name).toBe('input');
    expect(dims(mlp.graph!.output![0])).toEqual(['N', 3]);
    const named = await graphOf(new MLP([20, 8, 3], new Rng(6)), { inputShape: [20], name: 'tiny' });
    expect(named.graph!.name).toBe('tiny');
    expect(dims((await graphOf(new TeacherNet(new Rng(7)))).graph!.output![0])).toEqual(['N', 10]);
    expect(dims((await graphOf(new LeNet5(new Rng(7)))).graph!.output![0])).toEqual(['N', 10]);
    expect(dims((await graphOf(new TeacherNet(new Rng(7)))).graph!.input![0])).toEqual(['N', 1, 28, 28]);
    // A Sequential does not say how many classes it has: the dimension stays symbolic.
    // A Sequential inside a Sequential: its layers named by their path (0.0 is the inner conv).
    const seq = new Sequential(
      new Sequential(new Conv2d(1, 2, 3), new ReLU()),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(2 * 13 * 13, 4),
    );
    const graph = (await graphOf(seq)).graph!;
    expect(dims(graph.output![0])).toEqual(['N', 'classes']);
    expectWellFormed(graph, layerNames(seq));
    expect(graph.node!.filter((n) => n.opType === 'Conv').map((n) => n.name)).toEqual(['0.0_1']);
  });
});
