import { type Chart, frontPanels } from './charts.js';

/** A model on the accuracy-vs-bytes chart. */
export interface BytesPoint {
  name: string;
  method: string;
  /** The model it was compressed from (one panel per base model); default: its part's `base`. */
  base?: string;
  bytes: number;
  /** Percent. */
  accuracy: number;
}

/** A model on the accuracy-vs-latency chart: milliseconds at batch 1 and per batch of 64. */
export interface SpeedPoint {
  name: string;
  method: string;
  /** The model it was compressed from; default: its part's `base`. */
  base?: string;
  /** Percent. */
  accuracy: number;
  ms1: number;
  ms64: number;
}

/** What one section adds to report.md: its text, its own charts, and its models on the two trade-off charts. */
export interface ReportPart {
  title: string;
  /** What the notebook measured wrongly, in one line (a part the notebook has no counterpart of has none). */
  correction?: string;
  /** Markdown; a line `chart:<file>` stands for that chart's image. */
  lines: string[];
  charts: Chart[];
  /** The model its points were compressed from, where a point does not name its own. */
  base?: string;
  bytes: BytesPoint[];
  speed: SpeedPoint[];
}

/** The run as a whole: where it ran and how long each part took. */
export interface RunSummary {
  quick: boolean;
  seed: number;
  epochs: number;
  trainImages: number;
  testImages: number;
  machine: Record<string, string | number>;
  /** Seconds of each part: the notebook's own work and the extras. */
  seconds: Record<string, { notebook: number; extras: number }>;
  totalSeconds: number;
}

const fmtS = (v: number): string => `${v.toFixed(1)} s`;

/** The two charts across sections: accuracy against bytes, and against forward time at batch 1 and 64. */
function tradeoffCharts(parts: ReportPart[]): Chart[] {
  const out: Chart[] = [];
  // Models more than 15 points below the best are off the useful frontier and squash the axis.
  const useful = <P extends { accuracy: number }>(points: P[]): P[] => {
    const best = Math.max(...points.map((p) => p.accuracy));
    return points.filter((p) => p.accuracy >= best - 15);
  };
  const based = <P extends { base?: string }>(p: ReportPart, points: P[]): (P & { base: string })[] =>
    points.map((x) => ({ ...x, base: x.base ?? p.base ?? 'model' }));
  const bytes = parts.flatMap((p) => based(p, p.bytes));
  if (bytes.length > 0) {
    out.push(
      frontPanels(
        'tradeoff-accuracy-vs-bytes.svg',
        'Every compressed model: accuracy vs bytes, one panel per base model',
        useful(bytes),
        ['test accuracy (%)', 'accuracy'],
        [['bytes of the model (log scale)', 'bytes']],
      ),
    );
  }
  const speed = parts.flatMap((p) => based(p, p.speed));
  if (speed.length > 0) {
    out.push(
      frontPanels(
        'tradeoff-accuracy-vs-latency.svg',
        'Every compressed model: accuracy vs forward time (default backend), one panel per base model',
        useful(speed),
        ['test accuracy (%)', 'accuracy'],
        [
          ['ms per image at batch 1 (log scale)', 'ms1'],
          ['ms per batch of 64 (log scale)', 'ms64'],
        ],
      ),
    );
  }
  return out;
}

/**
 * report.md and its charts: the run's timings, then each section's part (its table beside
 * the notebook's figures and the one-line correction), then the trade-off charts. Images
 * link to the charts by file name, inside `chartFolder` when given.
 */
export function runReport(
  run: RunSummary,
  parts: ReportPart[],
  options: { chartFolder?: string; equivalent?: { seconds: number; trainings: number } | null } = {},
): { markdown: string; charts: Chart[] } {
  const charts = [...parts.flatMap((p) => p.charts), ...tradeoffCharts(parts)];
  const m = run.machine;
  const seconds = Object.values(run.seconds);
  const lines: string[] = [
    '# slimtensor: the compression notebook, reproduced',
    '',
    `${run.quick ? '**Quick look** (a slice of MNIST, 1 epoch): figures are not comparable with the notebook. ' : ''}` +
      `Seed ${run.seed}, ${run.epochs} epoch(s), ${run.trainImages} training and ${run.testImages} test images; ` +
      `${m.cpu}, ${m.cores} cores, Node ${m.node}, backend ${m.backend}${m.simd && m.simd !== 'none' ? ` (${m.simd} SIMD)` : ''}, ` +
      `${m.threads} thread(s).`,
    '',
    '## Time',
    '',
    "| part | notebook's work | extras | total |",
    '|---|---:|---:|---:|',
    ...Object.entries(run.seconds).map(([k, v]) => `| ${k} | ${fmtS(v.notebook)} | ${fmtS(v.extras)} | ${fmtS(v.notebook + v.extras)} |`),
    `| **all** | ${fmtS(seconds.reduce((a, v) => a + v.notebook, 0))} | ${fmtS(seconds.reduce((a, v) => a + v.extras, 0))} | ` +
      `${fmtS(run.totalSeconds)} |`,
    ...(options.equivalent
      ? [
          `| **the notebook's same work** (SimpleNet trained ${options.equivalent.trainings} times, as the notebook does) | ` +
            `${fmtS(options.equivalent.seconds)} | | |`,
        ]
      : []),
    '',
    'Sections 2–5 share one trained SimpleNet; the notebook trains its own in sections 2, 3 and 4 (the same network, with one seed). ' +
      "\"The notebook's same work\" counts those trainings, so it is the figure to set beside the notebook's (or PyTorch's) time.",
    '',
  ];
  const files = new Set(charts.map((c) => c.file));
  const folder = options.chartFolder ? `${options.chartFolder}/` : '';
  const image = (file: string): string[] => (files.has(file) ? [`![${file}](${folder}${file})`, ''] : []);
  for (const part of parts) {
    lines.push(`## ${part.title}`, '', ...(part.correction ? [`*What the notebook measured wrongly:* ${part.correction}`, ''] : []));
    for (const line of part.lines) lines.push(...(line.startsWith('chart:') ? image(line.slice(6)) : [line]));
    lines.push('');
  }
  if (files.has('tradeoff-accuracy-vs-bytes.svg'))
    lines.push('## Every method: accuracy vs bytes', '', ...image('tradeoff-accuracy-vs-bytes.svg'));
  if (files.has('tradeoff-accuracy-vs-latency.svg')) {
    lines.push(
      '## Every method: accuracy vs speed',
      '',
      `Model-only forward time on the ${m.backend} backend, at batch 1 and per batch of 64; each section's table gives the speed-up ` +
        `over its dense model.`,
      '',
      ...image('tradeoff-accuracy-vs-latency.svg'),
    );
  }
  return { markdown: `${lines.join('\n')}\n`, charts };
}
