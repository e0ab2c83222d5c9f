/**
 * The training panel: one epoch of SimpleNet or the teacher in the engine worker, with its
 * progress, loss curve, images per second and a grid of test digits marked right or wrong.
 * The pause flag is a word of memory the page and the worker share (cross-origin isolated
 * pages only): the worker blocks on it between steps.
 */

import { $, ask, onProgress, showError, state } from './page.js';
import { SIDE } from './preprocess.js';
import type { TrainableModel, TrainProgress } from './protocol.js';

const pauseFlag = typeof SharedArrayBuffer === 'function' && crossOriginIsolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
const pauseButton = $<HTMLButtonElement>('pause');
const trainButtons = [$<HTMLButtonElement>('train-simple'), $<HTMLButtonElement>('train-teacher')];

function drawGrid(right: boolean[] | null): void {
  const grid = $('grid');
  if (grid.childElementCount === 0 && testImages.length > 0) {
    for (const image of testImages) {
      const c = document.createElement('canvas');
      c.width = SIDE;
      c.height = SIDE;
      const g = c.getContext('2d')!;
      const pixels = g.createImageData(SIDE, SIDE);
      for (let i = 0; i < SIDE * SIDE; i++) {
        const v = Math.round(((1 - image[i]) / 2) * 255);
        pixels.data.set([v, v, v, 255], 4 * i);
      }
      g.putImageData(pixels, 0, 0);
      grid.append(c);
    }
  }
  if (right) for (const [i, c] of [...grid.children].entries()) c.setAttribute('class', right[i] ? 'right' : 'wrong');
}

function drawLossCurve(losses: number[]): void {
  const canvas = $<HTMLCanvasElement>('loss-curve');
  const g = canvas.getContext('2d')!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const top = Math.max(...losses);
  g.strokeStyle = '#4a7bd0';
  g.beginPath();
  losses.forEach((loss, i) => {
    const x = 30 + (i / (losses.length - 1)) * (canvas.width - 40);
    const y = canvas.height - 20 - (loss / top) * (canvas.height - 30);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
  g.fillStyle = '#555';
  g.fillText(`loss ${top.toFixed(2)}`, 2, 12);
  g.fillText('0', 2, canvas.height - 20);
  g.fillText('batches →', canvas.width - 70, canvas.height - 5);
}

/** When the panel last drew, and whether a drawing is waiting for its frame. */
let lastDrawn = 0;
let drawPending = false;

/**
 * Records the worker's progress and redraws the panel at most four times a second, in an
 * animation frame. Every redraw is style, layout and raster work for the page's threads,
 * which share the machine's cores with the engine worker and its helper: drawn at each of
 * SimpleNet's 94 progress messages, the page trained about 5% slower (bench playground).
 */
function showProgress(p: TrainProgress): void {
  if (!state.training) return;
  state.training.last = p;
  state.training.losses.push(p.loss);
  if (p.right) drawGrid(p.right);
  const final = p.batch === p.batches;
  if (drawPending || (!final && performance.now() - lastDrawn < 250)) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    lastDrawn = performance.now();
    const training = state.training;
    const last = training?.last;
    // Once the epoch has ended, its result text stays.
    if (!training || !last || training.result) return;
    $<HTMLProgressElement>('train-progress').value = last.batch / last.batches;
    $('train-status').textContent =
      `${training.model}: batch ${last.batch} of ${last.batches}, ` +
      `loss ${last.loss.toFixed(3)}, ${Math.round(last.imagesPerSecond)} images/s`;
    drawLossCurve(training.losses);
  });
}

/** The grid's test digits (the first 100 of the test set), fetched once. */
const testImages: Float32Array[] = [];

async function train(model: TrainableModel): Promise<void> {
  for (const b of trainButtons) b.disabled = true;
  pauseButton.disabled = !pauseFlag;
  pauseButton.title = pauseFlag
    ? ''
    : 'Pausing needs memory shared with the worker, which this page cannot have (not cross-origin isolated)';
  state.training = { model, losses: [], last: null, result: null };
  try {
    if (testImages.length === 0) for (let i = 0; i < 100; i++) testImages.push((await ask({ type: 'testImage', index: i })).input);
    drawGrid(null);
    const result = await ask({ type: 'train', model, pause: pauseFlag });
    state.training.result = result;
    $('train-status').textContent =
      `${result.name}: loss ${result.loss.toFixed(3)}, accuracy ${(result.accuracy * 100).toFixed(2)}% on 1,000 test images, ` +
      `${Math.round(result.imagesPerSecond)} images/s (${result.seconds.toFixed(1)} s)`;
    document.body.dataset.trained = result.name;
    document.dispatchEvent(new Event('slimtensor:trained'));
  } catch (e) {
    showError((e as Error).message);
  } finally {
    for (const b of trainButtons) b.disabled = false;
    pauseButton.disabled = true;
  }
}

/**
 * Wires the panel's buttons and the worker's progress (called once by the page: the package
 * declares no side effects, so a module that only registered listeners would be dropped).
 */
export function setUpTraining(): void {
  trainButtons[0].addEventListener('click', () => void train('SimpleNet'));
  trainButtons[1].addEventListener('click', () => void train('TeacherNet'));
  pauseButton.addEventListener('click', () => {
    if (!pauseFlag) return;
    const paused = Atomics.load(pauseFlag, 0) === 1;
    Atomics.store(pauseFlag, 0, paused ? 0 : 1);
    if (paused) Atomics.notify(pauseFlag, 0);
    pauseButton.textContent = paused ? 'Pause' : 'Resume';
  });

  onProgress(showProgress);
}
