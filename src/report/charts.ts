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
 * A line chart of `y` against `x`, one line per value of `series`, with points.
 * @example lineChart('pruning', 'Accuracy vs sparsity', rows, { x: ['zero %', 'zeros'], y: ['accuracy %', 'accuracy'], series: 'source' })
 */
export function lineChart(
  file: string, title: string, values: readonly object[],
  axes: { x: [string, string]; y: [string, string]; series?: string; xScale?: 'linear' | 'log'; yZero?: boolean },
): Chart {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, width: WIDTH, height: HEIGHT, data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: axes.x[1], type: 'quantitative', title: axes.x[0], scale: { type: axes.xScale ?? 'linear' } },
      y: { field: axes.y[1], type: 'quantitative', title: axes.y[0], scale: { zero: axes.yZero ?? false } },
      ...(axes.series ? { color: { field: axes.series, type: 'nominal', title: axes.series } } : {}),
    },
  } as TopLevelSpec;
  return { file, title, spec };
}

/** A scatter plot of `y` against `x` (log x by default), coloured by `series`, every point labelled in a tooltip. */
export function scatterChart(file: string, title: string, values: readonly object[], axes: { x: [string, string]; y: [string, string]; series: string }): Chart {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, width: WIDTH + 80, height: HEIGHT + 40, data: { values },
    mark: { type: 'point', filled: true, size: 70 },
    encoding: {
      x: { field: axes.x[1], type: 'quantitative', title: axes.x[0], scale: { type: 'log' } },
      y: { field: axes.y[1], type: 'quantitative', title: axes.y[0], scale: { zero: false } },
      color: { field: axes.series, type: 'nominal', title: axes.series },
      shape: { field: axes.series, type: 'nominal' },
      tooltip: [{ field: 'name', type: 'nominal' }, { field: axes.x[1], type: 'quantitative' }, { field: axes.y[1], type: 'quantitative' }],
    },
  } as TopLevelSpec;
  return { file, title, spec };
}

/**
 * Side-by-side scatter plots of accuracy against one latency each (log x), coloured and
 * shaped by `series`: e.g. batch 1 beside batch 64, every model a point in each.
 */
export function scatterPanels(
  file: string, title: string, values: readonly object[], y: [string, string], series: string, panels: [string, string][],
): Chart {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, data: { values },
    hconcat: panels.map(([label, field]) => ({
      width: WIDTH - 80, height: HEIGHT + 40,
      transform: [{ filter: `isValid(datum['${field}']) && datum['${field}'] > 0` }],
      mark: { type: 'point', filled: true, size: 60 },
      encoding: {
        x: { field, type: 'quantitative', title: label, scale: { type: 'log' } },
        y: { field: y[1], type: 'quantitative', title: y[0], scale: { zero: false } },
        color: { field: series, type: 'nominal', title: series, legend: { labelLimit: 240 } },
        shape: { field: series, type: 'nominal' },
        tooltip: [{ field: 'name', type: 'nominal' }, { field, type: 'quantitative' }, { field: y[1], type: 'quantitative' }],
      },
    })),
  } as TopLevelSpec;
  return { file, title, spec };
}

/** Side-by-side bar charts, one per measure, of the same categories (e.g. fp32 vs int8). */
export function barCharts(file: string, title: string, values: readonly object[], category: [string, string], group: string, measures: [string, string][]): Chart {
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, data: { values },
    hconcat: measures.map(([label, field]) => ({
      width: 180, height: HEIGHT,
      mark: 'bar',
      encoding: {
        x: { field: category[1], type: 'nominal', title: category[0] },
        xOffset: { field: group, type: 'nominal' },
        y: { field, type: 'quantitative', title: label },
        color: { field: group, type: 'nominal', title: group },
      },
    })),
  } as TopLevelSpec;
  return { file, title, spec };
}
