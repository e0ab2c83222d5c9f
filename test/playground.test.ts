/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from '../src/compress/checkpoint.js';
import { type SparseLinear, toSparse } from '../src/compress/csr.js';
import { modelBytes } from '../src/compress/latency.js';
import { Pruner } from '../src/compress/prune.js';
import { subset } from '../src/data/dataset.js';
import { type MLP, SimpleNet, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { runPlanned } from '../src/nn/plan.js';
import { loadMnist } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { softmax } from '../src/tensor/ops/loss.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { evaluate } from '../src/train/evaluate.js';
import { fit } from '../src/train/fit.js';
import { type CompressSettings, compress } from '../web/compress.js';
import { inkFromRgba, mnistInput } from '../web/preprocess.js';
import { playgroundConfig } from '../web/vite.config.js';
import { tempDir } from './helpers.js';

/**
 * The playground in a real Chromium (Debian's, driven by playwright-core; never a
 * downloaded browser). The test makes its own run folder (models trained on a slice),
 * builds the page with vite, serves it with and without the isolation headers, and holds
 * what the page shows to what Node computes for the same input and model.
 */

function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (p && existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const CHROMIUM = chromiumPath();
if (!CHROMIUM) console.warn('playground tests SKIPPED: no Chromium here (apt-get install chromium; .ci/run installs it)');

/** Where the screenshots of each panel go (a test artifact, not committed). */
const ARTIFACTS = resolve(__dirname, '..', 'dist', 'test-artifacts', 'playground');

interface PageState {
  engine: { backend: string; threads: number; simd: string; crossOriginIsolated: boolean; fallback: string | null };
  models: { run: string | null; models: { name: string; bytes: number; accuracy: number }[]; failed: { name: string; error: string }[] };
  input: number[] | null;
  answers: { name: string; prediction: number; probabilities: number[] }[];
}

async function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const s = (window as unknown as { playground: Record<string, unknown> }).playground;
    return JSON.parse(JSON.stringify({ ...s, input: s.input ? Array.from(s.input as Float32Array) : null }));
  });
}

/** Node's answer for `input` from `model`: softmax of the planned forward, as the page's engine computes it. */
function nodeAnswer(model: Module, input: ArrayLike<number>): number[] {
  model.eval();
  return noGrad(() => Array.from(softmax(runPlanned(model, new Tensor(Float32Array.from(input), [1, 1, 28, 28])), 1).data));
}

