import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuantizedConv2d, QuantizedLinear } from '../compress/int8-layers.js';
import { modelBytes } from '../compress/latency.js';
import { forwardMedians, SET_TIMING, TIMING_BATCH } from '../compress/measure.js';
import { quantizeDynamic } from '../compress/quantize.js';
import { dequantizeWeight, sqnr } from '../compress/quantize-weight.js';
import type { MnistData } from '../data/mnist.js';
import type { Conv2d, Linear } from '../nn/layers.js';
import { TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { loadWeights, saveModel } from '../node/files.js';
import { barCharts } from '../report/charts.js';
import { CORRECTIONS, NOTEBOOK } from '../report/notebook.js';
import { type Column, formatMarkdown, formatTable } from '../report/table.js';
import { Rng } from '../tensor/random.js';
import { type EpochRow, trainClassifier } from '../train/classifier.js';
import { evaluate } from '../train/evaluate.js';
import { percent, SectionClock, type SectionSeconds, writeJson } from './config.js';
import { defineSection, type SectionConfig, type SectionContext } from './section.js';
import { trainedSimpleNet } from './simple-net.js';

/** Settings of section 5. */
export interface QuantizeOptions {
  /** The trained teacher CNN to quantize too; trained here when absent (unless section 1 ran in the same run). */
  teacherPath?: string;
  /** Quantize the MLP only. */
  skipTeacher: boolean;
}

/** 7-bit activations, as PyTorch's dynamic Linear quantizes them on x86 (fbgemm and onednn). */
const REDUCE_RANGE = true;

/** One model in one number format. */
export interface QuantizeRow {
  model: 'simple-net' | 'teacher';
  scheme: 'fp32' | 'int8 per-tensor' | 'int8 per-channel';
  accuracy: number;
  /** Bytes of every stored array (int8 weights, scales, float biases). */
  weightBytes: number;
  /** Bytes of its safetensors file. */
  fileBytes: number;
  /**
   * Model-only forward time of one batch of 64 and of the 10k test set, seconds (medians).
   * The set runs as one batch for the MLP and in batches of 1000 for the CNN, whose
   * activations for 10k images at once would take 0.7 GB.
   */
  latency64: number;
  latency10k: number;
  /** The batch size of `latency10k`. */
  largeBatch: number;
  /** fp32 latency ÷ this one, at batch 64 and 10k. */
  speedup64: number;
  speedup10k: number;
  /** Seconds of one forward pass at batch 1 (median), and the fp32 model's ÷ it. */
  latency1: number;
  speedup1: number;
}

/** Quantization error of one layer's weights. */
export interface LayerErrorRow {
  model: string;
  layer: string;
  scheme: string;
  /** Signal-to-quantization-noise ratio of the weights, dB. */
  sqnrDb: number;
}

/** What section 5 returns. */
export interface QuantizeResult {
  /** The activations were quantized to 7 bits (PyTorch's `reduce_range` on x86), not 8. */
  reduceRange: boolean;
  training: EpochRow[];
  rows: QuantizeRow[];
  layers: LayerErrorRow[];
  seconds: SectionSeconds;
}

async function fileBytes(model: Module, out: string | undefined, name: string): Promise<number> {
  const dir = out ?? (await fs.mkdtemp(join(tmpdir(), 'slimtensor-quant-')));
  const path = join(dir, `${name}.safetensors`);
  await saveModel(model, path, { model: name });
  const { size } = await fs.stat(path);
  if (!out) await fs.rm(dir, { recursive: true, force: true });
  return size;
}

async function compare(
  name: 'simple-net' | 'teacher',
  float: Module,
  copy: () => Module,
  data: MnistData,
  config: SectionConfig<QuantizeOptions>,
): Promise<{ rows: QuantizeRow[]; layers: LayerErrorRow[] }> {
  const x = data.testSet.x;
  const rows: QuantizeRow[] = [];
  const layers: LayerErrorRow[] = [];
  const variants: [QuantizeRow['scheme'], Module][] = [
    ['fp32', float],
    // conv: true quantizes the teacher's convolution too (PyTorch's dynamic mode leaves it in float).
    ['int8 per-tensor', quantizeDynamic(copy(), { perChannel: false, conv: true, reduceRange: REDUCE_RANGE })],
    ['int8 per-channel', quantizeDynamic(copy(), { perChannel: true, conv: true, reduceRange: REDUCE_RANGE })],
  ];
  // fp32 and both int8 models side by side, once per workload: fp32 (first) is every ratio's base.
  const models = variants.map(([, model]) => model);
  const largeBatch = name === 'teacher' ? Math.min(1000, x.shape[0]) : x.shape[0];
  const at1 = forwardMedians(models, x, { batchSize: 1 });
  const at64 = forwardMedians(models, x, { batchSize: TIMING_BATCH });
  const atSet = forwardMedians(models, x, { batchSize: largeBatch, wholeSet: true }, SET_TIMING);
  for (const [i, [scheme, model]] of variants.entries()) {
    const row: QuantizeRow = {
      model: name,
      scheme,
      accuracy: evaluate(model, data.testSet),
      weightBytes: modelBytes(model),
      fileBytes: await fileBytes(model, config.out, `${name}-${scheme.replace(/ /g, '-')}`),
      latency1: at1[i],
      latency64: at64[i],
      latency10k: atSet[i],
      largeBatch,
      speedup1: at1[0] / at1[i],
      speedup64: at64[0] / at64[i],
      speedup10k: atSet[0] / atSet[i],
    };
    rows.push(row);
    config.log?.(`${name} ${scheme}: accuracy ${percent(row.accuracy)}, ${row.weightBytes} bytes`);
    if (scheme === 'fp32') continue;
    const floats = new Map(float.namedModules());
    for (const [layerName, layer] of model.namedModules()) {
      if (!(layer instanceof QuantizedLinear || layer instanceof QuantizedConv2d)) continue;
      const original = floats.get(layerName) as Linear | Conv2d;
      layers.push({ model: name, layer: layerName, scheme, sqnrDb: sqnr(original.weight.data, dequantizeWeight(layer.weight)) });
    }
  }
  return { rows, layers };
}

/**
 * Section 5: dynamic int8 quantization of the trained full-rank SimpleNet (not the rank-1
 * network the notebook's loop leaves behind) and of the teacher CNN, per tensor and per
 * channel: accuracy, bytes in memory and on disk, model-only latency, and the
 * signal-to-noise ratio of every layer's weights, each beside fp32.
 */
export async function runQuantize(
  config: SectionConfig<QuantizeOptions>,
  data: MnistData,
  context: SectionContext = {},
): Promise<QuantizeResult> {
  const clock = new SectionClock();
  const { net, epochs: training } = await trainedSimpleNet(config, data, context.net);
  const simple = await compare('simple-net', net, () => net.clone(), data, config);
  const rows = [...simple.rows];
  const layers = [...simple.layers];
  clock.mark('notebook');
  // In a run without section 1 (context.teacher === null) there is no teacher to quantize.
  if (!config.skipTeacher && context.teacher !== null) {
    let teacher = context.teacher;
    if (!teacher) {
      teacher = new TeacherNet(new Rng(config.seed));
      if (config.teacherPath) await loadWeights(teacher, config.teacherPath);
      else training.push(...trainClassifier('teacher', teacher, data, config));
    }
    const t = teacher;
    const cnn = await compare('teacher', t, () => t.clone(), data, config);
    rows.push(...cnn.rows);
    layers.push(...cnn.layers);
  }
  clock.mark('extras');
  const result = { reduceRange: REDUCE_RANGE, training, rows, layers, seconds: clock.seconds };
  await writeJson(config.out, 'quantize.json', result);
  return result;
}

/** Every model in every number format: accuracy, bytes and speed beside fp32. */
export const QUANT_COLUMNS: Column<QuantizeRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'scheme', value: (r) => r.scheme },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'weight KiB', value: (r) => r.weightBytes / 1024, digits: 1 },
  { header: 'file KiB', value: (r) => r.fileBytes / 1024, digits: 1 },
  { header: 'ms b1', value: (r) => r.latency1 * 1000, significant: 3 },
  { header: 'speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'ms b64', value: (r) => r.latency64 * 1000, significant: 3 },
  { header: 'speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
  { header: 'ms test set', value: (r) => r.latency10k * 1000, significant: 3 },
  { header: 'in batches of', value: (r) => r.largeBatch },
  { header: 'speed-up set', value: (r) => `${r.speedup10k.toFixed(2)}×` },
];

/** The weight quantization error of each layer. */
export const LAYER_COLUMNS: Column<LayerErrorRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'layer', value: (r) => r.layer },
  { header: 'scheme', value: (r) => r.scheme },
  { header: 'SQNR dB', value: (r) => r.sqnrDb, digits: 1 },
];

