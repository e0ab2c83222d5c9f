/// <reference lib="dom" />

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromBytes } from '../src/compress/checkpoint.js';
import { modelBytes } from '../src/compress/latency.js';
import { loadMnist } from '../src/node/mnist.js';
import { inkFromRgba, mnistInput } from '../web/preprocess.js';
import { ARTIFACTS, CHROMIUM, nodeAnswer, pageState, usePlayground } from './playground-harness.js';

/**
 * The playground in a real Chromium: the engine it runs, the answers of every model to a
 * drawn digit and to a test image (held to Node's for the same input and model), and the
 * pages without a run folder and without the isolation headers (test/playground-harness.ts
 * makes the run folder, builds and serves the page).
 */
describe.skipIf(!CHROMIUM)('the playground in Chromium', () => {
  const { files, urls, open } = usePlayground();

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
