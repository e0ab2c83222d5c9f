import type onnxProto from 'onnx-proto';
import { SparseLinear } from '../compress/csr.js';
import { QuantizedConv2d, QuantizedLinear } from '../compress/int8-layers.js';
import { FactorizedLinear } from '../compress/low-rank.js';
import { StaticQuantizedModel } from '../compress/static-quantize.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../nn/layers.js';
import { LeNet5, MLP, TeacherNet } from '../nn/models.js';
import { Module } from '../nn/module.js';
import { SMALL_SCALE } from '../tensor/kernels/quantize.js';
import { DataType, GraphBuilder, int, ints } from './onnx-graph.js';
import { emitStatic } from './onnx-static.js';

/**
 * ONNX export: a model as an ONNX graph (opset 13, IR 7) that onnxruntime and other
 * runtimes load. The messages are encoded by protobufjs from the official ONNX schema
 * (the `onnx-proto` package); only the graph is built here. Each layer becomes the
 * standard ops it computes:
 * - Linear → Gemm (transB = 1); a factorized layer → two Gemms (never the rebuilt matrix);
 *   a sparse (CSR) layer → a Gemm on its dense weight, zeros included, or with
 *   `{ sparse: true }` on a `sparse_initializer` (the non-zeros and their int64 positions);
 * - Conv2d → Conv, MaxPool2d → MaxPool, ReLU → Relu, Flatten → Flatten (axis 1);
 * - int8 Linear and Conv2d → their 7-bit activation quantization, MatMulInteger or
 *   ConvInteger, the scales and the bias: slimtensor's int8 layers op for op.
 * A model is written step by step as its `steps()` lists its forward (the list its
 * `forward` and `plan` run): MLP = Flatten, then each layer with a Relu between; TeacherNet
 * = Conv, Relu, MaxPool, Flatten, Gemm, Relu, Gemm; LeNet5 = Conv, MaxPool, Conv, MaxPool,
 * Flatten, Gemm, Relu, Gemm.
 * A layer without an ONNX form here is refused by name, never written approximately.
 */

/** Options of `exportOnnx`. */
export interface OnnxOptions {
  /** The shape of one input without the batch dimension (default: [1, 28, 28], MNIST images). */
  inputShape?: number[];
  /** The graph's name (default: the model's class). */
  name?: string;
  /**
   * Store each sparse (CSR) layer's weight as a `sparse_initializer`: its non-zeros and
   * their linear positions (int64, as ONNX requires). Smaller files once fewer than a third
   * of the weights are left; onnxruntime turns it back into a dense matrix when it loads
   * the model, so it runs as fast as the dense file, not faster. Default false: a plain
   * dense initializer, which every runtime reads.
   */
  sparse?: boolean;
}

/** y = x·Wᵀ + b as a Gemm, on the weight initializer named `weight` (`[out, in]`). */
function gemmOn(g: GraphBuilder, x: string, name: string, weight: string, outFeatures: number, bias: Float32Array | null): string {
  const inputs = [x, weight];
  if (bias) inputs.push(g.constant(`${name}.bias`, [outFeatures], bias));
  return g.node('Gemm', inputs, [int('transB', 1)], name);
}

/** y = x·Wᵀ + b as a Gemm on a dense weight `[out, in]`. */
function gemm(g: GraphBuilder, x: string, name: string, weight: Float32Array, dims: [number, number], bias: Float32Array | null): string {
  return gemmOn(g, x, name, g.constant(`${name}.weight`, dims, weight), dims[0], bias);
}

/** A float (or double) scalar constant, made once per graph. */
function scalar(g: GraphBuilder, value: number, type: number = DataType.FLOAT): string {
  const double = type === DataType.DOUBLE;
  const name = `const_${double ? 'f64' : 'f32'}_${value}`;
  if (!g.initializers.some((t) => t.name === name)) {
    const raw = double ? new Uint8Array(Float64Array.of(value).buffer) : new Uint8Array(Float32Array.of(value).buffer);
    g.initializers.push({ name, dims: [], dataType: type, rawData: raw });
  }
  return name;
}