describe.skipIf(!CHROMIUM)('the playground in Chromium', () => {
  let run: string;
  let browser: Browser;
  const servers: PreviewServer[] = [];
  const files = new Map<string, Uint8Array>();
  const urls = { isolated: '', plain: '', empty: '' };

  beforeAll(async () => {
    run = tempDir('playground-run');
    const train = await loadMnist('train', { limit: 2000 });
    const net = new SimpleNet(new Rng(1));
    fit(net, train, { epochs: 1, seed: 1 });
    const teacher = new TeacherNet(new Rng(2));
    fit(teacher, subset(train, 0, 500), { epochs: 1, seed: 2 });
    const pruned = net.clone();
    new Pruner(pruned).pruneToSparsity(0.9, { scope: 'global' });
    files.set('simple-net-fp32', modelToBytes(net));
    files.set('pruned-sparse', modelToBytes(toSparse(pruned)));
    files.set('teacher', modelToBytes(teacher));
    for (const [name, bytes] of files) writeFileSync(join(run, `${name}.safetensors`), bytes);
    writeFileSync(join(run, 'broken.safetensors'), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const outDir = join(tempDir('playground-build'), 'page');
    await build(playgroundConfig({ run, outDir }));
    for (const [key, isolated, folder] of [
      ['isolated', true, run],
      ['plain', false, run],
      ['empty', true, null],
    ] as const) {
      const config = playgroundConfig({ run: folder, outDir, isolated });
      const server = await preview({ ...config, preview: { ...config.preview, port: 0, host: '127.0.0.1' } });
      servers.push(server);
      urls[key] = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/`;
    }
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ['--no-sandbox'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await new Promise((done) => s.httpServer.close(done));
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('body[data-models]', { timeout: 60_000 });
    expect(errors).toEqual([]);
    return page;
  }

  it('is cross-origin isolated and runs the wasm backend on two threads; it shows every model and says which file it could not ' +
    'read', async () => {
    const page = await open(urls.isolated);
    const state = await pageState(page);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(state.engine).toMatchObject({ backend: 'wasm', threads: 2, crossOriginIsolated: true, fallback: null });
    expect(state.models.models.map((m) => m.name).sort()).toEqual([...files.keys()].sort());
    for (const m of state.models.models) expect(m.bytes).toBe(modelBytes(modelFromBytes(files.get(m.name)!)));
    expect(state.models.failed.map((f) => f.name)).toEqual(['broken.safetensors']);
    const shown = await page.textContent('#error');
    expect(shown).toContain('broken.safetensors');
    expect(shown).toContain(state.models.failed[0].error);
    await page.locator('#compare-panel').screenshot({ path: join(ARTIFACTS, 'compare.png') });
    await page.close();
  }, 120_000);

  it("gives, for a digit drawn with the mouse, each model's prediction and probabilities as Node computes them for the page's " +
    'input', async () => {
    const page = await open(urls.isolated);
    const box = (await page.locator('#pad').boundingBox())!;
    // A "7": a bar across the top, then a stroke down to the lower left.
    await page.mouse.move(box.x + 80, box.y + 70);
    await page.mouse.down();
    for (const [x, y] of [
      [140, 66],
      [200, 64],
      [190, 120],
      [160, 180],
      [135, 230],
    ])
      await page.mouse.move(box.x + x, box.y + y, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => (window as unknown as { playground: { answers: unknown[] } }).playground.answers.length > 0);
    const state = await pageState(page);
    expect(state.input).toHaveLength(784);
    // The page's input is what preprocess.ts makes of the canvas's pixels.
    const rgba = await page.evaluate(() => {
      const pad = document.getElementById('pad') as HTMLCanvasElement;
      return Array.from(pad.getContext('2d')!.getImageData(0, 0, pad.width, pad.height).data);
    });
    expect(Array.from(mnistInput(inkFromRgba(Uint8ClampedArray.from(rgba), 280, 280))!)).toEqual(state.input);
    // Every model answers: the run folder's, and the live one the compress panel made at load.
    expect(state.answers.map((a) => a.name).sort()).toEqual([...files.keys(), 'live: simple-net-fp32'].sort());
    for (const answer of state.answers.filter((a) => files.has(a.name))) {
      const want = nodeAnswer(modelFromBytes(files.get(answer.name)!), state.input!);
      expect(answer.probabilities.length).toBe(10);
      for (let d = 0; d < 10; d++) expect(Math.abs(answer.probabilities[d] - want[d])).toBeLessThan(1e-4);
      expect(answer.prediction).toBe(want.indexOf(Math.max(...want)));
    }
    await page.locator('#draw-panel').screenshot({ path: join(ARTIFACTS, 'draw.png') });
    await page.close();
  }, 120_000);

  it('answers a real test image picked by the button as Node does for that image', async () => {
    const page = await open(urls.isolated);
    await page.click('#test-image');
    await page.waitForFunction(() => (window as unknown as { playground: { answers: unknown[] } }).playground.answers.length > 0);
    const state = await pageState(page);
    const test = await loadMnist('test', { limit: 1 });
    expect(state.input).toEqual(Array.from(test.images.subarray(0, 784)));
    expect(await page.textContent('#input-note')).toContain(`labelled ${test.labels[0]}`);
    for (const answer of state.answers.filter((a) => files.has(a.name))) {
      const want = nodeAnswer(modelFromBytes(files.get(answer.name)!), test.images.subarray(0, 784));
      for (let d = 0; d < 10; d++) expect(Math.abs(answer.probabilities[d] - want[d])).toBeLessThan(1e-4);
    }
    await page.close();
  }, 120_000);

  it('trains SimpleNet and the teacher for one epoch: the loss falls, 90% or more of 1,000 test images right; pause holds it', async () => {
    const page = await open(urls.isolated);
    type Training = { losses: number[]; last: { batch: number } | null; result: { accuracy: number; loss: number } | null };
    const training = (): Promise<Training> =>
      page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { playground: { training: unknown } }).playground.training)));
    for (const [button, name] of [
      ['#train-simple', 'SimpleNet'],
      ['#train-teacher', 'TeacherNet'],
    ] as const) {
      await page.click(button);
      await page.waitForFunction(
        () => ((window as unknown as { playground: { training: Training } }).playground.training?.last?.batch ?? 0) >= 30,
      );
      if (name === 'SimpleNet') {
        await page.click('#pause');
        await page.waitForTimeout(300);
        const held = (await training()).last!.batch;
        await page.waitForTimeout(700);
        expect((await training()).last!.batch).toBe(held);
        await page.click('#pause');
      }
      await page.waitForSelector(`body[data-trained="${name} (trained here)"]`, { timeout: 120_000 });
      const done = await training();
      const first = done.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
      const last = done.losses.slice(-5).reduce((a, b) => a + b) / 5;
      expect(last).toBeLessThan(first);
      expect(done.result!.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(await page.locator('#grid canvas.right').count()).toBeGreaterThanOrEqual(85);
      expect(await page.textContent('#train-status')).toMatch(/images\/s/);
    }
    await page.locator('#train-panel').screenshot({ path: join(ARTIFACTS, 'train.png') });
    await page.close();
  }, 240_000);

  it("gives, for each slider setting, the bytes and accuracy Node computes for it; the URL's hash brings the same view back", async () => {
    const page = await open(urls.isolated);
    await page.waitForSelector('body[data-compressed]');
    const base = modelFromBytes(files.get('simple-net-fp32')!) as MLP;
    const train = await loadMnist('train', { limit: 1000 });
    const statsImages = new Tensor(train.images, [1000, 1, 28, 28]);
    const test = await loadMnist('test', { limit: 1000 });
    const testSet = { x: new Tensor(test.images, [1000, 1, 28, 28]), labels: test.labels };
    const settings: CompressSettings[] = [
      { activation: 0, rank: 128, sparsity: 0.9, int8: false },
      { activation: 0.2, rank: 128, sparsity: 0, int8: false },
      { activation: 0, rank: 20, sparsity: 0, int8: true },
      { activation: 0.1, rank: 40, sparsity: 0.5, int8: true },
    ];
    for (const s of settings) {
      await page.evaluate((want) => {
        const set = (id: string, v: string, event: string): void => {
          const el = document.getElementById(id) as HTMLInputElement;
          if (el.type === 'checkbox') el.checked = v === 'true';
          else el.value = v;
          el.dispatchEvent(new Event(event));
        };
        set('activation', String(want.activation), 'input');
        set('rank', String(want.rank), 'input');
        set('sparsity', String(want.sparsity), 'input');
        set('int8', String(want.int8), 'change');
      }, s);
      await page.waitForFunction((want) => document.body.dataset.compressed === want, JSON.stringify(s));
      const shown = (await page.evaluate(() =>
        JSON.parse(JSON.stringify((window as unknown as { playground: { compressed: unknown } }).playground.compressed)),
      )) as {
        bytes: number;
        fileBytes: number;
        accuracy: number;
        steps: string[];
      };
      const { model, steps } = compress(base, s, statsImages);
      expect(shown.steps).toEqual(steps);
      expect(shown.bytes).toBe(modelBytes(model));
      expect(shown.fileBytes).toBe(modelToBytes(model).length);
      expect(Math.abs(shown.accuracy - evaluate(model, testSet))).toBeLessThanOrEqual(0.002);
    }
    const hash = await page.evaluate(() => location.hash);
    expect(hash).toContain('sparsity=0.5');
    const again = await open(`${urls.isolated}${hash}`);
    await again.waitForFunction((want) => document.body.dataset.compressed === want, JSON.stringify(settings.at(-1)));
    expect(await again.inputValue('#rank')).toBe('40');
    await page.locator('#compress-panel').screenshot({ path: join(ARTIFACTS, 'compress.png') });
    await again.close();
    await page.close();
  }, 240_000);

  it("looks inside a model: each layer's sparsity as Node counts it, the int8 scales, the conv filters as tiles", async () => {
    const page = await open(urls.isolated);
    await page.selectOption('#inspect-model', 'pruned-sparse');
    await page.click('#inspect');
    await page.waitForSelector('body[data-inspected="pruned-sparse"]');
    const shown = await page.$$eval('#layers .layer', (els) =>
      els.map((e) => [e.getAttribute('data-layer'), Number(e.getAttribute('data-sparsity'))]),
    );
    const sparse = modelFromBytes(files.get('pruned-sparse')!);
    const want = sparse.namedChildren().map(([name, layer]) => {
      const w = (layer as SparseLinear).weight;
      return [name, 1 - w.values.length / (w.rows * w.cols)];
    });
    expect(shown.map(([n]) => n)).toEqual(want.map(([n]) => n));
    for (let i = 0; i < want.length; i++) expect(shown[i][1]).toBeCloseTo(want[i][1] as number, 12);
    await page.locator('#inspect-panel').screenshot({ path: join(ARTIFACTS, 'inspect.png') });
    await page.selectOption('#inspect-model', 'teacher');
    await page.waitForSelector('body[data-inspected="teacher"]');
    expect(await page.textContent('#layers .layer[data-layer="conv1"]')).toContain('Conv2d [32, 1, 5, 5]');
    await page.close();
  }, 120_000);

  it('without a run folder says how to make one, and still offers training', async () => {
    const page = await open(urls.empty);
    expect(await page.textContent('#run')).toContain('npm start');
    expect(await page.textContent('#compress-result')).toContain('No SimpleNet to compress');
    expect(await page.isEnabled('#train-simple')).toBe(true);
    expect(await page.isHidden('#error')).toBe(true);
    await page.close();
  }, 60_000);

  it('without the isolation headers runs on one thread (the TypeScript kernels) and says so', async () => {
    const page = await open(urls.plain);
    const state = await pageState(page);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    expect(state.engine).toMatchObject({ backend: 'js', threads: 1, crossOriginIsolated: false });
    expect(await page.isVisible('#fallback')).toBe(true);
    expect(await page.textContent('#fallback')).toContain('one thread');
    expect(state.models.models.length).toBe(files.size);
    await page.locator('header').screenshot({ path: join(ARTIFACTS, 'not-isolated.png') });
    await page.close();
  }, 120_000);
});
