/**
 * The messages between the page and its engine worker. The page asks, the worker answers
 * each request by its id, with a result or the error's message (shown in the page).
 */

/** What the page can ask. */
export type Request =
  | { type: 'start'; page: string; threads: number | null }
  | { type: 'models' }
  | { type: 'predict'; input: Float32Array }
  | { type: 'latency' }
  | { type: 'testImage'; index: number }
  | { type: 'train'; model: TrainableModel; pause: Int32Array | null }
  | { type: 'compress'; base: string; settings: CompressSettings }
  | { type: 'download'; name: string; format: 'safetensors' | 'onnx' }
  | { type: 'inspect'; name: string };

export type { CompressSettings } from './compress.js';
export type { LayerView } from './inspect.js';

/** The live model's figures, after a slider moved. */
export interface CompressResult {
  name: string;
  steps: string[];
  bytes: number;
  fileBytes: number;
  params: number;
  accuracy: number;
  ms1: number;
  /** The base, measured beside it. */
  base: { name: string; bytes: number; accuracy: number; ms1: number };
}

/** The two models the page can train for an epoch. */
export type TrainableModel = 'SimpleNet' | 'TeacherNet';

/** Sent by the worker while it trains (no request id): the progress, the loss, the digits it gets right. */
export interface TrainProgress {
  type: 'progress';
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
  /** Whether each digit of the page's grid of test digits is right, at this point of training. */
  right: boolean[] | null;
}

/** What a training request answers when its epoch is done. */
export interface TrainResult {
  name: string;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  seconds: number;
}

import type { CompressSettings } from './compress.js';
import type { LayerView } from './inspect.js';

/** How the engine runs here. */
export interface EngineInfo {
  backend: string;
  threads: number;
  simd: string;
  crossOriginIsolated: boolean;
  /** Why the page runs the TypeScript kernels on one thread, when it does. */
  fallback: string | null;
}

/** A model of the run folder, as loaded. */
export interface ModelInfo {
  name: string;
  /** What the model is: its class and its layers' kinds. */
  kind: string;
  /** Bytes of its weights as it holds them (`modelBytes`), and of its file. */
  bytes: number;
  fileBytes: number;
  /** Its parameters (stored values). */
  params: number;
  /** Accuracy on the page's slice of the test set. */
  accuracy: number | null;
}

/** What `models` answers: the run folder's models, and the ones that could not be read with why. */
export interface ModelsResult {
  run: string | null;
  models: ModelInfo[];
  failed: { name: string; error: string }[];
  testImages: number;
}

/** One model's answer for one input. */
export interface Answer {
  name: string;
  prediction: number;
  probabilities: number[];
}

/** What a test image request answers. */
export interface TestImage {
  input: Float32Array;
  label: number;
  index: number;
}

/** The answers of the worker, by request type. */
export interface Results {
  start: EngineInfo;
  models: ModelsResult;
  predict: { answers: Answer[]; ms: number };
  latency: { name: string; ms1: number }[];
  testImage: TestImage;
  train: TrainResult;
  compress: CompressResult;
  download: Uint8Array;
  inspect: LayerView[];
}

/** The worker's reply to request `id`. */
export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
