import { join } from 'node:path';
import { writeFileAtomic } from '../node/atomic.js';
import type { TrainSettings } from '../train/classifier.js';

/** Settings every notebook section shares (the notebook's values by default). */
export interface ExperimentConfig extends TrainSettings {
  /** Train on the first N training images only. */
  trainLimit?: number;
  /** Evaluate on the first N test images only. */
  testLimit?: number;
  /** Run folder for models and results; nothing is written when absent. */
  out?: string;
}

/** The notebook's settings. */
export const NOTEBOOK_SETTINGS: ExperimentConfig = { epochs: 5, seed: 0, batchSize: 64, lr: 1e-3 };

/** The quick look of every section: 3,000 training and 1,000 test images, 1 epoch (each section adds its own shortcuts). */
export const QUICK_SETTINGS = { trainLimit: 3000, testLimit: 1000, epochs: 1 } as const satisfies Partial<ExperimentConfig>;

/** Writes `value` as pretty JSON to `<out>/<file>` atomically (nothing when `out` is absent). */
export async function writeJson(out: string | undefined, file: string, value: unknown): Promise<void> {
  if (out === undefined) return;
  await writeFileAtomic(join(out, file), `${JSON.stringify(value, null, 2)}\n`);
}

/** Percent with two decimals, as the notebook prints accuracies. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** Seconds a section spent on the notebook's own work and on what slimtensor adds. */
export interface SectionSeconds {
  notebook: number;
  extras: number;
}

/**
 * Splits a section's wall time between the notebook's work and the extra experiments:
 * `mark(phase)` books the time since the previous mark (or the start) to `phase`.
 */
export class SectionClock {
  readonly seconds: SectionSeconds = { notebook: 0, extras: 0 };
  private last = performance.now();

  mark(phase: keyof SectionSeconds): void {
    const now = performance.now();
    this.seconds[phase] += (now - this.last) / 1000;
    this.last = now;
  }
}