/**
 * The activations' 7-bit quantization (PyTorch's reduce_range, slimtensor's default) in ONNX
 * ops: the range widened to include 0, scale = (max − min)/127, zero point = round(−min/scale)
 * in [0, 127] (fbgemm's choice reduces to this on [0, 127]), the scale then raised to at
 * least 6.1e-5 (fbgemm widens a tinier range), then x·(1/scale) rounded by QuantizeLinear
 * (scale 1) to uint8.
 * ONNX's own DynamicQuantizeLinear uses 8 bits, which would change the model's outputs.
 * Returns the quantized values, their scale and their zero point.
 */
function quantize7(g: GraphBuilder, x: string, name: string): [string, string, string] {
  const DOUBLE = DataType.DOUBLE,
    FLOAT = DataType.FLOAT;
  const min = g.node('Min', [g.node('ReduceMin', [x], [int('keepdims', 0)], `${name}.min`), scalar(g, 0)], [], `${name}.min0`);
  const max = g.node('Max', [g.node('ReduceMax', [x], [int('keepdims', 0)], `${name}.max`), scalar(g, 0)], [], `${name}.max0`);
  // The scale and zero point in double, as fbgemm computes them; the scale is then kept in float.
  const [lo, hi] = [min, max].map((v, i) => g.node('Cast', [v], [int('to', DOUBLE)], `${name}.${i ? 'hi' : 'lo'}`));
  const range = g.node('Sub', [hi, lo], [], `${name}.range`);
  const step = g.node('Div', [range, scalar(g, 127, DOUBLE)], [], `${name}.step`);
  // A range too small for a float32 scale (an all-zero input, say): PyTorch's scale for it is 0.1.
  const empty = g.node(
    'Cast',
    [g.node('Equal', [g.node('Cast', [step], [int('to', FLOAT)], `${name}.stepf`), scalar(g, 0)], [], `${name}.empty`)],
    [int('to', DOUBLE)],
    `${name}.emptyd`,
  );
  const stepOrFallback = g.node(
    'Add',
    [step, g.node('Mul', [empty, scalar(g, 0.1, DOUBLE)], [], `${name}.fallback`)],
    [],
    `${name}.steporfallback`,
  );
  const zeroD = g.node(
    'Clip',
    [
      g.node(
        'Round',
        [g.node('Div', [g.node('Neg', [lo], [], `${name}.neglo`), stepOrFallback], [], `${name}.zraw`)],
        [],
        `${name}.zround`,
      ),
      scalar(g, 0, DOUBLE),
      scalar(g, 127, DOUBLE),
    ],
    [],
    `${name}.zclip`,
  );
  // A tiny range is widened to fbgemm's smallest scale, 6.1e-5, keeping the zero point (the range grows about it).
  const scaleD = g.node('Max', [stepOrFallback, scalar(g, SMALL_SCALE, DOUBLE)], [], `${name}.scaled`);
  const zp = g.node('Cast', [zeroD], [int('to', DataType.UINT8)], `${name}.zp`);
  const scale = g.node('Cast', [scaleD], [int('to', FLOAT)], `${name}.scale`);
  // x·f32(1/scale), then rounded: fbgemm's (and slimtensor's) multiply by the inverse, not
  // QuantizeLinear's x/scale, which rounds differently at ties.
  const scaled = g.node('Mul', [x, g.node('Reciprocal', [scale], [], `${name}.inv`)], [], `${name}.scaledx`);
  // Held to [−z, 127 − z] first: QuantizeLinear saturates to uint8's [0, 255], 7 bits stop at 127.
  const zf = g.node('Cast', [zeroD], [int('to', FLOAT)], `${name}.zf`);
  const clipped = g.node(
    'Clip',
    [scaled, g.node('Neg', [zf], [], `${name}.qlo`), g.node('Sub', [scalar(g, 127), zf], [], `${name}.qhi`)],
    [],
    `${name}.clip`,
  );
  return [g.node('QuantizeLinear', [clipped, scalar(g, 1), zp], [], `${name}.q`), scale, zp];
}

