import { platform } from '../platform/index.js';

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second. It draws only
 * when stderr is a terminal (so logs and tests stay clean).
 * @example const bar = new ProgressBar('epoch 1', 938); bar.tick({ loss: 0.3 }); bar.done();
 */
export class ProgressBar {
  private count = 0;
  private lastDraw = 0;
  private readonly start = performance.now();
  private readonly out = platform().terminal();

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  /** Advances by `n` steps and shows `info` (e.g. the running loss) after the bar. */
  tick(info: Record<string, number> = {}, n = 1): void {
    this.count += n;
    if (!this.out) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && this.count < this.total) return;
    this.lastDraw = now;
    this.draw(info, now);
  }

  /** Clears the bar's line. */
  done(): void {
    this.out?.write('\r\x1b[2K');
  }

  private draw(info: Record<string, number>, now: number): void {
    const width = 24;
    const frac = this.total > 0 ? Math.min(1, this.count / this.total) : 1;
    const filled = Math.round(frac * width);
    const elapsed = (now - this.start) / 1000;
    const eta = frac > 0 ? elapsed / frac - elapsed : 0;
    const extras = Object.entries(info)
      .map(([k, v]) => `${k} ${v.toFixed(4)}`)
      .join('  ');
    const line =
      `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.count}/${this.total} ` +
      `${elapsed.toFixed(1)}s<${eta.toFixed(1)}s ${extras}`;
    this.out?.write(`\r\x1b[2K${line}`);
  }
}
