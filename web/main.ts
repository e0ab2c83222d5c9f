/**
 * The playground page: it draws, shows and asks; every number comes from the engine worker
 * (./engine.worker.ts), which runs slimtensor. Nothing here computes a model. This file is
 * the drawing pad and the models' answers; ./train-panel.ts and ./compress-panel.ts the rest.
 */
import { startCompress } from './compress-panel.js';
import { inspectFromHash, setUpInspect } from './inspect-panel.js';
import { $, ask, kb, showError, state } from './page.js';
import { inkFromRgba, mnistInput, SIDE } from './preprocess.js';
import type { ModelInfo } from './protocol.js';
import { setUpTraining } from './train-panel.js';

// Drawing: opaque strokes on a transparent canvas, so the ink is the alpha channel.
const pad = $<HTMLCanvasElement>('pad');
const pen = pad.getContext('2d', { willReadFrequently: true })!;
pen.lineWidth = 18;
pen.lineCap = 'round';
pen.lineJoin = 'round';
pen.strokeStyle = '#000';
let drawing = false;
pad.addEventListener('pointerdown', (e) => {
  drawing = true;
  pen.beginPath();
  pen.moveTo(e.offsetX, e.offsetY);
  pen.lineTo(e.offsetX, e.offsetY);
  pen.stroke();
});
pad.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  pen.lineTo(e.offsetX, e.offsetY);
  pen.stroke();
});
const endStroke = (): void => {
  if (!drawing) return;
  drawing = false;
  const input = mnistInput(inkFromRgba(pen.getImageData(0, 0, pad.width, pad.height).data, pad.width, pad.height));
  if (input) void show(input, null);
};
pad.addEventListener('pointerup', endStroke);
pad.addEventListener('pointerleave', endStroke);

$('clear').addEventListener('click', () => {
  pen.clearRect(0, 0, pad.width, pad.height);
  state.input = null;
});

let testIndex = 0;
$('test-image').addEventListener('click', async () => {
  try {
    const image = await ask({ type: 'testImage', index: testIndex++ * 97 });
    pen.clearRect(0, 0, pad.width, pad.height);
    await show(image.input, `test image ${image.index}, labelled ${image.label}`);
  } catch (e) {
    showError((e as Error).message);
  }
});

/** Shows the 28 × 28 input and every model's answer for it. */
async function show(input: Float32Array, note: string | null): Promise<void> {
  const started = performance.now();
  state.input = input;
  const view = $<HTMLCanvasElement>('input').getContext('2d')!;
  const pixels = view.createImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const v = Math.round(((1 - input[i]) / 2) * 255);
    pixels.data.set([v, v, v, 255], 4 * i);
  }
  view.putImageData(pixels, 0, 0);
  $('input-note').textContent = note ?? 'your digit, as the models see it';
  if (!state.models?.models.length) return;
  try {
    const { answers, ms } = await ask({ type: 'predict', input });
    state.answers = answers;
    state.predictMs = ms;
    renderModels();
    state.timings.answer = performance.now() - started;
  } catch (e) {
    showError((e as Error).message);
  }
}

function card(model: ModelInfo): HTMLElement {
  const el = document.createElement('div');
  el.className = 'model';
  el.dataset.model = model.name;
  const answer = state.answers.find((a) => a.name === model.name);
  const latency = state.latency[model.name];
  el.innerHTML = `<h3></h3><div class="kind"></div>
    <div>${kb(model.bytes)} of weights (file ${kb(model.fileBytes)}); accuracy ${
      model.accuracy === null ? '–' : `${(model.accuracy * 100).toFixed(1)}%`
    } on 1,000 test images; ${latency === undefined ? 'latency being measured' : `${latency.toFixed(3)} ms at batch 1`}</div>`;
  el.querySelector('h3')!.textContent = model.name;
  el.querySelector('.kind')!.textContent = model.kind;
  if (answer) {
    const guess = document.createElement('div');
    guess.className = 'guess';
    guess.textContent = `${answer.prediction}`;
    guess.title = `p = ${answer.probabilities[answer.prediction].toFixed(3)}`;
    const bars = document.createElement('div');
    bars.className = 'bars';
    answer.probabilities.forEach((p, digit) => {
      const label = document.createElement('span');
      label.textContent = String(digit);
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      bar.title = p.toFixed(4);
      bars.append(label, bar);
    });
    el.append(guess, bars);
  }
  return el;
}

function renderModels(): void {
  const list = $('models');
  list.replaceChildren(...(state.models?.models ?? []).map(card));
}

async function main(): Promise<void> {
  setUpTraining();
  setUpInspect();
  // ?threads=1 runs the engine on one thread (to compare with two); the default is one per core, at most 2.
  const threads = Number(new URLSearchParams(location.search).get('threads')) || null;
  const engine = await ask({ type: 'start', page: document.baseURI, threads });
  state.engine = engine;
  $('engine').textContent = `Engine: slimtensor ${engine.backend} backend, ${engine.threads} thread(s)${
    engine.backend === 'wasm' ? `, ${engine.simd} SIMD` : ''
  }; cross-origin isolated: ${engine.crossOriginIsolated ? 'yes' : 'no'}.`;
  if (engine.fallback) {
    $('fallback').textContent = engine.fallback;
    $('fallback').hidden = false;
  }
  state.timings.engineReady = performance.now();
  document.body.dataset.engine = 'ready';
  try {
    const models = await ask({ type: 'models' });
    state.models = models;
    const failed = models.failed.map((f) => `${f.name}: ${f.error}`).join('\n');
    if (failed) showError(`Some model files could not be read:\n${failed}`);
    $('run').textContent = models.run
      ? `Run folder ${models.run}: ${models.models.length} models.`
      : 'No run folder: run `npm start` (or `slimtensor all --quick`) to make one, then reload.';
    renderModels();
    state.timings.modelsReady = performance.now();
    document.body.dataset.models = 'ready';
    await startCompress();
    await inspectFromHash();
    for (const { name, ms1 } of await ask({ type: 'latency' })) state.latency[name] = ms1;
    renderModels();
    document.body.dataset.latency = 'ready';
  } catch (e) {
    showError((e as Error).message);
    document.body.dataset.models = 'failed';
  }
}

main().catch((e) => {
  showError(`The engine could not start: ${(e as Error).message}`);
  document.body.dataset.engine = 'failed';
});
