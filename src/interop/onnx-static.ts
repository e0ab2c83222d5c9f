import type { StaticQuantizedModel } from '../compress/static-quantize.js';
import type { U8Params } from '../tensor/kernels/static-int8.js';
import { DataType, type GraphBuilder, int, ints } from './onnx-graph.js';

/**
 * A static int8 model in ONNX's QDQ form (opset 13): every uint8 value between layers is a
 * QuantizeLinear output with the model's own scale and zero point; each layer dequantizes
 * its input, its int8 weights (per output channel, `axis` 0) and its int32 bias (scale
 * sₓ·s_w, as onnxruntime's own static quantizer writes it), runs the float op, its ReLU,
 * and quantizes the result to the next layer's uint8. onnxruntime fuses each
 * DequantizeLinear → op → QuantizeLinear run into its integer kernels; another runtime can
 * run the same graph in float. Max pooling and a lone ReLU run between a dequantize and a
 * quantize with the same parameters; Flatten runs on the uint8 values.
 */

/** A uint8 scale and zero point as two initializers (scalar float, scalar uint8). */
function u8Params(g: GraphBuilder, name: string, { scale, zeroPoint }: U8Params): [string, string] {
  g.initializers.push({
    name: `${name}.scale`,
    dims: [],
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(Float32Array.of(scale).buffer),
  });
  g.initializers.push({ name: `${name}.zero_point`, dims: [], dataType: DataType.UINT8, rawData: Uint8Array.of(zeroPoint) });
  return [`${name}.scale`, `${name}.zero_point`];
}

/**
 * QuantizeLinear to `params`; a grid that ends below 255 (a QAT model's 4-bit activations)
 * first clips at its top value, since QuantizeLinear saturates only at uint8's 255.
 */
function quantize(g: GraphBuilder, y: string, names: [string, string], p: U8Params, label: string): string {
  if (p.quantMax !== undefined && p.quantMax < 255) {
    const top = g.constant(`${label}.top`, [], Float32Array.of((p.quantMax - p.zeroPoint) * p.scale));
    y = g.node('Clip', [y, '', top], [], `${label}.clip`);
  }
  return g.node('QuantizeLinear', [y, ...names], [], `${label}.quantize`);
}

/** The static model's stages as QDQ nodes on float input `x`; returns the float logits' name. */
export function emitStatic(g: GraphBuilder, model: StaticQuantizedModel, x: string): string {
  let current = model.input;
  let params = u8Params(g, 'input', current);
  let q = quantize(g, x, params, current, 'input');
  const dq = (label: string) => g.node('DequantizeLinear', [q, ...params], [], `${label}.dequantize`);
  for (const stage of model.stages) {
    const { name } = stage;
    if (stage.kind !== 'linear' && stage.kind !== 'conv') {
      if (stage.kind === 'flatten') q = g.node('Flatten', [q], [int('axis', 1)], name);
      else {
        const attributes = stage.kind === 'pool' ? [ints('kernel_shape', stage.kernelSize), ints('strides', stage.stride)] : [];
        const y = g.node(stage.kind === 'pool' ? 'MaxPool' : 'Relu', [dq(name)], attributes, name);
        q = g.node('QuantizeLinear', [y, ...params], [], `${name}.quantize`);
      }
      continue;
    }
    const { weight: w, bias } = stage;
    const shape = stage.kind === 'conv' ? stage.weightShape : [w.rows, w.cols];
    const perChannel = w.scales.length > 1;
    const wq = g.constantInt8(`${name}.weight_int8`, shape, w.q);
    const ws = g.constant(`${name}.weight_scale`, perChannel ? [w.rows] : [], w.scales);
    const wz = g.constantInt8(`${name}.weight_zero_point`, perChannel ? [w.rows] : [], new Int8Array(w.scales.length));
    const axis = perChannel ? [int('axis', 0)] : [];
    const inputs = [dq(name), g.node('DequantizeLinear', [wq, ws, wz], axis, `${name}.weight`)];
    if (bias) {
      // The bias in int32 at scale sₓ·s_w (zero point 0): onnxruntime fuses only this form.
      // Where a tiny input scale (an all-zero calibration, say) puts it beyond int32, the
      // bias stays float: the same values, unfused.
      const biasScale = Float32Array.from({ length: w.rows }, (_, j) => Math.fround(current.scale * w.scales[perChannel ? j : 0]));
      const quantized = Array.from(bias, (b, j) => Math.round(b / biasScale[j]));
      if (quantized.every((v) => Math.abs(v) <= 2 ** 31 - 1)) {
        const bq = Int32Array.from(quantized);
        g.initializers.push({ name: `${name}.bias_int32`, dims: [w.rows], dataType: DataType.INT32, rawData: new Uint8Array(bq.buffer) });
        const bs = g.constant(`${name}.bias_scale`, [w.rows], biasScale);
        g.initializers.push({
          name: `${name}.bias_zero_point`,
          dims: [w.rows],
          dataType: DataType.INT32,
          rawData: new Uint8Array(4 * w.rows),
        });
        inputs.push(g.node('DequantizeLinear', [`${name}.bias_int32`, bs, `${name}.bias_zero_point`], [int('axis', 0)], `${name}.bias`));
      } else inputs.push(g.constant(`${name}.bias`, [w.rows], bias));
    }
    const [, , KH, KW] = shape;
    let y =
      stage.kind === 'linear'
        ? g.node('Gemm', inputs, [int('transB', 1)], `${name}.gemm`)
        : g.node(
            'Conv',
            inputs,
            [ints('kernel_shape', [KH, KW]), ints('strides', stage.stride), ints('pads', [...stage.padding, ...stage.padding])],
            `${name}.conv`,
          );
    if (stage.relu) y = g.node('Relu', [y], [], `${name}.relu`);
    current = stage.output;
    params = u8Params(g, name, current);
    q = quantize(g, y, params, current, name);
  }
  return g.node('DequantizeLinear', [q, ...params], [], 'logits.dequantize');
}
