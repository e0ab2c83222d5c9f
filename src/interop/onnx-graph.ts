import type onnxProto from 'onnx-proto';
import type { CsrMatrix } from '../compress/csr.js';
import type { OnnxOptions } from './onnx.js';

/** The graph `exportOnnx` builds, node by node, before protobufjs encodes it. */

/**
 * The ONNX enum values the graph uses, as onnx.proto numbers them (fixed by the format).
 * They are spelled here so that building a graph needs no protobufjs: the encoder, and
 * the `long` package it loads (which compiles a small wasm module of its own at import),
 * load only when `exportOnnx` runs.
 */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, DOUBLE: 11 } as const;
const AttributeType = { INT: 2, INTS: 7 } as const;
export type INode = onnxProto.onnx.INodeProto;
export type ITensor = onnxProto.onnx.ITensorProto;
export type IAttribute = onnxProto.onnx.IAttributeProto;

/** Collects nodes and initializers, naming every value uniquely. */
export class GraphBuilder {
  readonly nodes: INode[] = [];
  readonly initializers: ITensor[] = [];
  readonly sparseInitializers: onnxProto.onnx.ISparseTensorProto[] = [];
  private count = 0;

  constructor(readonly options: OnnxOptions = {}) {}

  /** A float32 constant (a weight), stored raw little-endian. */
  constant(name: string, dims: readonly number[], data: Float32Array): string {
    const raw = new Uint8Array(data.byteLength);
    raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw });
    return name;
  }

  /**
   * A sparse float32 matrix `[rows, cols]` as a sparse initializer: the values in row-major
   * order and, for each, its linear position r·cols + c, as int64 (ONNX's sparse format).
   */
  sparseConstant(name: string, w: CsrMatrix): string {
    const positions = new BigInt64Array(w.nnz);
    for (let r = 0; r < w.rows; r++) {
      for (let p = w.rowPtr[r]; p < w.rowPtr[r + 1]; p++) positions[p] = BigInt(r * w.cols + w.colIndices[p]);
    }
    const values = new Uint8Array(w.values.byteLength);
    values.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength));
    this.sparseInitializers.push({
      dims: [w.rows, w.cols],
      values: { name, dims: [w.nnz], dataType: DataType.FLOAT, rawData: values },
      indices: { name: `${name}.indices`, dims: [w.nnz], dataType: DataType.INT64, rawData: new Uint8Array(positions.buffer) },
    });
    return name;
  }

  /** An int8 constant (quantized weights), stored raw. */
  constantInt8(name: string, dims: readonly number[], data: Int8Array): string {
    this.initializers.push({
      name,
      dims: [...dims],
      dataType: DataType.INT8,
      rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    });
    return name;
  }

  /** Adds one node named `label` (its layer's name, then the step: `fc1.matmul`); returns the name of its output. */
  node(opType: string, inputs: string[], attributes: IAttribute[], label: string): string {
    return this.nodeOutputs(opType, inputs, 1, attributes, label)[0];
  }

  /** Adds one node with `outputs` outputs; returns their names. */
  nodeOutputs(opType: string, inputs: string[], outputs: number, attributes: IAttribute[], label: string): string[] {
    const base = `${label}_${++this.count}`;
    const names = Array.from({ length: outputs }, (_, i) => (outputs === 1 ? base : `${base}_${i}`));
    this.nodes.push({ opType, input: inputs, output: names, name: base, attribute: attributes });
    return names;
  }
}

export const int = (name: string, i: number): IAttribute => ({ name, type: AttributeType.INT, i });
export const ints = (name: string, values: number[]): IAttribute => ({ name, type: AttributeType.INTS, ints: values });
