import { LeNet5, LeNet300100 } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { Rng } from '../tensor/random.js';
import { toSparse } from './csr.js';
import { decodeDeepCompressed } from './deep-compression-file.js';

/** `lenet-300-100` or `lenet-5`. */
export type DeepCompressionModel = 'lenet-300-100' | 'lenet-5';

/** The figures Deep Compression's Table 1 reports for a model. */
export interface PaperFigures {
  /** The dense model, KB. */
  denseKB: number;
  /** The compressed model, KB. */
  compressedKB: number;
  /** Dense ÷ compressed, all stages. */
  ratio: number;
  /** The ratio after pruning and quantization, before Huffman coding. */
  ratioBeforeHuffman: number;
  /** The ratio after pruning alone (dense ÷ weights kept). */
  ratioPruned: number;
  /** Top-1 error of the dense model, %. */
  errorBefore: number;
  /** Top-1 error of the compressed model, %. */
  errorAfter: number;
}

/** One model of Deep Compression's Table 1 with the paper's per-layer settings (Tables 2 and 3), layers in order. */
export interface DeepCompressionSpec {
  /** A fresh model of this architecture. */
  create: (rng: Rng) => Module;
  /** Fraction of weights each layer keeps. */
  keep: readonly number[];
  /** Bits per shared weight (cluster index) of each layer. */
  bits: readonly number[];
  /** Linear layers with a ReLU between them, [reader of, read by] (see `removeDeadUnits`). */
  reluPairs: readonly (readonly [string, string])[];
  /** What the paper reports. */
  paper: PaperFigures;
}

/**
 * The models of Deep Compression's Table 1, with the paper's per-layer settings.
 * @example DEEP_COMPRESSION_MODELS['lenet-300-100'].keep // [0.08, 0.09, 0.26]
 */
export const DEEP_COMPRESSION_MODELS: Readonly<Record<DeepCompressionModel, DeepCompressionSpec>> = {
  'lenet-300-100': {
    create: (rng) => new LeNet300100(rng),
    keep: [0.08, 0.09, 0.26], // fc1, fc2, fc3
    bits: [6, 6, 6],
    reluPairs: [
      ['fc1', 'fc2'],
      ['fc2', 'fc3'],
    ],
    paper: { denseKB: 1070, compressedKB: 27, ratio: 40, ratioBeforeHuffman: 32, ratioPruned: 12, errorBefore: 1.64, errorAfter: 1.58 },
  },
  'lenet-5': {
    create: (rng) => new LeNet5(rng),
    keep: [0.66, 0.12, 0.08, 0.19], // conv1, conv2, fc1, fc2
    bits: [8, 8, 5, 5],
    reluPairs: [['fc1', 'fc2']],
    paper: { denseKB: 1720, compressedKB: 44, ratio: 39, ratioBeforeHuffman: 33, ratioPruned: 12, errorBefore: 0.8, errorAfter: 0.74 },
  },
};

/**
 * A Deep Compression file's bytes (see `encodeDeepCompressed`) as a runnable model: the
 * architecture its metadata names, with dense layers, or with CSR `SparseLinear` layers
 * where `sparse` is set. A corrupted or foreign file is refused with an error naming `source`.
 * @example const net = deepCompressedModel(bytes, 'lenet-300-100.deep-compressed.safetensors')
 */
export function deepCompressedModel(bytes: Uint8Array, source: string, options: { sparse?: boolean } = {}): Module {
  const { model, state } = decodeDeepCompressed(bytes, source);
  if (!Object.hasOwn(DEEP_COMPRESSION_MODELS, model))
    throw new Error(`${source}: unknown model '${model}' (known: ${Object.keys(DEEP_COMPRESSION_MODELS).join(', ')})`);
  const net = DEEP_COMPRESSION_MODELS[model as DeepCompressionModel].create(new Rng(0));
  try {
    net.loadStateDict(state);
  } catch (e) {
    throw new Error(`${source}: the layers do not fit a ${model}: ${(e as Error).message}`);
  }
  return options.sparse ? toSparse(net) : net;
}
