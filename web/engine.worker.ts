/// <reference lib="webworker" />
/**
 * The engine of the playground, in a dedicated worker: the wasm kernels block in
 * `Atomics.wait` while helper threads run their shares, which only a worker may do. It is
 * slimtensor's public API, the same code that runs in Node; the page only sends messages.
 */
import {
  argmax,
  decodeIdx,
  evaluate,
  init,
  type MnistSplit,
  type Module,
  mnistSplit,
  modelBytes,
  modelFromBytes,
  modelLatency,
  noGrad,
  runPlanned,
  softmax,
  Tensor,
} from 'slimtensor';
import type { Answer, EngineInfo, ModelInfo, ModelsResult, Reply, Request, Results, TestImage } from './protocol.js';

/** The slice of the test set the page scores models on. */
const TEST_SLICE = 1000;

const models = new Map<string, Module>();
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

async function start(page: string): Promise<EngineInfo> {
  pageBase = page;
  const wasmBase = new URL('wasm/', page).href;
  const isolated = self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const info = await init(isolated ? { wasmBase } : { backend: 'js' });
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

async function testSet(): Promise<MnistSplit> {
  if (!test) {
    const [images, labels] = await Promise.all([fetchBytes('mnist/t10k-images-idx3-ubyte'), fetchBytes('mnist/t10k-labels-idx1-ubyte')]);
    test = mnistSplit(decodeIdx(images, 't10k-images-idx3-ubyte'), decodeIdx(labels, 't10k-labels-idx1-ubyte'), {
      imageFile: 't10k-images-idx3-ubyte',
      labelFile: 't10k-labels-idx1-ubyte',
    });
  }
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
      loaded.push({ name, kind: kindOf(model), bytes: modelBytes(model), fileBytes: bytes.length, accuracy: evaluate(model, slice) });
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

async function answer(request: Request): Promise<Results[Request['type']]> {
  switch (request.type) {
    case 'start':
      return start(request.page);
    case 'models':
      return loadModels();
    case 'predict':
      return predict(request.input);
    case 'latency':
      return latency();
    case 'testImage':
      return testImage(request.index);
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
