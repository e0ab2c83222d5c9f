import { join } from 'node:path';
import { DEEP_COMPRESSION_MODELS } from '../compress/deep-compression-models.js';
import type { LayerCost } from '../compress/layer-coding.js';
import { writeFileAtomic } from '../node/atomic.js';
import { barCharts, type Chart, renderSvg } from '../report/charts.js';
import { type Column, formatMarkdown, formatTable } from '../report/table.js';
import { type DeepCompressOptions, type DeepCompressResult, INDEX_BITS, runDeepCompress } from './deep-compress-pipeline.js';
import { defineSection } from './section.js';

/** One stage of the pipeline: its size, and the paper's ratio at the same stage. */
export interface StageRow {
  stage: string;
  bytes: number;
  ratio: number;
  paperRatio: number;
  /** Test error after the stage, percent. */
  error: number;
}

const KB = 1000;
const sum = (layers: LayerCost[], key: 'dense' | 'pruned' | 'quantized' | 'huffman'): number => layers.reduce((a, l) => a + l[key], 0) / 8;
const errorOf = (accuracy: number): number => 100 * (1 - accuracy);

/** Table 1's stages for our run: dense, pruned, + quantization, + Huffman (payload), and the file on disk. */
export function stageRows(r: DeepCompressResult): StageRow[] {
  const paper = DEEP_COMPRESSION_MODELS[r.model].paper;
  const dense = sum(r.layers, 'dense');
  const row = (stage: string, bytes: number, paperRatio: number, accuracy: number): StageRow => ({
    stage,
    bytes,
    ratio: dense / bytes,
    paperRatio,
    error: errorOf(accuracy),
  });
  return [
    row('dense float32', dense, 1, r.accuracy.dense),
    row('pruned (float32 values + indices)', sum(r.layers, 'pruned'), paper.ratioPruned, r.accuracy.pruned),
    row('+ quantization (fixed-width codes)', sum(r.layers, 'quantized'), paper.ratioBeforeHuffman, r.accuracy.shared),
    row('+ Huffman (payload)', sum(r.layers, 'huffman'), paper.ratio, r.accuracy.shared),
    row('the file on disk (all counted)', r.fileBytes, paper.ratio, r.accuracy.decoded),
  ];
}

const STAGE_COLUMNS: Column<StageRow>[] = [
  { header: 'stage', value: (r) => r.stage },
  { header: 'KB', value: (r) => r.bytes / KB, digits: 1 },
  { header: 'ratio', value: (r) => `${r.ratio.toFixed(1)}×` },
  { header: 'paper', value: (r) => `${r.paperRatio}×` },
  { header: 'error %', value: (r) => r.error, digits: 2 },
];

/** Tables 2–3: per layer, ours beside the paper's settings. */
function layerColumns(r: DeepCompressResult): Column<LayerCost>[] {
  const spec = DEEP_COMPRESSION_MODELS[r.model];
  const paperIndex = (l: LayerCost): number => spec.keep[r.layers.indexOf(l)];
  return [
    { header: 'layer', value: (l) => l.name },
    { header: 'weights', value: (l) => l.weights },
    { header: 'kept %', value: (l) => (100 * l.kept) / l.weights, digits: 1 },
    { header: 'paper kept %', value: (l) => 100 * paperIndex(l), digits: 0 },
    { header: 'weight bits', value: (l) => l.bits },
    { header: 'paper bits', value: (l) => spec.bits[r.layers.indexOf(l)] },
    { header: 'index bits', value: (l) => l.indexBits },
    { header: 'fillers', value: (l) => l.fillers },
    { header: 'value bits/w', value: (l) => l.valueBitsPerWeight, digits: 2 },
    { header: 'index bits/w', value: (l) => l.indexBitsPerWeight, digits: 2 },
    { header: 'KB', value: (l) => l.huffman / 8 / KB, digits: 2 },
    { header: 'ratio', value: (l) => `${(l.dense / l.huffman).toFixed(1)}×` },
  ];
}

function summary(r: DeepCompressResult): string {
  const paper = DEEP_COMPRESSION_MODELS[r.model].paper;
  const dense = sum(r.layers, 'dense');
  const a = r.accuracy;
  return [
    `${r.model}: ${(dense / KB).toFixed(0)} KB → ${(r.fileBytes / KB).toFixed(1)} KB on disk, ${(dense / r.fileBytes).toFixed(1)}× ` +
      `(paper: ${paper.denseKB} KB → ${paper.compressedKB} KB, ${paper.ratio}×).`,
    `Top-1 error ${errorOf(a.dense).toFixed(2)}% dense → ${errorOf(a.decoded).toFixed(2)}% decoded from the file (paper: ` +
      `${paper.errorBefore}% → ${paper.errorAfter}%).`,
    `Error after each step: pruned ${errorOf(a.pruned).toFixed(2)}%, k-means ${errorOf(a.clustered).toFixed(2)}%, centroids fine-tuned ` +
      `${errorOf(a.shared).toFixed(2)}%.`,
    `The compressed model trained ${r.trainingEpochs.pruning + r.trainingEpochs.centroids} more epochs than the dense baseline ` +
      `(${r.trainingEpochs.dense}): pruning with retraining, then centroid fine-tuning.`,
    `${r.deadUnits.dead} dead and ${r.deadUnits.unread} unread units folded away (${r.deadUnits.weights} weights); the file decodes to ` +
      `${r.decodedMatches ? 'the same logits, bit for bit' : 'DIFFERENT logits'}.`,
  ].join('\n');
}

