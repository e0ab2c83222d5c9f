/**
 * `slimtensor/compress`: every compression method and compressed layer, and the honest
 * measures of a model (bytes, latency). The same objects as the package root exports; this
 * entry lists only the compression part, for a reader who wants just that.
 * @packageDocumentation
 */

// Knowledge distillation (section 1).
export { distillationLoss, precomputeLogits, teacherRows, type DistillationOptions } from './distill.js';
// Magnitude pruning and CSR (section 2), with retraining on a schedule (Deep Compression).
export { Pruner, polynomialSparsity, type LayerSparsity, type PruneScope, type PruneTarget } from './prune.js';
export { pruneWithRetraining, type PruneScheduleOptions, type PrunedWithRetraining } from './prune-schedule.js';
export { CsrMatrix, SparseLinear, toSparse, breakEvenDensity, type CsrBytes } from './csr.js';
export type { IndexArray } from '../tensor/kernels/sparse.js';
// Activation (neuron) pruning (section 3).
export { activationStats, neuronScores, removeNeurons, type ActivationStats, type NeuronScore, type PrunedNeurons } from './neurons.js';
// Low-rank factorization (section 4).
export { svd, SvdConvergenceError, type Svd, type SvdOptions } from './svd.js';
export {
  FactorizedLinear,
  breakEvenRank,
  energyKept,
  rankForEnergy,
  matrixChainOrder,
  type ChainOrder,
  type RankChoice,
} from './low-rank.js';
// Dynamic int8 quantization (section 5).
export { quantizeDynamic, type QuantizeOptions } from './quantize.js';
export { QuantizedConv2d, QuantizedLinear, type Int8Options } from './int8-layers.js';
export { sqnr, quantizeWeight, dequantizeWeight } from './quantize-weight.js';
export { int8Weight, type Int8Weight } from '../tensor/kernels/int8.js';
// Static quantization's first step: observers that choose the ranges (PyTorch's four, percentile, entropy).
export {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  PerChannelMinMaxObserver,
  Observer,
  qparamsFromRange,
  quantRangeOf,
  type QuantSpec,
  type QParams,
  type ObservedRange,
} from './observers.js';
export { HistogramObserver } from './histogram-observer.js';
export { PercentileObserver, EntropyObserver, clippedKl, type EntropyCut } from './clipping-observers.js';
export { calibrate, type CalibrationOptions, type LayerObservers, type ObservedAt } from './calibrate.js';
export {
  quantizeStatic,
  StaticQuantizedModel,
  STATIC_INT8_FORMAT,
  STAGE_KINDS,
  type StaticStage,
  type StaticOptions,
  type StaticLayerStage,
  type StaticLinearStage,
  type StaticConvStage,
  type StaticPoolStage,
  type StaticPlainStage,
} from './static-quantize.js';
export type { U8Params } from '../tensor/kernels/static-int8.js';
export { prepareQat, convert, QatModel, type QatOptions } from './qat.js';
// Deep Compression (Han et al. 2016): dead units, weight sharing, the coded file.
export { removeDeadUnits, type DeadUnits } from './dead-units.js';
export { SharedWeights, SharedWeightsAdam, type SharedLayer } from './weight-sharing.js';
export {
  encodeDeepCompressed,
  decodeDeepCompressed,
  DEEP_COMPRESSED_FORMAT,
  type DecodedModel,
  type EncodedDeepCompressed,
  type LayerCost,
  type SharedLayerInput,
} from './deep-compression-file.js';
export {
  deepCompressedModel,
  DEEP_COMPRESSION_MODELS,
  type DeepCompressionModel,
  type DeepCompressionSpec,
  type PaperFigures,
} from './deep-compression-models.js';
export { roundToFloat16 } from '../io/float16.js';
// Models to and from bytes, and what they measure.
export { modelToBytes, modelFromBytes, type ModelFromBytesOptions } from './checkpoint.js';
export { modelBytes, modelLatency, compareLatency, type ModelLatencyOptions, type LatencyComparison } from './latency.js';