const schemeLine = (r: QuantizeResult): string =>
  `Weights: symmetric int8, scale max|w|/127.5 (PyTorch's observer); activations: ${r.reduceRange === false ? '8' : '7'}-bit per ` +
  `batch${r.reduceRange === false ? '' : " (PyTorch's reduce_range)"}; the teacher's convolution is int8 too.`;

const methodOf = (x: QuantizeRow): string =>
  x.scheme === 'fp32' ? (x.model === 'teacher' ? 'teacher CNN (fp32)' : 'dense fp32') : 'int8 quantization';

/** Section 5 of the notebook: dynamic int8 quantization. */
export const quantize = defineSection({
  name: 'quantize',
  title: '5. Dynamic int8 quantization',
  summary: 'section 5: dynamic int8 quantization computed in int8: accuracy, bytes, speed, SQNR',
  usesSimpleNet: true,
  notebookTrainsSimpleNet: false,
  defaults: { teacherPath: undefined, skipTeacher: false } as QuantizeOptions,
  quick: {},
  options: {
    teacherPath: { kind: 'file', flag: 'teacher', help: 'the trained teacher CNN to quantize too (default: train one)' },
    skipTeacher: { kind: 'flag', flag: 'no-teacher', help: 'quantize the MLP only' },
  },
  run: runQuantize,
  print: (r) =>
    `${schemeLine(r)}\n\n${formatTable(r.rows, QUANT_COLUMNS)}\n\nweight quantization error per ` +
    `layer\n${formatTable(r.layers, LAYER_COLUMNS)}\n`,
  report: (r) => ({
    title: '5. Dynamic int8 quantization',
    correction: CORRECTIONS.quantize,
    lines: [
      `Notebook: ${NOTEBOOK.quantize.accuracy}% (no size, no speed). ${schemeLine(r)}`,
      '',
      formatMarkdown(r.rows, QUANT_COLUMNS),
      '',
      'chart:quantization.svg',
      formatMarkdown(r.layers, LAYER_COLUMNS),
    ],
    charts: [
      barCharts(
        'quantization.svg',
        'fp32 vs int8: accuracy, size, latency (batch 64)',
        r.rows.map((x) => ({
          model: x.model,
          scheme: x.scheme,
          accuracy: x.accuracy * 100,
          kib: x.weightBytes / 1024,
          ms: x.latency64 * 1000,
        })),
        ['model', 'model'],
        'scheme',
        [
          ['test accuracy (%)', 'accuracy'],
          ['weights (KiB)', 'kib'],
          ['ms per batch of 64', 'ms'],
        ],
      ),
    ],
    base: 'SimpleNet',
    bytes: r.rows.map((x) => ({
      name: `${x.model} ${x.scheme}`,
      method: methodOf(x),
      base: x.model === 'teacher' ? 'TeacherNet' : 'SimpleNet',
      bytes: x.weightBytes,
      accuracy: x.accuracy * 100,
    })),
    speed: r.rows.map((x) => ({
      name: `${x.model} ${x.scheme}`,
      method: methodOf(x),
      base: x.model === 'teacher' ? 'TeacherNet' : 'SimpleNet',
      accuracy: x.accuracy * 100,
      ms1: x.latency1 * 1000,
      ms64: x.latency64 * 1000,
    })),
  }),
});
