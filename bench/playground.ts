/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelToBytes } from '../src/compress/checkpoint.js';
import { SimpleNet, TeacherNet } from '../src/nn/models.js';
import { loadMnist } from '../src/node/mnist.js';
import { Rng } from '../src/tensor/random.js';
import { fit } from '../src/train/fit.js';
import { newestRun, playgroundConfig } from '../web/vite.config.js';
import type { BenchOptions, BenchResult } from './harness.js';

/**
 * The playground in Debian's Chromium (playwright-core): how soon the page is interactive,
 * how long every model takes to answer a digit, how long a slider change takes to show its
 * figures, and one training epoch in the page against the same epoch in Node (`fit`, the
 * same threads), taking turns. Times are medians of the rounds; page timings are the
 * page's own (performance.now, in the page).
 */

function chromium(): string | null {
  for (const p of [process.env.CHROMIUM, '/usr/bin/chromium']) if (p && existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function row(name: string, seconds: number[], rate: number, unit: string, ratio?: number, baseline?: string): BenchResult {
  return { family: 'playground', name, median: median(seconds), spread: NaN, samples: seconds.length, rate, unit, ratio, baseline };
}

export async function benchPlayground(options: BenchOptions): Promise<BenchResult[]> {
  const executablePath = chromium();
  if (!executablePath) {
    process.stdout.write('playground: no Chromium here (apt-get install chromium); the family is skipped\n');
    return [];
  }
  const { chromium: browserType } = await import('playwright-core');
  const { build, preview } = await import('vite');
  const scratch = mkdtempSync(join(tmpdir(), 'slimtensor-bench-playground-'));
  try {
    let run = newestRun();
    if (!run) {
      run = join(scratch, 'run');
      execFileSync('mkdir', ['-p', run]);
      const train = await loadMnist('train', { limit: 10_000 });
      const net = new SimpleNet(new Rng(0));
      fit(net, train, { epochs: 1 });
      writeFileSync(join(run, 'simple-net-fp32.safetensors'), modelToBytes(net));
      process.stdout.write(`playground: no run folder under runs/; timing a SimpleNet trained here (${run})\n`);
    }
    const outDir = join(scratch, 'page');
    await build(playgroundConfig({ run, outDir }));
    const config = playgroundConfig({ run, outDir });
    const server = await preview({ ...config, preview: { ...config.preview, port: 0, host: '127.0.0.1' } });
    const url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/`;
    const browser = await browserType.launch({ executablePath, args: ['--no-sandbox'] });
    const rounds = options.quick ? 1 : 3;
    const t: Record<string, number[]> = { ready: [], models: [], answer: [], slider: [] };
    const epochs: Record<string, { page: number[]; node: number[] }> = {
      SimpleNet: { page: [], node: [] },
      TeacherNet: { page: [], node: [] },
    };
    const trainSet = await loadMnist('train');
    type Timings = { engineReady: number; modelsReady: number; answer?: number; compress?: number };
    try {
      for (let round = 0; round < rounds; round++) {
        const page = await browser.newPage();
        await page.goto(url);
        await page.waitForSelector('body[data-models="ready"]', { timeout: 120_000 });
        await page.waitForSelector('body[data-compressed]', { timeout: 120_000 });
        const timings = (): Promise<Timings> =>
          page.evaluate(() => ({ ...(window as unknown as { playground: { timings: Timings } }).playground.timings }));
        const loaded = await timings();
        t.ready.push(loaded.engineReady / 1000);
        t.models.push(loaded.modelsReady / 1000);
        await page.click('#test-image');
        await page.waitForFunction(
          () => (window as unknown as { playground: { timings: Timings } }).playground.timings.answer !== undefined,
        );
        t.answer.push((await timings()).answer! / 1000);
        await page.evaluate(() => {
          const el = document.getElementById('sparsity') as HTMLInputElement;
          el.value = '0.9';
          el.dispatchEvent(new Event('input'));
        });
        await page.waitForFunction(() => document.body.dataset.compressed?.includes('"sparsity":0.9'));
        t.slider.push((await timings()).compress! / 1000);
        for (const [button, name, Model] of [
          ['#train-simple', 'SimpleNet', SimpleNet],
          ['#train-teacher', 'TeacherNet', TeacherNet],
        ] as const) {
          await page.click(button);
          await page.waitForSelector(`body[data-trained="${name} (trained here)"]`, { timeout: 600_000 });
          const result = await page.evaluate(
            () => (window as unknown as { playground: { training: { result: { imagesPerSecond: number } } } }).playground.training.result,
          );
          epochs[name].page.push(result.imagesPerSecond);
          const [epoch] = fit(new Model(new Rng(0)), trainSet, { epochs: 1, seed: 0 });
          epochs[name].node.push(epoch.imagesPerSecond);
        }
        await page.close();
      }
    } finally {
      await browser.close();
      await new Promise((done) => server.httpServer.close(done));
    }
    const results = [
      row('page interactive: the engine started (wasm compiled, helpers up)', t.ready, 1 / median(t.ready), 'loads/s'),
      row(`page: the run's models loaded and scored (${run})`, t.models, 1 / median(t.models), 'loads/s'),
      row('page: every model answers a test image (shown)', t.answer, 1 / median(t.answer), 'answers/s'),
      row('page: a slider change (90% sparse), figures and chart shown', t.slider, 1 / median(t.slider), 'changes/s'),
    ];
    for (const [name, { page, node }] of Object.entries(epochs)) {
      const nodeRate = median(node);
      const images = trainSet.count;
      results.push(
        row(
          `${name} one training epoch, Node (fit)`,
          node.map((r) => images / r),
          nodeRate,
          'images/s',
          1,
          'Node',
        ),
        row(
          `${name} one training epoch, in the page`,
          page.map((r) => images / r),
          median(page),
          'images/s',
          median(page) / nodeRate,
          'Node',
        ),
      );
    }
    return results;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
