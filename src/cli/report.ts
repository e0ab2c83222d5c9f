import type { AllResult } from '../experiments/all.js';
import { barCharts, lineChart, scatterChart, scatterPanels, type Chart } from '../report/charts.js';
import { CORRECTIONS, NOTEBOOK } from '../report/notebook.js';
import { formatMarkdown, type Column } from '../report/table.js';
import { ACTIVATION_COLUMNS } from './activation-prune.js';
import { SUMMARY_COLUMNS } from './distill.js';
import { ENERGY_COLUMNS, RANK_COLUMNS } from './low-rank.js';
import { FINE_TUNE_COLUMNS, SWEEP_COLUMNS } from './prune.js';
import { LAYER_COLUMNS, QUANT_COLUMNS } from './quantize.js';

/** The float32 bytes of SimpleNet's biases (512 + 256 + 128 + 10), added to weight-only sizes. */
const BIAS_BYTES = 4 * 906;

/** The charts of a run: each section's main curve with the notebook's beside it, and the trade-off across methods. */
export function charts(r: AllResult): Chart[] {
  const out: Chart[] = [];
  const s = r.sections;
  const tradeoff: Record<string, string | number>[] = [];
  // Every model's accuracy with its forward time at batch 1 and 64 (ms), for the speed chart.
  const speed: Record<string, string | number>[] = [];
  const fast = (name: string, method: string, accuracy: number, s1: number, s64: number): void => {
    speed.push({ name, method, accuracy: accuracy * 100, ms1: s1 * 1000, ms64: s64 * 1000 });
  };
  if (s.distill) {
    for (const m of s.distill.models) tradeoff.push({ name: m.model, method: 'distillation', bytes: m.bytes, accuracy: m.accuracy * 100 });
    for (const m of s.distill.models) fast(m.model, m.model === 'teacher' ? 'teacher CNN (fp32)' : 'distilled student', m.accuracy, m.latency1, m.latencyBatch);
  }
  if (s.prune) {
    const ours = s.prune.sweep.map((x) => ({ source: 'slimtensor', zeros: x.zeroPercent, accuracy: x.accuracy * 100 }));
    const nb = NOTEBOOK.prune.sweep.map(([, acc, zeros]) => ({ source: 'notebook', zeros, accuracy: acc }));
    out.push(lineChart('pruning-accuracy-vs-sparsity.svg', 'Zero pruning: accuracy vs sparsity', [...ours, ...nb],
      { x: ['weights set to zero (%)', 'zeros'], y: ['test accuracy (%)', 'accuracy'], series: 'source' }));
    for (const x of s.prune.sweep) tradeoff.push({ name: `λ=${x.threshold}`, method: 'magnitude pruning (CSR)', bytes: x.csrBytesNarrow + BIAS_BYTES, accuracy: x.accuracy * 100 });
    const dense = s.prune.sweep[0];
    if (dense) fast('SimpleNet', 'dense fp32', s.prune.baseAccuracy, dense.denseLatency1, dense.denseLatency64);
    for (const x of s.prune.sweep) fast(`λ=${x.threshold}`, 'magnitude pruning (CSR)', x.accuracy, x.sparseLatency1, x.sparseLatency64);
    for (const x of s.prune.fineTune) fast(`${(x.sparsity * 100).toFixed(0)}% + fine-tune`, 'pruning + fine-tuning (CSR)', x.accuracy, x.sparseLatency1, x.sparseLatency64);
    for (const x of s.prune.fineTune) tradeoff.push({ name: `${(x.sparsity * 100).toFixed(0)}% + fine-tune`, method: 'pruning + fine-tuning (CSR)', bytes: x.csrBytes + BIAS_BYTES, accuracy: x.accuracy * 100 });
  }
  if (s['activation-prune']) {
    const a = s['activation-prune'];
    const ours = a.sweep.map((x) => ({ source: 'slimtensor', params: x.newParams, accuracy: x.accuracy * 100 }));
    const nb = NOTEBOOK.activation.sweep.map(([, acc, red]) => ({ source: 'notebook', params: Math.round(NOTEBOOK.activation.params * (1 - red)), accuracy: acc }));
    out.push(lineChart('activation-accuracy-vs-params.svg', 'Activation pruning: accuracy vs parameters', [...ours, ...nb],
      { x: ['parameters', 'params'], y: ['test accuracy (%)', 'accuracy'], series: 'source' }));
    for (const x of a.sweep) fast(`threshold ${x.threshold}`, 'activation pruning', x.accuracy, x.latency1, x.latencyBatch);
    for (const x of a.sweep) tradeoff.push({ name: `threshold ${x.threshold}`, method: 'activation pruning', bytes: 4 * x.newParams, accuracy: x.accuracy * 100 });
  }
  if (s['low-rank']) {
    const l = s['low-rank'];
    const ours = l.sweep.map((x) => ({ source: 'slimtensor', rank: x.rank, accuracy: x.accuracy * 100 }));
    const nb = NOTEBOOK.lowRank.sweep.map(([rank, acc]) => ({ source: 'notebook', rank, accuracy: acc }));
    out.push(lineChart('lowrank-accuracy-vs-rank.svg', 'Low-rank fc3: accuracy vs rank', [...ours, ...nb],
      { x: ['rank of fc3 (log scale)', 'rank'], y: ['test accuracy (%)', 'accuracy'], series: 'source', xScale: 'log' }));
    out.push(lineChart('lowrank-spectrum.svg', 'Singular values of fc3 (256 → 128)', l.spectrum.map((sigma, i) => ({ index: i + 1, sigma })),
      { x: ['index i', 'index'], y: ['singular value σᵢ', 'sigma'], yZero: true }));
    const dense = l.original.params;
    for (const x of l.sweep) tradeoff.push({ name: `fc3 rank ${x.rank}`, method: 'low-rank fc3', bytes: 4 * (dense - 32768 + x.newParams), accuracy: x.accuracy * 100 });
    for (const x of l.sweep) fast(`fc3 rank ${x.rank}`, 'low-rank fc3', x.accuracy, x.netLatency1, x.netLatency64);
    for (const e of l.energy) fast(`energy ${e.energy}`, 'low-rank, all layers', e.accuracy, e.netLatency1, e.netLatency64);
    for (const e of l.energy) tradeoff.push({ name: `energy ${e.energy}`, method: 'low-rank, all layers', bytes: 4 * e.params, accuracy: (e.fineTuned ?? e.accuracy) * 100 });
  }
  if (s.quantize) {
    const rows = s.quantize.rows.map((x) => ({ model: x.model, scheme: x.scheme, accuracy: x.accuracy * 100, kib: x.weightBytes / 1024, ms: x.latency64 * 1000 }));
    out.push(barCharts('quantization.svg', 'fp32 vs int8: accuracy, size, latency (batch 64)', rows, ['model', 'model'], 'scheme',
      [['test accuracy (%)', 'accuracy'], ['weights (KiB)', 'kib'], ['ms per batch of 64', 'ms']]));
    for (const x of s.quantize.rows) {
      fast(`${x.model} ${x.scheme}`, x.scheme === 'fp32' ? (x.model === 'teacher' ? 'teacher CNN (fp32)' : 'dense fp32') : 'int8 quantization', x.accuracy, x.latency1, x.latency64);
    }
    for (const x of s.quantize.rows) tradeoff.push({ name: `${x.model} ${x.scheme}`, method: x.scheme === 'fp32' ? 'fp32 baseline' : 'int8 quantization', bytes: x.weightBytes, accuracy: x.accuracy * 100 });
  }
  if (tradeoff.length > 0) {
    // Models more than 15 points below the best are off the useful frontier and squash the axis.
    const best = Math.max(...tradeoff.map((t) => t.accuracy as number));
    out.push(scatterChart('tradeoff-accuracy-vs-bytes.svg', 'Every compressed model: accuracy vs bytes', tradeoff.filter((t) => (t.accuracy as number) >= best - 15),
      { x: ['bytes of the model (log scale)', 'bytes'], y: ['test accuracy (%)', 'accuracy'], series: 'method' }));
  }
  if (speed.length > 0) {
    const best = Math.max(...speed.map((t) => t.accuracy as number));
    out.push(scatterPanels('tradeoff-accuracy-vs-latency.svg', 'Every compressed model: accuracy vs forward time (default backend)',
      speed.filter((t) => (t.accuracy as number) >= best - 15), ['test accuracy (%)', 'accuracy'], 'method',
      [['ms per image at batch 1 (log scale)', 'ms1'], ['ms per batch of 64 (log scale)', 'ms64']]));
  }
  return out;
}

