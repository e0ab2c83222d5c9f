import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SparseLinear } from '../src/compress/csr.js';
import { loadModel } from '../src/node/files.js';
import { loadMnist } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

/**
 * The README's library script, run as written in a project of its own that depends on
 * slimtensor, on a slice of MNIST: the only edits are the data limits and the epochs,
 * each checked to be there, so the README cannot drift from what runs.
 */

const ROOT = resolve(__dirname, '..');

function readmeScript(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const match = readme.match(/<!-- library-script[^>]*-->\n```ts\n([\s\S]*?)```/);
  if (!match) throw new Error('README.md has no library-script block');
  return match[1];
}

/** `text` with `from` replaced by `to`, which must occur exactly once. */
function edit(text: string, from: string, to: string): string {
  expect(text.split(from), `the README script no longer contains ${from}`).toHaveLength(2);
  return text.replace(from, to);
}

describe('the README', () => {
  it('is a short tour: at most 16 KB, and every docs/ file it links exists', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(16 * 1024);
    for (const [, link] of readme.matchAll(/\]\((docs\/[^)#]+)\)/g)) expect(existsSync(join(ROOT, link)), link).toBe(true);
  });
});

describe("the README's library script", () => {
  it('is at most 20 lines and imports only slimtensor and slimtensor/node', () => {
    const lines = readmeScript().trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(20);
    const sources = lines.flatMap((l) => [...l.matchAll(/from '([^']+)'/g)].map((m) => m[1]));
    expect(new Set(sources)).toEqual(new Set(['slimtensor', 'slimtensor/node']));
  });

  it('trains, prunes to 90%, fine-tunes, runs as CSR, saves and exports a model onnxruntime runs as slimtensor does', async () => {
    let script = readmeScript();
    script = edit(script, "loadMnist('train')", "loadMnist('train', { limit: 3000 })");
    script = edit(script, "loadMnist('test')", "loadMnist('test', { limit: 1000 })");
    script = edit(script, 'epochs: 5', 'epochs: 1');
    const project = tempDir('readme');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-user', private: true, type: 'module' }));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'slimtensor'), 'dir'); // as `npm install` of this repo would
    writeFileSync(join(project, 'script.ts'), script);
    const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
    const out = execFileSync(process.execPath, ['--import', tsx, 'script.ts'], { cwd: project, encoding: 'utf8' });

    const epochs = [...out.matchAll(/^model epoch 1: loss ([\d.]+), accuracy ([\d.]+)%$/gm)].map((m) => Number(m[2]));
    expect(epochs).toHaveLength(2); // training, then fine-tuning
    expect(epochs[0]).toBeGreaterThan(50);
    const csr = out.match(/^CSR: ([\d.]+)%, ([\d.]+)× dense at batch 1$/m);
    expect(csr, out).not.toBeNull();
    expect(Number(csr![1])).toBeGreaterThan(50);

    const saved = await loadModel(join(project, 'simple-net-90.safetensors'));
    const layers = saved.namedChildren().map(([, m]) => m);
    expect(layers.every((l) => l instanceof SparseLinear)).toBe(true);
    const zeros = layers.reduce(
      (n, l) => n + (l as SparseLinear).weight.rows * (l as SparseLinear).weight.cols - (l as SparseLinear).weight.nnz,
      0,
    );
    expect(zeros / 566528).toBeGreaterThanOrEqual(0.9 - 1e-6); // pruned to 90% of SimpleNet's weights

    const onnxPath = join(project, 'simple-net-90.onnx');
    expect(existsSync(onnxPath)).toBe(true);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(readFileSync(onnxPath));
    const test = await loadMnist('test', { limit: 32 });
    const x = new Tensor(test.images, [32, 1, 28, 28]);
    const result = await session.run({ input: new ort.Tensor('float32', x.data, [32, 1, 28, 28]) });
    const theirs = result.logits.data as Float32Array;
    const ours = noGrad(() => saved.forward(x)).data;
    const worst = theirs.reduce((m, v, i) => Math.max(m, Math.abs(v - ours[i])), 0);
    expect(worst).toBeLessThan(1e-3);
  });
});
