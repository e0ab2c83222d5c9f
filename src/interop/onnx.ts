import onnxProto from 'onnx-proto';
import { SparseLinear } from '../compress/csr.js';
import { FactorizedLinear } from '../compress/low-rank.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../nn/layers.js';
import { MLP, TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';

/**
 * ONNX export: a model as an ONNX graph (opset 13, IR 7) that onnxruntime and other
 * runtimes load. The messages are encoded by protobufjs from the official ONNX schema
 * (the `onnx-proto` package); only the graph is built here. Each layer becomes the
 * standard ops it computes:
 * - Linear → Gemm (transB = 1); a factorized layer → two Gemms (never the rebuilt matrix);
 *   a sparse (CSR) layer → a Gemm on its dense weight, zeros included;
 * - Conv2d → Conv, MaxPool2d → MaxPool, ReLU → Relu, Flatten → Flatten (axis 1).
 * The notebook's models are written in the order of their forward: MLP = Flatten, then
 * each layer with a Relu between; TeacherNet = Conv, MaxPool, Relu, Flatten, Gemm, Relu, Gemm
 * (its ReLU after the pool, which is the same function as before it).
 * A layer without an ONNX form here is refused by name, never written approximately.
 */

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttribute = onnxProto.onnx.IAttributeProto;

/** Options of `exportOnnx`. */
export interface OnnxOptions {
  /** The shape of one input without the batch dimension (default: [1, 28, 28], MNIST images). */
  inputShape?: number[];
  /** The graph's name (default: the model's class). */
  name?: string;
}

/** Collects nodes and initializers, naming every value uniquely. */
class GraphBuilder {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  private count = 0;

  /** A float32 constant (a weight), stored raw little-endian. */
  constant(name: string, dims: readonly number[], data: Float32Array): string {
    const raw = new Uint8Array(data.byteLength);
    raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  /** Adds one node; returns the name of its output. */
  node(opType: string, inputs: string[], attributes: IAttribute[] = [], label = opType.toLowerCase()): string {
    const output = `${label}_${++this.count}`;
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute: attributes });
    return output;
  }
}

const int = (name: string, i: number): IAttribute => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const ints = (name: string, values: number[]): IAttribute => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });

/** y = x·Wᵀ + b as a Gemm. */
function gemm(g: GraphBuilder, x: string, name: string, weight: Float32Array, dims: [number, number], bias: Float32Array | null): string {
  const inputs = [x, g.constant(`${name}.weight`, dims, weight)];
  if (bias) inputs.push(g.constant(`${name}.bias`, [dims[0]], bias));
  return g.node('Gemm', inputs, [int('transB', 1)], name);
}

/** The ops of one layer applied to value `x`; returns the output value. */
function emitLayer(g: GraphBuilder, name: string, layer: Module, x: string): string {
  if (layer instanceof Linear) return gemm(g, x, name, layer.weight.data, [layer.outFeatures, layer.inFeatures], layer.bias?.data ?? null);
  if (layer instanceof FactorizedLinear) {
    const [r, inF] = layer.down.shape;
    const h = gemm(g, x, `${name}.down`, layer.down.data, [r, inF], null);
    return gemm(g, h, `${name}.up`, layer.up.data, [layer.up.shape[0], r], layer.bias?.data ?? null);
  }
  if (layer instanceof SparseLinear) {
    const { rows, cols } = layer.weight;
    return gemm(g, x, name, layer.weight.toDense(), [rows, cols], layer.bias?.data ?? null);
  }
  if (layer instanceof Conv2d) {
    const [OC, , KH, KW] = layer.weight.shape;
    const inputs = [x, g.constant(`${name}.weight`, layer.weight.shape, layer.weight.data)];
    if (layer.bias) inputs.push(g.constant(`${name}.bias`, [OC], layer.bias.data));
    const p = layer.padding;
    return g.node('Conv', inputs, [ints('kernel_shape', [KH, KW]), ints('strides', [layer.stride, layer.stride]), ints('pads', [p, p, p, p])], name);
  }
  if (layer instanceof MaxPool2d) {
    return g.node('MaxPool', [x], [ints('kernel_shape', [layer.kernelSize, layer.kernelSize]), ints('strides', [layer.stride, layer.stride])], name);
  }
  if (layer instanceof ReLU) return g.node('Relu', [x], [], name);
  if (layer instanceof Flatten) return g.node('Flatten', [x], [int('axis', 1)], name);
  if (layer instanceof Sequential) return layer.namedChildren().reduce((h, [child, m]) => emitLayer(g, `${name}.${child}`, m, h), x);
  throw new Error(`exportOnnx: layer '${name}' is a ${layer.constructor.name}, which has no ONNX form here`);
}

/** The model's forward as a chain of layers, in the order it runs them. */
function emitModel(g: GraphBuilder, model: Module, x: string): string {
  if (model instanceof MLP) {
    let h = g.node('Flatten', [x], [int('axis', 1)], 'flatten');
    model.namedChildren().forEach(([name, layer], i, all) => {
      h = emitLayer(g, name, layer, h);
      if (i + 1 < all.length) h = g.node('Relu', [h], [], `${name}.relu`);
    });
    return h;
  }
  if (model instanceof TeacherNet) {
    let h = emitLayer(g, 'conv1', model.conv1, x);
    h = g.node('Relu', [emitLayer(g, 'pool', model.pool, h)], [], 'pool.relu');
    h = emitLayer(g, 'fc1', model.fc1, g.node('Flatten', [h], [int('axis', 1)], 'flatten'));
    return emitLayer(g, 'fc2', model.fc2, g.node('Relu', [h], [], 'fc1.relu'));
  }
  if (model instanceof Sequential) return emitLayer(g, 'seq', model, x);
  throw new Error(`exportOnnx: a ${model.constructor.name} has no ONNX export (MLP, TeacherNet and Sequential do)`);
}

/** A float tensor's type with a symbolic batch dimension. */
function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

/**
 * The model as ONNX bytes: input `input` `[N, ...inputShape]`, output `logits` `[N, classes]`.
 * @example writeFileAtomic('simple-net.onnx', exportOnnx(net))
 */
export function exportOnnx(model: Module, options: OnnxOptions = {}): Uint8Array {
  const g = new GraphBuilder();
  const inputShape = options.inputShape ?? [1, 28, 28];
  const last = emitModel(g, model, 'input');
  // The final value is renamed by an Identity so the output has a stable name.
  g.nodes.push({ opType: 'Identity', input: [last], output: ['logits'], name: 'logits' });
  const classes = g.initializers.filter((t) => t.name?.endsWith('.weight')).at(-1)?.dims?.[0];
  const model_ = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'slimtensor',
    graph: {
      name: options.name ?? model.constructor.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo('input', ['N', ...inputShape])],
      output: [valueInfo('logits', ['N', Number(classes ?? 0) || 'classes'])],
    },
  });
  return onnx.ModelProto.encode(model_).finish();
}
