import type { TopLevelSpec } from 'vega-lite';

/**
 * Charts of the report, as Vega-Lite specs rendered to SVG in Node (no browser, no canvas):
 * a spec says what is plotted; Vega lays it out and writes the SVG.
 */

/** One chart: a file name, a title, and its Vega-Lite spec. */
export interface Chart {
  file: string;
  title: string;
  spec: TopLevelSpec;
}

/**
 * Renders a Vega-Lite spec to an SVG string. Vega and Vega-Lite load here, on the first
 * chart drawn, so that nothing else that imports the report pays for them.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const WIDTH = 420;
const HEIGHT = 260;

/**
 * One colour per series value in every chart: each method (and each source, scheme or
 * stage) keeps its colour from chart to chart. Values not listed take spare colours.
 */
const COLOURS: Record<string, string> = {
  'dense fp32': '#7f7f7f',
  fp32: '#7f7f7f',
  'teacher CNN (fp32)': '#8c564b',
  'distilled student': '#e377c2',
  'magnitude pruning (CSR)': '#1f77b4',
  'pruning + fine-tuning (CSR)': '#17becf',
  'activation pruning': '#2ca02c',
  'low-rank fc3': '#9467bd',
  'low-rank, all layers': '#c5b0d5',
  'int8 quantization': '#d62728',
  'int8 per-tensor': '#d62728',
  'int8 per-channel': '#ff9896',
  'deep compression (LeNet)': '#bcbd22',
  slimtensor: '#1f77b4',
  notebook: '#ff7f0e',
  paper: '#2ca02c',
};
const SPARE = ['#aec7e8', '#ffbb78', '#98df8a', '#c49c94', '#f7b6d2', '#dbdb8d', '#9edae5'];

const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'triangle-left', 'triangle-right'];

/** The shape scale to go with `colourScale`: each value keeps its shape from chart to chart too. */
export function shapeScale(values: Iterable<unknown>): { domain: string[]; range: string[] } {
  const known = Object.keys(COLOURS);
  const domain = [...new Set([...values].map(String))].sort();
  return { domain, range: domain.map((v) => SHAPES[Math.max(0, known.indexOf(v)) % SHAPES.length]) };
}

/** The colour scale of a chart whose series takes `values`: each value's colour from COLOURS. */
export function colourScale(values: Iterable<unknown>): { domain: string[]; range: string[] } {
  const domain = [...new Set([...values].map(String))].sort();
  let spare = 0;
  return { domain, range: domain.map((v) => COLOURS[v] ?? SPARE[spare++ % SPARE.length]) };
}

/**
 * A line chart of `y` against `x`, one line per value of `series`, with points.
 * @example lineChart('pruning', 'Accuracy vs sparsity', rows, { x: ['zero %', 'zeros'], y: ['accuracy %', 'accuracy'], series: 'source' })
 */
export function lineChart(
  file: string,
  title: string,
  values: readonly object[],
  axes: { x: [string, string]; y: [string, string]; series?: string; xScale?: 'linear' | 'log'; yZero?: boolean },
): Chart {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: axes.x[1], type: 'quantitative', title: axes.x[0], scale: { type: axes.xScale ?? 'linear' } },
      y: { field: axes.y[1], type: 'quantitative', title: axes.y[0], scale: { zero: axes.yZero ?? false } },
      ...(axes.series
        ? {
            color: {
              field: axes.series,
              type: 'nominal',
              title: axes.series,
              scale: colourScale(values.map((v) => (v as Record<string, unknown>)[axes.series!])),
              legend: { labelLimit: 1000 },
            },
          }
        : {}),
    },
  } as TopLevelSpec;
  return { file, title, spec };
}

/**
 * One panel per base model (the model the points were compressed from) of accuracy against
 * each x in `panels` (log scale), every point a model coloured and shaped by its method, and
 * the Pareto front of each panel drawn through the points no other point beats: none with
 * a smaller x has a higher accuracy.
 */
export function frontPanels(
  file: string,
  title: string,
  values: readonly (object & { base: string; method: string })[],
  y: [string, string],
  panels: [string, string][],
): Chart {
  const points = values.map((v) => ({ ...v }) as Record<string, unknown>);
  for (const [, field] of panels) markFront(points, field, y[1]);
  const colour = colourScale(points.map((p) => p.method));
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points },
    vconcat: panels.map(([label, field]) => {
      const x = { field, type: 'quantitative', title: label, scale: { type: 'log' } };
      const yAxis = { field: y[1], type: 'quantitative', title: y[0], scale: { zero: false } };
      return {
        facet: { field: 'base', type: 'nominal', title: null, header: { labelFontWeight: 'bold', labelFontSize: 12 } },
        columns: 2,
        resolve: { scale: { x: 'independent', y: 'independent' } },
        spec: {
          width: 300,
          height: 200,
          layer: [
            {
              transform: [{ filter: `isValid(datum['${field}']) && datum['${field}'] > 0` }],
              mark: { type: 'point', filled: true, size: 60 },
              encoding: {
                x,
                y: yAxis,
                color: { field: 'method', type: 'nominal', title: 'method', scale: colour, legend: { labelLimit: 1000 } },
                shape: { field: 'method', type: 'nominal', scale: shapeScale(points.map((p) => p.method)) },
                tooltip: [
                  { field: 'name', type: 'nominal' },
                  { field, type: 'quantitative' },
                  { field: y[1], type: 'quantitative' },
                ],
              },
            },
            {
              transform: [{ filter: `datum['front_${field}'] === true` }],
              mark: { type: 'line', color: '#444', strokeDash: [4, 3], strokeWidth: 1.2 },
              encoding: { x, y: yAxis, order: { field, type: 'quantitative' } },
            },
          ],
        },
      };
    }),
  } as unknown as TopLevelSpec;
  return { file, title, spec };
}

/** Marks `front_<field>` on the points of each base model that no point with a smaller `field` beats on `y`. */
function markFront(points: Record<string, unknown>[], field: string, y: string): void {
  const valid = points.filter((p) => typeof p[field] === 'number' && (p[field] as number) > 0);
  for (const base of new Set(valid.map((p) => p.base))) {
    let best = -Infinity;
    // Smaller x first, and at equal x the more accurate first: only it can be on the front.
    const order = (a: Record<string, unknown>, b: Record<string, unknown>): number =>
      (a[field] as number) - (b[field] as number) || (b[y] as number) - (a[y] as number);
    for (const p of valid.filter((q) => q.base === base).sort(order)) {
      if ((p[y] as number) > best) {
        best = p[y] as number;
        p[`front_${field}`] = true;
      }
    }
  }
}

/** Side-by-side bar charts, one per measure, of the same categories (e.g. fp32 vs int8). */
export function barCharts(
  file: string,
  title: string,
  values: readonly object[],
  category: [string, string],
  group: string,
  measures: [string, string][],
): Chart {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values },
    hconcat: measures.map(([label, field]) => ({
      width: 180,
      height: HEIGHT,
      mark: 'bar',
      encoding: {
        x: { field: category[1], type: 'nominal', title: category[0] },
        xOffset: { field: group, type: 'nominal' },
        y: { field, type: 'quantitative', title: label },
        color: {
          field: group,
          type: 'nominal',
          title: group,
          scale: colourScale(values.map((v) => (v as Record<string, unknown>)[group])),
          legend: { labelLimit: 1000 },
        },
      },
    })),
  } as TopLevelSpec;
  return { file, title, spec };
}