/**
 * An int8 Linear: the activations quantized to 7 bits per batch (quantize7), MatMulInteger
 * with the int8 weights (stored transposed, `[in, out]`; onnxruntime runs uint8 × int8
 * natively), then the int32 sums scaled by s_x·s_w (per channel where the layer has one
 * scale per output) and the bias added: slimtensor's int8 layer, op for op.
 */
function quantizedGemm(g: GraphBuilder, x: string, name: string, layer: QuantizedLinear): string {
  const { q, scales, rows: N, cols: K } = layer.weight;
  const transposed = new Int8Array(K * N);
  for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) transposed[k * N + j] = q[j * K + k];
  const [xq, xs, xz] = layer.reduceRange ? quantize7(g, x, name) : g.nodeOutputs('DynamicQuantizeLinear', [x], 3, [], `${name}.quantize`);
  const acc = g.node('MatMulInteger', [xq, g.constantInt8(`${name}.weight_int8`, [K, N], transposed), xz], [], `${name}.matmul`);
  const sums = g.node('Cast', [acc], [int('to', DataType.FLOAT)], `${name}.cast`);
  const factor = g.node('Mul', [xs, g.constant(`${name}.weight_scale`, [scales.length], scales)], [], `${name}.scale`);
  const y = g.node('Mul', [sums, factor], [], `${name}.dequantize`);
  return layer.bias ? g.node('Add', [y, g.constant(`${name}.bias`, [N], layer.bias.data)], [], `${name}.bias`) : y;
}

/** A convolution's attributes; ONNX lists the pads as [top, left, bottom, right]. */
function convAttributes(KH: number, KW: number, [SH, SW]: readonly number[], [PH, PW]: readonly number[]) {
  return [ints('kernel_shape', [KH, KW]), ints('strides', [SH, SW]), ints('pads', [PH, PW, PH, PW])];
}

/**
 * An int8 Conv2d, exact: the activations quantized to 7 bits as slimtensor does (quantize7),
 * ConvInteger on them and the filters (onnxruntime's ConvInteger takes uint8 filters, so
 * the int8 ones are stored shifted by 128 with a zero point of 128: the same integers), the
 * int32 sums scaled by s_x·s_w per output channel, and the bias added: slimtensor's int8
 * convolution op for op, so the outputs are the same and so is every later layer's
 * quantization.
 */
function quantizedConv(g: GraphBuilder, x: string, name: string, layer: QuantizedConv2d): string {
  const { q, scales } = layer.weight;
  const [OC, , KH, KW] = layer.weightShape;
  const [xq, xs, xz] = layer.reduceRange ? quantize7(g, x, name) : g.nodeOutputs('DynamicQuantizeLinear', [x], 3, [], `${name}.quantize`);
  const shifted = Uint8Array.from(q, (v) => v + 128);
  g.initializers.push({ name: `${name}.weight_uint8`, dims: [...layer.weightShape], dataType: DataType.UINT8, rawData: shifted });
  g.initializers.push({ name: `${name}.weight_zero_point`, dims: [], dataType: DataType.UINT8, rawData: Uint8Array.of(128) });
  const acc = g.node(
    'ConvInteger',
    [xq, `${name}.weight_uint8`, xz, `${name}.weight_zero_point`],
    convAttributes(KH, KW, layer.stride, layer.padding),
    `${name}.conv`,
  );
  const sums = g.node('Cast', [acc], [int('to', DataType.FLOAT)], `${name}.cast`);
  const ws = g.constant(`${name}.weight_scale`, scales.length > 1 ? [1, OC, 1, 1] : [1], scales);
  const y = g.node('Mul', [sums, g.node('Mul', [xs, ws], [], `${name}.scale`)], [], `${name}.dequantize`);
  return layer.bias ? g.node('Add', [y, g.constant(`${name}.bias`, [1, OC, 1, 1], layer.bias.data)], [], `${name}.bias`) : y;
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
    const w = layer.weight;
    if (!g.options.sparse) return gemm(g, x, name, w.toDense(), [w.rows, w.cols], layer.bias?.data ?? null);
    return gemmOn(g, x, name, g.sparseConstant(`${name}.weight`, w), w.rows, layer.bias?.data ?? null);
  }
  if (layer instanceof QuantizedLinear) return quantizedGemm(g, x, name, layer);
  if (layer instanceof QuantizedConv2d) return quantizedConv(g, x, name, layer);
  if (layer instanceof Conv2d) {
    const [OC, , KH, KW] = layer.weight.shape;
    const inputs = [x, g.constant(`${name}.weight`, layer.weight.shape, layer.weight.data)];
    if (layer.bias) inputs.push(g.constant(`${name}.bias`, [OC], layer.bias.data));
    return g.node('Conv', inputs, convAttributes(KH, KW, layer.stride, layer.padding), name);
  }
  if (layer instanceof MaxPool2d)
    return g.node('MaxPool', [x], [ints('kernel_shape', layer.kernelSize), ints('strides', layer.stride)], name);
  if (layer instanceof ReLU) return g.node('Relu', [x], [], name);
  if (layer instanceof Flatten) return g.node('Flatten', [x], [int('axis', 1)], name);
  if (layer instanceof Sequential) return layer.namedChildren().reduce((h, [child, m]) => emitLayer(g, `${name}.${child}`, m, h), x);
  throw new Error(`exportOnnx: layer '${name}' is a ${layer.constructor.name}, which has no ONNX form here`);
}

