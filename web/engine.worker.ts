/// <reference lib="webworker" />
/**
 * The engine of the playground, in a dedicated worker: the wasm kernels block in
 * `Atomics.wait` while helper threads run their shares, which only a worker may do. It is
 * slimtensor's public API, the same code that runs in Node; the page only sends messages.
 */
import {
  argmax,
  compareLatency,
  decodeIdx,
  evaluate,
  exportOnnx,
  fit,
  init,
  MLP,
  type MnistSplit,
  type Module,
  mnistSplit,
  modelBytes,
  modelFromBytes,
  modelLatency,
  modelToBytes,
  noGrad,
  Rng,
  runPlanned,
  SimpleNet,
  softmax,
  TeacherNet,
  Tensor,
} from 'slimtensor';
import { compress } from './compress.js';
import { inspect } from './inspect.js';
import type {
  Answer,
  CompressResult,
  CompressSettings,
  EngineInfo,
  ModelInfo,
  ModelsResult,
  Reply,
  Request,
  Results,
  TestImage,
  TrainableModel,
  TrainProgress,
  TrainResult,
} from './protocol.js';

/** The slice of the test set the page scores models on. */
const TEST_SLICE = 1000;

/** The grid of test digits the page marks right or wrong while a model trains. */
const GRID = 100;

const models = new Map<string, Module>();
let trainSplit: MnistSplit | null = null;
/** The page's address: the worker's own is under assets/, and the data is served beside the page. */
let pageBase = self.location.href;
let test: MnistSplit | null = null;

