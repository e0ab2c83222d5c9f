/**
 * The "look inside" panel: a model's layers, each with its picture, its histogram, its
 * sparsity and int8 scales, and its singular values where it has them (web/inspect.ts).
 */
import { $, ask, hashParam, setHash, showError, state } from './page.js';
import type { LayerView } from './protocol.js';

function picture(image: LayerView['image'], scale: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.style.width = `${image.width * scale}px`;
  canvas.style.imageRendering = 'pixelated';
  const g = canvas.getContext('2d')!;
  const pixels = g.createImageData(image.width, image.height);
  for (let i = 0; i < image.data.length; i++) pixels.data.set([image.data[i], image.data[i], image.data[i], 255], 4 * i);
  g.putImageData(pixels, 0, 0);
  return canvas;
}

/** Bars (a histogram) or a line (a spectrum) on a small canvas. */
function plot(values: number[], kind: 'bars' | 'line', label: string): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = 240;
  canvas.height = 90;
  const g = canvas.getContext('2d')!;
  const top = Math.max(...values, 1e-12);
  const w = (canvas.width - 10) / values.length;
  g.fillStyle = g.strokeStyle = '#4a7bd0';
  g.beginPath();
  values.forEach((v, i) => {
    const h = (v / top) * (canvas.height - 20);
    if (kind === 'bars') g.fillRect(5 + i * w, canvas.height - 5 - h, Math.max(1, w - 1), h);
    else if (i === 0) g.moveTo(5, canvas.height - 5 - h);
    else g.lineTo(5 + i * w, canvas.height - 5 - h);
  });
  if (kind === 'line') g.stroke();
  g.fillStyle = '#555';
  g.fillText(label, 5, 10);
  return canvas;
}

function layerCard(layer: LayerView): HTMLElement {
  const el = document.createElement('div');
  el.className = 'layer';
  el.dataset.layer = layer.name;
  el.dataset.sparsity = String(layer.sparsity);
  const head = document.createElement('div');
  const scales = layer.scales
    ? `; int8, ${layer.scales.length} scale(s) from ${Math.min(...layer.scales).toExponential(2)} to ` +
      `${Math.max(...layer.scales).toExponential(2)}`
    : '';
  head.textContent =
    `${layer.name}: ${layer.kind} [${layer.shape.join(', ')}], ${layer.stored.toLocaleString('en')} stored values, ` +
    `${(layer.sparsity * 100).toFixed(1)}% zeros${scales}`;
  el.append(head, picture(layer.image, layer.shape.length === 4 ? 4 : Math.max(1, Math.floor(256 / layer.image.width))));
  const { lo, hi, counts } = layer.histogram;
  el.append(plot(counts, 'bars', `weights from ${lo.toFixed(3)} to ${hi.toFixed(3)}`));
  if (layer.spectrum)
    el.append(plot(layer.spectrum, 'line', `${layer.spectrum.length} singular values, σ₁ = ${layer.spectrum[0].toFixed(2)}`));
  return el;
}

/** Shows the model the URL's hash names, if it is one of the list (a shared link's view). */
export async function inspectFromHash(): Promise<void> {
  refreshInspectList();
  const name = hashParam('inspect');
  if (name && [...$<HTMLSelectElement>('inspect-model').options].some((o) => o.value === name)) {
    $<HTMLSelectElement>('inspect-model').value = name;
    await show();
  }
}

/** Fills the model list (the run's, the live one, the ones trained here), keeping the chosen one. */
export function refreshInspectList(): void {
  const select = $<HTMLSelectElement>('inspect-model');
  const names = [...(state.models?.models ?? []).map((m) => m.name)];
  if (state.compressed) names.push(state.compressed.name);
  if (state.training?.result) names.push(state.training.result.name);
  const chosen = select.value;
  select.replaceChildren(...[...new Set(names)].map((n) => new Option(n, n)));
  if (names.includes(chosen)) select.value = chosen;
}

async function show(): Promise<void> {
  const name = $<HTMLSelectElement>('inspect-model').value;
  if (!name) return;
  try {
    const layers = await ask({ type: 'inspect', name });
    $('layers').replaceChildren(...layers.map(layerCard));
    setHash({ inspect: name });
    document.body.dataset.inspected = name;
  } catch (e) {
    showError((e as Error).message);
  }
}

/** Wires the panel (called once by the page). */
export function setUpInspect(): void {
  $('inspect-model').addEventListener('change', () => void show());
  $('inspect').addEventListener('click', () => {
    refreshInspectList();
    void show();
  });
}