/** The model's forward as the chain of layers its `steps()` lists: the same steps it runs. */
function emitModel(g: GraphBuilder, model: Module, x: string): string {
  if (!(model instanceof Module)) throw new Error(`exportOnnx: expected a Module, got ${String(model)}`);
  if (model instanceof StaticQuantizedModel) return emitStatic(g, model, x);
  const steps = model.steps();
  if (!steps)
    throw new Error(`exportOnnx: a ${model.constructor.name} lists no steps() to export (MLP, TeacherNet, LeNet5 and Sequential do)`);
  return steps.reduce((h, [name, layer]) => emitLayer(g, name, layer, h), x);
}

/** A float tensor's type with a symbolic batch dimension. */
function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/**
 * The model as ONNX bytes: input `input` `[N, ...inputShape]`, output `logits` `[N, classes]`.
 * Asynchronous because the protobuf encoder loads on the first export, not at import.
 * @example const bytes = await exportOnnx(net) // onnxruntime's InferenceSession.create(bytes) runs it
 */
export async function exportOnnx(model: Module, options: OnnxOptions = {}): Promise<Uint8Array> {
  return (await onnxEncoder())(model, options);
}

/** The synchronous encoder behind `exportOnnx`, once protobufjs has loaded (the bench times it alone). */
export async function onnxEncoder(): Promise<(model: Module, options?: OnnxOptions) => Uint8Array> {
  const { onnx } = (await import('onnx-proto')).default;
  return (model, options = {}) => encode(onnx, model, options);
}

function encode(onnx: typeof onnxProto.onnx, model: Module, options: OnnxOptions): Uint8Array {
  const g = new GraphBuilder(options);
  const inputShape = options.inputShape ?? [1, 28, 28];
  const last = emitModel(g, model, 'input');
  // The final value is renamed by an Identity so the output has a stable name.
  g.nodes.push({ opType: 'Identity', input: [last], output: ['logits'], name: 'logits' });
  // The class count where the architecture says it; a symbolic dimension otherwise.
  const classes = model instanceof MLP ? model.sizes.at(-1)! : model instanceof TeacherNet || model instanceof LeNet5 ? 10 : 'classes';
  const model_ = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'slimtensor',
    graph: {
      name: options.name ?? model.constructor.name,
      node: g.nodes,
      initializer: g.initializers,
      sparseInitializer: g.sparseInitializers,
      input: [valueInfo('input', ['N', ...inputShape])],
      output: [valueInfo('logits', ['N', classes])],
    },
  });
  return onnx.ModelProto.encode(model_).finish();
}
