import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forwardLatency, setLatency, stateBytes } from '../compress/metrics.js';
import { accuracyOn } from '../train/evaluate.js';
import { dequantizeWeight, sqnr } from '../compress/int8.js';
import { QuantizedConv2d, QuantizedLinear } from '../compress/int8-layers.js';
import { quantizeDynamic } from '../compress/quantize.js';
import { loadModel, saveModel } from '../nn/checkpoint.js';
import { Conv2d, Linear } from '../nn/layers.js';
import { TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { Rng } from '../tensor/random.js';
import {
  copySimpleNet, percent, SectionClock, trainClassifier, trainedSimpleNet, writeJson, type EpochRow, type ExperimentConfig, type ExperimentData,
  type SectionSeconds, type TrainedNet,
} from './common.js';

/** Settings of section 5. */
export interface QuantizationConfig extends ExperimentConfig {
  /** Start from this trained SimpleNet instead of training one. */
  modelPath?: string;
  /** The trained teacher CNN (a file, or the model itself when section 1 ran first); trained here otherwise. */
  teacherPath?: string;
  teacher?: TeacherNet;
  /** Skip the teacher CNN. */
  skipTeacher?: boolean;
  /** Start from this SimpleNet (shared by the sections of one run). */
  net?: TrainedNet;
}

/** One model in one number format. */
export interface QuantizationRow {
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
export interface QuantizationResult {
  training: EpochRow[];
  rows: QuantizationRow[];
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

async function compare(name: 'simple-net' | 'teacher', float: Module, copy: () => Module, data: ExperimentData, config: QuantizationConfig): Promise<{ rows: QuantizationRow[]; layers: LayerErrorRow[] }> {
  const x = data.testSet.x;
  const rows: QuantizationRow[] = [];
  const layers: LayerErrorRow[] = [];
  const variants: [QuantizationRow['scheme'], Module][] = [
    ['fp32', float],
    ['int8 per-tensor', quantizeDynamic(copy(), { perChannel: false })],
    ['int8 per-channel', quantizeDynamic(copy(), { perChannel: true })],
  ];
  let base: QuantizationRow | null = null;
  for (const [scheme, model] of variants) {
    const latency64 = forwardLatency(model, x, 64);
    const latency1 = forwardLatency(model, x, 1);
    const largeBatch = name === 'teacher' ? Math.min(1000, x.shape[0]) : x.shape[0];
    const latency10k = setLatency(model, x, largeBatch);
    const row: QuantizationRow = {
      model: name, scheme, accuracy: accuracyOn(model, data.testSet), weightBytes: stateBytes(model),
      fileBytes: await fileBytes(model, config.out, `${name}-${scheme.replace(/ /g, '-')}`),
      latency64, latency10k, largeBatch, speedup64: base ? base.latency64 / latency64 : 1, speedup10k: base ? base.latency10k / latency10k : 1,
      latency1, speedup1: base ? base.latency1 / latency1 : 1,
    };
    base ??= row;
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
export async function runQuantization(config: QuantizationConfig, data: ExperimentData): Promise<QuantizationResult> {
  const clock = new SectionClock();
  const { net, epochs: training } = await trainedSimpleNet('simple-net', config, data);
  const simple = await compare('simple-net', net, () => copySimpleNet(net), data, config);
  const rows = [...simple.rows];
  const layers = [...simple.layers];
  clock.mark('notebook');
  if (!config.skipTeacher) {
    let teacher = config.teacher;
    if (!teacher) {
      teacher = new TeacherNet(new Rng(config.seed));
      if (config.teacherPath) await loadModel(teacher, config.teacherPath);
      else training.push(...trainClassifier('teacher', teacher, data, config));
    }
    const t = teacher;
    const copyTeacher = (): Module => {
      const c = new TeacherNet(new Rng(0));
      c.loadStateDict(t.stateDict());
      return c;
    };
    const cnn = await compare('teacher', t, copyTeacher, data, config);
    rows.push(...cnn.rows);
    layers.push(...cnn.layers);
  }
  clock.mark('extras');
  const result = { training, rows, layers, seconds: clock.seconds };
  await writeJson(config.out, 'quantization.json', result);
  return result;
}
