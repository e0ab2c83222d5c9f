/**
 * The compress panel: sliders for the activation threshold, fc3's rank and the target
 * sparsity, and a toggle for int8. Each change rebuilds the live model in the engine worker
 * (web/compress.ts) and shows its figures and its point on the accuracy-vs-bytes chart;
 * the sliders and the base go in the URL's hash, so a shared link shows the same view.
 */
import { $, ask, kb, setHash, showError, state } from './page.js';
import type { CompressResult, CompressSettings } from './protocol.js';

const controls = {
  base: $<HTMLSelectElement>('base'),
  activation: $<HTMLInputElement>('activation'),
  rank: $<HTMLInputElement>('rank'),
  sparsity: $<HTMLInputElement>('sparsity'),
  int8: $<HTMLInputElement>('int8'),
};

function settings(): CompressSettings {
  return {
    activation: Number(controls.activation.value),
    rank: Number(controls.rank.value),
    sparsity: Number(controls.sparsity.value),
    int8: controls.int8.checked,
  };
}

function readHash(): void {
  const hash = new URLSearchParams(location.hash.slice(1));
  for (const key of ['activation', 'rank', 'sparsity'] as const) {
    const v = hash.get(key);
    if (v !== null && Number.isFinite(Number(v))) controls[key].value = v;
  }
  controls.int8.checked = hash.get('int8') === '1';
}

function writeHash(): void {
  const s = settings();
  setHash({
    base: controls.base.value,
    activation: String(s.activation),
    rank: String(s.rank),
    sparsity: String(s.sparsity),
    int8: s.int8 ? '1' : '0',
  });
}

/** The bases the sliders can start from: the run's and the page's SimpleNets (dense MLPs 784-512-256-128-10). */
function fillBases(preferred: string | null): void {
  const names = (state.models?.models ?? []).filter((m) => m.kind === 'MLP: Linear' && m.params === 567434).map((m) => m.name);
  if (state.training?.result?.name.startsWith('SimpleNet')) names.push(state.training.result.name);
  controls.base.replaceChildren(...names.map((n) => new Option(n, n)));
  const want = preferred ?? controls.base.value;
  if (names.includes(want)) controls.base.value = want;
}

let compressing: Promise<void> | null = null;
let again = false;

async function recompress(): Promise<void> {
  writeHash();
  for (const key of ['activation', 'rank', 'sparsity'] as const) $(`${key}-value`).textContent = controls[key].value;
  if (!controls.base.value) {
    $('compress-result').textContent = 'No SimpleNet to compress: make a run folder (npm start) or train one below.';
    return;
  }
  if (compressing) {
    again = true;
    return;
  }
  compressing = (async () => {
    do {
      again = false;
      try {
        const used = settings();
        const started = performance.now();
        const r = await ask({ type: 'compress', base: controls.base.value, settings: used });
        state.compressed = r;
        $('compress-result').textContent =
          `${r.steps.join('; ') || 'nothing removed'}: ${r.params.toLocaleString('en')} parameters, ${kb(r.bytes)} of weights ` +
          `(file ${kb(r.fileBytes)}), accuracy ${(r.accuracy * 100).toFixed(1)}% on 1,000 test images, ${r.ms1.toFixed(3)} ms at ` +
          `batch 1; the base: ${kb(r.base.bytes)}, ${(r.base.accuracy * 100).toFixed(1)}%, ` +
          `${r.base.ms1.toFixed(3)} ms (timed side by side)`;
        for (const b of ['download-safetensors', 'download-onnx']) $<HTMLButtonElement>(b).disabled = false;
        await drawChart(r);
        state.timings.compress = performance.now() - started;
        document.body.dataset.compressed = JSON.stringify(used);
      } catch (e) {
        showError((e as Error).message);
      }
    } while (again);
    compressing = null;
  })();
  await compressing;
}

/** The notebook's own points (served by the playground's server from src/report/notebook.ts), fetched once. */
let notebook: { name: string; bytes: number; accuracy: number }[] | null = null;

async function drawChart(live: CompressResult): Promise<void> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  notebook ??= (await (await fetch(new URL('notebook.json', document.baseURI))).json()) as typeof notebook;
  const points = [
    ...notebook!.map((p) => ({ name: p.name, source: 'the notebook', kb: p.bytes / 1024, accuracy: p.accuracy })),
    ...(state.models?.models ?? []).map((m) => ({
      name: m.name,
      source: 'run folder',
      kb: m.bytes / 1024,
      accuracy: (m.accuracy ?? 0) * 100,
    })),
    { name: live.name, source: 'live', kb: live.bytes / 1024, accuracy: live.accuracy * 100 },
  ];
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 520,
    height: 260,
    data: { values: points },
    mark: { type: 'point', filled: true, size: 80, tooltip: true },
    encoding: {
      x: {
        field: 'kb',
        type: 'quantitative',
        scale: { type: 'log' },
        axis: { labelOverlap: 'greedy' },
        title: 'KB of weights (log scale)',
      },
      y: { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy (%): 1,000 images; the notebook 10,000' },
      color: {
        field: 'source',
        type: 'nominal',
        scale: { domain: ['the notebook', 'run folder', 'live'], range: ['#aaa', '#4a7bd0', '#d33'] },
      },
      tooltip: [{ field: 'name' }, { field: 'kb', format: '.1f' }, { field: 'accuracy', format: '.1f' }],
    },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'svg' });
  $('chart').innerHTML = await view.toSVG();
}

async function save(format: 'safetensors' | 'onnx'): Promise<void> {
  if (!state.compressed) return;
  try {
    const bytes = await ask({ type: 'download', name: state.compressed.name, format });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    link.download = `${state.compressed.name.replace(/[^\w.-]+/g, '-')}.${format}`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  } catch (e) {
    showError((e as Error).message);
  }
}

/** Once the models are in: the view the URL's hash names, then its live model. */
export async function startCompress(): Promise<void> {
  for (const c of [controls.base, controls.activation, controls.rank, controls.sparsity, controls.int8])
    c.addEventListener(c instanceof HTMLInputElement && c.type === 'range' ? 'input' : 'change', () => void recompress());
  $('download-safetensors').addEventListener('click', () => void save('safetensors'));
  $('download-onnx').addEventListener('click', () => void save('onnx'));
  document.addEventListener('slimtensor:trained', () => fillBases(null));
  readHash();
  fillBases(new URLSearchParams(location.hash.slice(1)).get('base'));
  await recompress();
}
