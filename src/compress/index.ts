/**
 * `slimtensor/compress`: every compression method and compressed layer, and the honest
 * measures of a model (bytes, latency). The same objects as the package root exports; this
 * entry lists only the compression part, for a reader who wants just that.
 * @packageDocumentation
 */

export { roundToFloat16 } from '../io/float16.js';
export { type Int8Weight, int8Weight } from '../tensor/kernels/int8.js';
export type { IndexArray } from '../tensor/kernels/sparse.js';
// Models to and from bytes, and what they measure.
export { type ModelFromBytesOptions, modelFromBytes, modelToBytes } from './checkpoint.js';
export { breakEvenDensity, type CsrBytes, CsrMatrix, SparseLinear, toSparse } from './csr.js';
// Deep Compression (Han et al. 2016): dead units, weight sharing, the coded file.
export { type DeadUnits, removeDeadUnits } from './dead-units.js';
export {
  DEEP_COMPRESSED_FORMAT,
  type DecodedModel,
  decodeDeepCompressed,
  type EncodedDeepCompressed,
  encodeDeepCompressed,
  type LayerCost,
  type SharedLayerInput,
} from './deep-compression-file.js';
export {
  DEEP_COMPRESSION_MODELS,
  type DeepCompressionModel,
  type DeepCompressionSpec,
  deepCompressedModel,
  type PaperFigures,
} from './deep-compression-models.js';
// Knowledge distillation (section 1).
export { type DistillationOptions, distillationLoss, precomputeLogits, teacherRows } from './distill.js';
export { type Int8Options, QuantizedConv2d, QuantizedLinear } from './int8-layers.js';
export { compareLatency, type LatencyComparison, type ModelLatencyOptions, modelBytes, modelLatency } from './latency.js';
export {
  breakEvenRank,
  type ChainOrder,
  energyKept,
  FactorizedLinear,
  matrixChainOrder,
  type RankChoice,
  rankForEnergy,
} from './low-rank.js';
// Activation (neuron) pruning (section 3).
export { type ActivationStats, activationStats, type NeuronScore, neuronScores, type PrunedNeurons, removeNeurons } from './neurons.js';
// Magnitude pruning and CSR (section 2), with retraining on a schedule (Deep Compression).
export { type LayerSparsity, Pruner, type PruneScope, type PruneTarget, polynomialSparsity } from './prune.js';
export { type PrunedWithRetraining, type PruneScheduleOptions, pruneWithRetraining } from './prune-schedule.js';
// Dynamic int8 quantization (section 5).
export { type QuantizeOptions, quantizeDynamic } from './quantize.js';
export { dequantizeWeight, quantizeWeight, sqnr } from './quantize-weight.js';
// Low-rank factorization (section 4).
export { type Svd, SvdConvergenceError, type SvdOptions, svd } from './svd.js';
export { type SharedLayer, SharedWeights, SharedWeightsAdam } from './weight-sharing.js';
