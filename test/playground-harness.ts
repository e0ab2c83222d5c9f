/// <reference lib="dom" />
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build, type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, expect } from 'vitest';
import { modelToBytes } from '../src/compress/checkpoint.js';
import { toSparse } from '../src/compress/csr.js';
import { Pruner } from '../src/compress/prune.js';
import { subset } from '../src/data/dataset.js';
import { SimpleNet, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { runPlanned } from '../src/nn/plan.js';
import { loadMnist } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { softmax } from '../src/tensor/ops/loss.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { fit } from '../src/train/fit.js';
import { playgroundConfig } from '../web/vite.config.js';
import { tempDir } from './helpers.js';

/**
 * What the playground's browser tests share: Debian's Chromium (driven by playwright-core;
 * never a downloaded browser), a run folder the tests make themselves (models trained on a
 * slice, and one broken file), the page built with vite and served with the isolation
 * headers, without them, and without a run folder, and Node's answers to compare with.
 */

export function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) if (p && existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export const CHROMIUM = chromiumPath();
if (!CHROMIUM) console.warn('playground tests SKIPPED: no Chromium here (apt-get install chromium; .ci/run installs it)');

/** Where the screenshots of each panel go (a test artifact, not committed). */
export const ARTIFACTS = resolve(__dirname, '..', 'dist', 'test-artifacts', 'playground');

export interface PageState {
  engine: { backend: string; threads: number; simd: string; crossOriginIsolated: boolean; fallback: string | null };
  models: { run: string | null; models: { name: string; bytes: number; accuracy: number }[]; failed: { name: string; error: string }[] };
  input: number[] | null;
  answers: { name: string; prediction: number; probabilities: number[] }[];
}

export async function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const s = (window as unknown as { playground: Record<string, unknown> }).playground;
    return JSON.parse(JSON.stringify({ ...s, input: s.input ? Array.from(s.input as Float32Array) : null }));
  });
}

/** Node's answer for `input` from `model`: softmax of the planned forward, as the page's engine computes it. */
export function nodeAnswer(model: Module, input: ArrayLike<number>): number[] {
  model.eval();
  return noGrad(() => Array.from(softmax(runPlanned(model, new Tensor(Float32Array.from(input), [1, 1, 28, 28])), 1).data));
}

/** The running playground of one test file: its files, its three addresses, and a way to open a page. */
export interface Playground {
  files: Map<string, Uint8Array>;
  urls: { isolated: string; plain: string; empty: string };
  open(url: string): Promise<Page>;
}

/** Registers the file's beforeAll (make the run folder, build, serve, launch) and afterAll; call it inside a describe. */
export function usePlayground(): Playground {
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
  return { files, urls, open };
}
