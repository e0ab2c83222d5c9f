import { describe, expect, it } from 'vitest';
import { colourScale, frontPanels, renderSvg, shapeScale } from '../src/report/charts.js';

/**
 * The report's charts: a method keeps its colour and shape from chart to chart, and each panel's Pareto front is the points nothing beats.
 */
describe('charts', () => {
  it('gives a method the same colour and shape whatever else shares the chart', () => {
    const a = colourScale(['int8 quantization', 'dense fp32']);
    const b = colourScale(['activation pruning', 'int8 quantization', 'low-rank fc3']);
    const colourIn = (s: { domain: string[]; range: string[] }, v: string): string => s.range[s.domain.indexOf(v)];
    expect(colourIn(a, 'int8 quantization')).toBe(colourIn(b, 'int8 quantization'));
    expect(new Set(b.range).size).toBe(3);
    expect(colourIn(shapeScale(['int8 quantization']), 'int8 quantization')).toBe(
      colourIn(shapeScale(['fp32', 'int8 quantization']), 'int8 quantization'),
    );
  });

  it('marks, per base model, the points no smaller or equal point beats, and draws them as an SVG', async () => {
    const points = [
      { name: 'a', base: 'SimpleNet', method: 'm', bytes: 100, accuracy: 90 },
      { name: 'b', base: 'SimpleNet', method: 'm', bytes: 200, accuracy: 95 },
      { name: 'c', base: 'SimpleNet', method: 'm', bytes: 300, accuracy: 93 }, // beaten by b
      { name: 'd', base: 'SimpleNet', method: 'm', bytes: 200, accuracy: 94 }, // as small as b, less accurate
      { name: 'e', base: 'TeacherNet', method: 'n', bytes: 500, accuracy: 80 },
    ];
    const chart = frontPanels('t.svg', 't', points, ['accuracy', 'accuracy'], [['bytes', 'bytes']]);
    const values = (chart.spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
    expect(values.filter((v) => v.front_bytes === true).map((v) => v.name)).toEqual(['a', 'b', 'e']);
    const svg = await renderSvg(chart.spec);
    expect(svg).toContain('SimpleNet');
    expect(svg).toContain('TeacherNet');
  });
});