const fmtS = (v: number): string => `${v.toFixed(1)} s`;

/** report.md: timings, then each section's table beside the notebook's figures and the one-line correction. */
export function reportMarkdown(r: AllResult, chartFiles: string[]): string {
  const s = r.sections;
  const lines: string[] = [
    '# slimtensor: the compression notebook, reproduced',
    '',
    `${r.quick ? '**Quick look** (a slice of MNIST, 1 epoch): figures are not comparable with the notebook. ' : ''}` +
      `Seed ${r.seed}, ${r.epochs} epoch(s), ${r.trainImages} training and ${r.testImages} test images; ` +
      `${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}, backend ${r.machine.backend}${r.machine.simd && r.machine.simd !== 'none' ? ` (${r.machine.simd} SIMD)` : ''}, ${r.machine.threads} thread(s).`,
    '',
    '## Time',
    '',
    '| part | notebook\'s work | extras | total |',
    '|---|---:|---:|---:|',
    ...Object.entries(r.seconds).map(([k, v]) => `| ${k} | ${fmtS(v.notebook)} | ${fmtS(v.extras)} | ${fmtS(v.notebook + v.extras)} |`),
    `| **all** | ${fmtS(Object.values(r.seconds).reduce((a, v) => a + v.notebook, 0))} | ${fmtS(Object.values(r.seconds).reduce((a, v) => a + v.extras, 0))} | ${fmtS(r.totalSeconds)} |`,
    '',
    'Sections 2–5 share one trained SimpleNet (the notebook retrains the same network in each).',
    '',
  ];
  const section = (title: string, key: string, body: string[]): void => {
    lines.push(`## ${title}`, '', `*What the notebook measured wrongly:* ${CORRECTIONS[key]}`, '', ...body, '');
  };
  const chart = (file: string): string[] => (chartFiles.includes(file) ? [`![${file}](${file})`, ''] : []);
  if (s.distill) {
    const d = s.distill;
    section('1. Knowledge distillation', 'distill', [
      `Notebook: teacher ${NOTEBOOK.distill.teacherAccuracy}%, KD student ${NOTEBOOK.distill.studentAccuracy}% (its \`%timeit evaluate\`: ${NOTEBOOK.distill.teacherTimeit} s and ${NOTEBOOK.distill.studentTimeit} s, loader included).`,
      '', formatMarkdown(d.models, SUMMARY_COLUMNS), '',
      `KD (T=4, α=0.5) minus labels only: ${d.kdGainPoints >= 0 ? '+' : ''}${d.kdGainPoints.toFixed(2)} points.`,
    ]);
  }
  if (s.prune) {
    const p = s.prune;
    const best = p.bestWithinHalfPoint;
    section('2. Zero (magnitude) pruning', 'prune', [
      `Notebook (λ, accuracy %, zeros %): ${NOTEBOOK.prune.sweep.map(([l, a, z]) => `${l}: ${a}, ${z}`).join('; ')}. Sizes at λ=0.03: ${NOTEBOOK.prune.denseMB} MB dense, "${NOTEBOOK.prune.csrMB} MB" CSR (values only).`,
      '', formatMarkdown(p.sweep, SWEEP_COLUMNS), '', ...chart('pruning-accuracy-vs-sparsity.svg'),
      `Prune → fine-tune rounds (unpruned: ${(p.baseAccuracy * 100).toFixed(2)}%):`, '', formatMarkdown(p.fineTune, FINE_TUNE_COLUMNS), '',
      best ? `Sparsest within 0.5 point: ${(best.sparsity * 100).toFixed(1)}% zeros (${best.reduction.toFixed(1)}× fewer weights) at ${(best.accuracy * 100).toFixed(2)}%.` : 'No round stayed within 0.5 point.',
    ]);
  }
  if (s['activation-prune']) {
    const a = s['activation-prune'];
    section('3. Activation pruning', 'activation-prune', [
      `Notebook (threshold, accuracy %, size reduction): ${NOTEBOOK.activation.sweep.map(([t, acc, red]) => `${t}: ${acc}, ${red}`).join('; ')}.`,
      '', formatMarkdown(a.sweep, ACTIVATION_COLUMNS), '', ...chart('activation-accuracy-vs-params.svg'),
    ]);
  }
  if (s['low-rank']) {
    const l = s['low-rank'];
    section('4. Low-rank factorization of fc3', 'low-rank', [
      `Notebook (rank, accuracy %, params counted): ${NOTEBOOK.lowRank.sweep.map(([k, acc, p]) => `${k}: ${acc}, ${p}`).join('; ')}. Break-even rank here: ${l.breakEven.toFixed(1)}.`,
      '', formatMarkdown(l.sweep, RANK_COLUMNS), '', ...chart('lowrank-accuracy-vs-rank.svg'), ...chart('lowrank-spectrum.svg'),
      `Every hidden layer by spectral energy (original ${l.original.params} params, ${(l.original.flops / 1e6).toFixed(3)} MFLOP/image):`, '',
      formatMarkdown(l.energy, ENERGY_COLUMNS),
    ]);
  }
  if (s.quantize) {
    const qz = s.quantize;
    section('5. Dynamic int8 quantization', 'quantize', [
      `Notebook: ${NOTEBOOK.quantize.accuracy}% (no size, no speed).`, '',
      formatMarkdown(qz.rows, QUANT_COLUMNS as Column<(typeof qz.rows)[number]>[]), '', ...chart('quantization.svg'),
      formatMarkdown(qz.layers, LAYER_COLUMNS),
    ]);
  }
  if (chartFiles.includes('tradeoff-accuracy-vs-bytes.svg')) lines.push('## Every method: accuracy vs bytes', '', ...chart('tradeoff-accuracy-vs-bytes.svg'));
  if (chartFiles.includes('tradeoff-accuracy-vs-latency.svg')) {
    lines.push('## Every method: accuracy vs speed', '', `Model-only forward time on the ${r.machine.backend} backend, at batch 1 and per batch of 64; each section's table gives the speed-up over its dense model.`, '',
      ...chart('tradeoff-accuracy-vs-latency.svg'));
  }
  return `${lines.join('\n')}\n`;
}
