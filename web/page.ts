/**
 * What the playground's panels share: the engine worker and the one way to ask it, the
 * page's state (kept on `window.playground`, where a test reads it) and small helpers.
 */
import type {
  Answer,
  CompressResult,
  EngineInfo,
  ModelsResult,
  Reply,
  Request,
  Results,
  TrainableModel,
  TrainProgress,
  TrainResult,
} from './protocol.js';

const worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
/** Where the training panel hears the worker's progress. */
let progressListener: ((p: TrainProgress) => void) | null = null;

/** Sets the listener of the worker's training progress. */
export function onProgress(listener: (p: TrainProgress) => void): void {
  progressListener = listener;
}

worker.onmessage = (event: MessageEvent<Reply | TrainProgress>) => {
  if ('type' in event.data) {
    progressListener?.(event.data);
    return;
  }
  const reply = event.data;
  const waiting = pending.get(reply.id);
  pending.delete(reply.id);
  if (reply.ok) waiting?.resolve(reply.result);
  else waiting?.reject(new Error(reply.error));
};
worker.onerror = (event) => showError(`The engine worker failed: ${event.message}`);

/** Sends `request` to the engine and resolves with its answer. */
export function ask<T extends Request['type']>(request: Extract<Request, { type: T }>): Promise<Results[T]> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ id, request });
  });
}

export const $ = <E extends HTMLElement>(id: string): E => document.getElementById(id) as E;

export function showError(message: string): void {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

/** What the page shows, kept where a test can read it. */
export const state: {
  engine: EngineInfo | null;
  models: ModelsResult | null;
  input: Float32Array | null;
  answers: Answer[];
  predictMs: number | null;
  /**
   * What the page took, in ms (performance.now): until the engine started and until the
   * models were in (since navigation), from a stroke's end or a test image to every
   * model's answer shown, from a slider's change to its figures and chart shown.
   */
  timings: { engineReady?: number; modelsReady?: number; answer?: number; compress?: number };
  latency: Record<string, number>;
  training: { model: TrainableModel; losses: number[]; last: TrainProgress | null; result: TrainResult | null } | null;
  compressed: CompressResult | null;
} = {
  engine: null,
  models: null,
  input: null,
  answers: [],
  predictMs: null,
  timings: {},
  latency: {},
  training: null,
  compressed: null,
};
(window as unknown as { playground: typeof state }).playground = state;

/** Bytes as KB or MB. */
export function kb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** Sets entries of the URL's hash, keeping the others (each panel keeps its part of the view there). */
export function setHash(entries: Record<string, string>): void {
  const hash = new URLSearchParams(location.hash.slice(1));
  for (const [k, v] of Object.entries(entries)) hash.set(k, v);
  history.replaceState(null, '', `#${hash}`);
}

/** An entry of the URL's hash, or null. */
export function hashParam(key: string): string | null {
  return new URLSearchParams(location.hash.slice(1)).get(key);
}