/** KB after each stage, ours beside the paper's (its ratios applied to its dense size). */
function stagesChart(r: DeepCompressResult): Chart {
  const paper = DEEP_COMPRESSION_MODELS[r.model].paper;
  const bars = stageRows(r)
    .slice(0, 4)
    .flatMap((s) => [
      { stage: s.stage.split(' (')[0], source: 'slimtensor', kb: s.bytes / KB },
      { stage: s.stage.split(' (')[0], source: 'paper', kb: paper.denseKB / s.paperRatio },
    ]);
  return barCharts('deep-compression.svg', `${r.model}: KB per stage, slimtensor beside the paper`, bars, ['stage', 'stage'], 'source', [
    ['KB', 'kb'],
  ]);
}

/** Deep Compression: prune, share weights, Huffman-code; beside the paper's Tables 1–3. */
export const deepCompress = defineSection({
  name: 'deep-compress',
  title: '6. Deep Compression (beyond the notebook)',
  summary: 'Deep Compression (Han et al. 2016) of LeNet-300-100 or LeNet-5: prune, share weights, Huffman-code, one file',
  usesSimpleNet: false,
  notebookTrainsSimpleNet: false,
  defaults: {
    model: 'lenet-300-100',
    keep: undefined,
    bits: undefined,
    indexBits: 'auto',
    pruneEpochs: 3,
    clusterEpochs: 1,
  } as DeepCompressOptions,
  quick: { pruneEpochs: 1, clusterEpochs: 1 },
  options: {
    model: { kind: 'choice', values: Object.keys(DEEP_COMPRESSION_MODELS), help: "the network of the paper's Table 1 to compress" },
    keep: {
      kind: 'numbers',
      min: 0,
      max: 1,
      openMin: true,
      help: "fraction of weights each layer keeps, in layer order (default: the paper's)",
    },
    bits: {
      kind: 'numbers',
      min: 1,
      max: 16,
      integers: true,
      help: "bits per weight of each layer, in layer order (default: the paper's)",
    },
    indexBits: { kind: 'choice', values: INDEX_BITS, help: 'bits per relative index; auto picks the smallest per layer (the paper: 5)' },
    pruneEpochs: { kind: 'integer', min: 1, help: 'epochs of pruning with retraining' },
    clusterEpochs: { kind: 'integer', min: 1, help: 'epochs of centroid fine-tuning' },
  },
  check: (o) => {
    const layers = DEEP_COMPRESSION_MODELS[o.model].keep.length;
    for (const [flag, list] of [
      ['keep', o.keep],
      ['bits', o.bits],
    ] as const) {
      if (list && list.length !== layers) return `--${flag} needs ${layers} values for ${o.model}, one per layer, got ${list.length}`;
    }
    return undefined;
  },
  // The command writes its chart too (`all` writes every section's with the report).
  run: async (config, data) => {
    const r = await runDeepCompress(config, data);
    if (config.out) {
      const chart = stagesChart(r);
      await writeFileAtomic(join(config.out, chart.file), await renderSvg(chart.spec));
    }
    return r;
  },
  print: (r) => `${summary(r)}\n\n${formatTable(stageRows(r), STAGE_COLUMNS)}\n\nper layer\n${formatTable(r.layers, layerColumns(r))}\n`,
  report: (r) => {
    const rows = stageRows(r);
    return {
      title: '6. Deep Compression (beyond the notebook)',
      lines: [
        summary(r),
        '',
        formatMarkdown(rows, STAGE_COLUMNS),
        '',
        'chart:deep-compression.svg',
        '',
        formatMarkdown(r.layers, layerColumns(r)),
      ],
      charts: [stagesChart(r)],
      base: r.model === 'lenet-5' ? 'LeNet-5' : 'LeNet-300-100',
      bytes: [
        { name: `${r.model} deep compression`, method: 'deep compression (LeNet)', bytes: r.fileBytes, accuracy: r.accuracy.decoded * 100 },
      ],
      speed: [],
    };
  },
});
