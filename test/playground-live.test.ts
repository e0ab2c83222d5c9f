/// <reference lib="dom" />

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from '../src/compress/checkpoint.js';
import type { SparseLinear } from '../src/compress/csr.js';
import { modelBytes } from '../src/compress/latency.js';
import type { MLP } from '../src/nn/models.js';
import { loadMnist } from '../src/node/mnist.js';
import { Tensor } from '../src/tensor/tensor.js';
import { evaluate } from '../src/train/evaluate.js';
import { type CompressSettings, compress } from '../web/compress.js';
import { ARTIFACTS, CHROMIUM, usePlayground } from './playground-harness.js';

/**
 * The playground's live parts in a real Chromium: training in the page, compressing with
 * the sliders (held to the same compression run in Node) and looking inside a model.
 */
describe.skipIf(!CHROMIUM)('the playground live in Chromium', () => {
  const { files, urls, open } = usePlayground();

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
    // Take it away: the live model on screen, as safetensors (the same bytes Node makes) and as ONNX.
    const saved = page.waitForEvent('download');
    await page.click('#download-safetensors');
    const bytes = readFileSync((await (await saved).path())!);
    expect(new Uint8Array(bytes)).toEqual(modelToBytes(compress(base, settings.at(-1)!, statsImages).model));
    const onnx = page.waitForEvent('download');
    await page.click('#download-onnx');
    const download = await onnx;
    expect(download.suggestedFilename()).toMatch(/\.onnx$/);
    expect(readFileSync((await download.path())!).length).toBeGreaterThan(1000);
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
    // The chosen model is in the URL: a link to it opens on it.
    const hash = await page.evaluate(() => location.hash);
    expect(hash).toContain('inspect=teacher');
    const again = await open(`${urls.isolated}${hash}`);
    await again.waitForSelector('body[data-inspected="teacher"]');
    expect(await again.inputValue('#inspect-model')).toBe('teacher');
    await again.close();
    await page.close();
  }, 120_000);
});