async function fetchFromPage(path: string): Promise<Response> {
  const response = await fetch(new URL(path, pageBase));
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

async function fetchBytes(path: string): Promise<Uint8Array> {
  const response = await fetchFromPage(path);
  return new Uint8Array(await response.arrayBuffer());
}

async function start(page: string, threads: number | null): Promise<EngineInfo> {
  pageBase = page;
  const wasmBase = new URL('wasm/', page).href;
  const isolated = self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const info = await init(isolated ? { wasmBase, ...(threads ? { threads } : {}) } : { backend: 'js' });
  return {
    backend: info.name,
    threads: info.threads,
    simd: info.simd,
    crossOriginIsolated: isolated,
    fallback: isolated
      ? null
      : 'This page is not cross-origin isolated (served without the COOP and COEP headers), so it has no ' +
        'SharedArrayBuffer and cannot share wasm memory between threads: the engine runs its TypeScript kernels on one thread.',
  };
}

async function split(name: 'train' | 't10k'): Promise<MnistSplit> {
  const [images, labels] = await Promise.all([
    fetchBytes(`mnist/${name}-images-idx3-ubyte`),
    fetchBytes(`mnist/${name}-labels-idx1-ubyte`),
  ]);
  const imageFile = `${name}-images-idx3-ubyte`;
  const labelFile = `${name}-labels-idx1-ubyte`;
  return mnistSplit(decodeIdx(images, imageFile), decodeIdx(labels, labelFile), { imageFile, labelFile });
}

async function testSet(): Promise<MnistSplit> {
  test ??= await split('t10k');
  return test;
}

function sliceOf(split: MnistSplit, n: number): { x: Tensor; labels: Uint8Array } {
  const count = Math.min(n, split.count);
  return { x: new Tensor(split.images.slice(0, count * 784), [count, 1, 28, 28]), labels: split.labels.slice(0, count) };
}

function kindOf(model: Module): string {
  const layers = model.namedChildren().map(([, m]) => m.constructor.name);
  return `${model.constructor.name}: ${[...new Set(layers)].join(', ')}`;
}

async function loadModels(): Promise<ModelsResult> {
  const index = (await (await fetchFromPage('run/index.json')).json()) as { run: string | null; files: string[] };
  const split = await testSet();
  const slice = sliceOf(split, TEST_SLICE);
  const loaded: ModelInfo[] = [];
  const failed: { name: string; error: string }[] = [];
  models.clear();
  for (const file of index.files) {
    const name = file.replace(/\.safetensors$/, '');
    try {
      const bytes = await fetchBytes(`run/${file}`);
      const model = modelFromBytes(bytes, { source: file });
      models.set(name, model);
      loaded.push({
        name,
        kind: kindOf(model),
        bytes: modelBytes(model),
        fileBytes: bytes.length,
        params: model.numParameters(),
        accuracy: evaluate(model, slice),
      });
    } catch (e) {
      failed.push({ name: file, error: (e as Error).message });
    }
  }
  return { run: index.run, models: loaded, failed, testImages: split.count };
}

function predict(input: Float32Array): { answers: Answer[]; ms: number } {
  if (input.length !== 784) throw new Error(`predict: expected a 28 × 28 input (784 values), got ${input.length}`);
  const x = new Tensor(Float32Array.from(input), [1, 1, 28, 28]);
  const started = performance.now();
  const answers = noGrad(() =>
    [...models].map(([name, model]): Answer => {
      model.eval();
      const p = softmax(runPlanned(model, x), 1);
      return { name, prediction: argmax(p, 1).data[0], probabilities: Array.from(p.data) };
    }),
  );
  return { answers, ms: performance.now() - started };
}

function latency(): { name: string; ms1: number }[] {
  if (!test) return [];
  const x = sliceOf(test, 1).x;
  return [...models].map(([name, model]) => ({ name, ms1: modelLatency(model, x, { batchSize: 1 }) * 1000 }));
}

async function testImage(index: number): Promise<TestImage> {
  const split = await testSet();
  const i = ((index % split.count) + split.count) % split.count;
  return { input: split.images.slice(i * 784, (i + 1) * 784), label: split.labels[i], index: i };
}

/**
 * One epoch of a fresh model on the whole training set (60,000 images, batch 64, Adam 1e-3,
 * as the notebook), posting its progress every 10 steps and, every 100, which digits of the
 * grid it gets right. Between steps it blocks while the page's pause flag is set (a shared
 * word the page writes; a worker may wait on it). The trained model joins the others.
 */
async function train(which: TrainableModel, pause: Int32Array | null): Promise<TrainResult> {
  trainSplit ??= await split('train');
  const grid = sliceOf(await testSet(), GRID);
  const slice = sliceOf(await testSet(), TEST_SLICE);
  const model = which === 'SimpleNet' ? new SimpleNet(new Rng(0)) : new TeacherNet(new Rng(0));
  const gridRight = (): boolean[] =>
    noGrad(() => {
      model.eval();
      const guesses = argmax(runPlanned(model, grid.x), 1).data;
      model.train();
      return Array.from(grid.labels, (y, i) => guesses[i] === y);
    });
  let pausedSeconds = 0;
  const [epoch] = fit(model, trainSplit, {
    epochs: 1,
    seed: 0,
    onStep: (step) => {
      if (step.batch % 10 === 0 || step.batch === step.batches) {
        const progress: TrainProgress = {
          type: 'progress',
          batch: step.batch,
          batches: step.batches,
          loss: step.loss,
          imagesPerSecond: step.images / (step.seconds - pausedSeconds),
          right: step.batch % 100 === 0 || step.batch === step.batches ? gridRight() : null,
        };
        self.postMessage(progress);
      }
      if (pause && Atomics.load(pause, 0) === 1) {
        const since = performance.now();
        while (Atomics.load(pause, 0) === 1) Atomics.wait(pause, 0, 1);
        pausedSeconds += (performance.now() - since) / 1000;
      }
    },
  });
  const name = `${which} (trained here)`;
  models.set(name, model);
  const seconds = epoch.seconds - pausedSeconds;
  return { name, loss: epoch.loss, accuracy: evaluate(model, slice), imagesPerSecond: trainSplit.count / seconds, seconds };
}

/** The live model, rebuilt from `base` at each slider change (its figures on the page's 1,000 test images). */
async function compressLive(baseName: string, settings: CompressSettings): Promise<CompressResult> {
  const base = models.get(baseName);
  if (!(base instanceof MLP)) throw new Error(`compress: ${baseName} is not an MLP of the run folder or the page`);
  trainSplit ??= await split('train');
  const statsImages = new Tensor(trainSplit.images.slice(0, TEST_SLICE * 784), [TEST_SLICE, 1, 28, 28]);
  const { model, steps } = compress(base, settings, statsImages);
  const name = `live: ${baseName}`;
  models.set(name, model);
  const slice = sliceOf(await testSet(), TEST_SLICE);
  const time = compareLatency(base, model, slice.x, { batchSize: 1 });
  return {
    name,
    steps,
    bytes: modelBytes(model),
    fileBytes: modelToBytes(model).length,
    params: model.numParameters(),
    accuracy: evaluate(model, slice),
    ms1: time.model * 1000,
    base: { name: baseName, bytes: modelBytes(base), accuracy: evaluate(base, slice), ms1: time.base * 1000 },
  };
}

async function download(name: string, format: 'safetensors' | 'onnx'): Promise<Uint8Array> {
  const model = models.get(name);
  if (!model) throw new Error(`download: no model named ${name}`);
  return format === 'onnx' ? exportOnnx(model) : modelToBytes(model);
}

async function answer(request: Request): Promise<Results[Request['type']]> {
  switch (request.type) {
    case 'start':
      return start(request.page, request.threads);
    case 'models':
      return loadModels();
    case 'predict':
      return predict(request.input);
    case 'latency':
      return latency();
    case 'testImage':
      return testImage(request.index);
    case 'train':
      return train(request.model, request.pause);
    case 'compress':
      return compressLive(request.base, request.settings);
    case 'download':
      return download(request.name, request.format);
    case 'inspect': {
      const model = models.get(request.name);
      if (!model) throw new Error(`inspect: no model named ${request.name}`);
      return inspect(model);
    }
  }
}

self.onmessage = async (event: MessageEvent<{ id: number; request: Request }>) => {
  const { id, request } = event.data;
  let reply: Reply;
  try {
    reply = { id, ok: true, result: await answer(request) };
  } catch (e) {
    reply = { id, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  self.postMessage(reply);
};
