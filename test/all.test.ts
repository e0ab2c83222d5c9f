import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { equivalentWork } from '../src/experiments/run-all.js';
import { tempDir } from './helpers.js';
import { runCli } from './run-cli.js';

describe('slimtensor all', () => {
  it('--quick on a small slice fills the run folder: every section, valid JSON, SVG charts with named axes, report', async () => {
    const dir = tempDir('all');
    const out = join(dir, 'run');
    const peers = {
      date: '2026-12-01T04:00:00.000Z',
      machine: 'a test machine',
      rows: [{ name: 'SimpleNet training step, batch 64: slimtensor', ms: 5.5, ratio: 0.7, baseline: 'PyTorch, 1 thread' }],
    };
    writeFileSync(join(dir, 'peers.json'), JSON.stringify(peers));
    const r = await runCli([
      'all',
      '--quick',
      '--train-limit',
      '600',
      '--test-limit',
      '300',
      '--out',
      out,
      '--peers',
      join(dir, 'peers.json'),
    ]);
    expect(r.code).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(Object.keys(results.sections)).toEqual(['distill', 'prune', 'activation-prune', 'low-rank', 'quantize', 'deep-compress']);
    expect(results.sections['deep-compress']).toMatchObject({ model: 'lenet-300-100', decodedMatches: true });
    expect(results.seconds['deep-compress'].extras).toBeGreaterThan(0);
    expect(results.sections.distill.models).toHaveLength(4);
    expect(results.sections.prune.sweep).toHaveLength(11);
    expect(results.sections['activation-prune'].sweep).toHaveLength(11);
    expect(results.sections['low-rank'].sweep).toHaveLength(13);
    expect(results.sections.quantize.rows).toHaveLength(6); // the teacher of section 1 is quantized too
    expect(results.machine).toMatchObject({ backend: expect.any(String), node: process.version, threads: expect.any(Number) });
    expect(results.seed).toBe(0);
    for (const key of ['distill', 'prune', 'activation-prune', 'low-rank', 'quantize']) {
      expect(results.seconds[key].notebook).toBeGreaterThan(0);
    }
    const axes: Record<string, string[]> = {
      'pruning-accuracy-vs-sparsity.svg': ['weights set to zero (%)', 'test accuracy (%)'],
      'activation-accuracy-vs-params.svg': ['parameters', 'test accuracy (%)'],
      'lowrank-accuracy-vs-rank.svg': ['rank of fc3 (log scale)', 'test accuracy (%)'],
      'lowrank-spectrum.svg': ['index i', 'singular value σᵢ'],
      'quantization.svg': ['weights (KiB)', 'ms per batch of 64'],
      'deep-compression.svg': ['stage', 'KB'],
      'tradeoff-accuracy-vs-bytes.svg': ['bytes of the model (log scale)', 'test accuracy (%)'],
      'tradeoff-accuracy-vs-latency.svg': ['ms per image at batch 1 (log scale)', 'ms per batch of 64 (log scale)', 'test accuracy (%)'],
    };
    for (const [file, titles] of Object.entries(axes)) {
      const svg = readFileSync(join(out, file), 'utf8');
      expect(svg, file).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg.trim().endsWith('</svg>'), file).toBe(true);
      for (const t of titles) expect(svg, `${file}: ${t}`).toContain(`>${t}</text>`);
    }
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const heading of [
      '1. Knowledge distillation',
      '2. Zero (magnitude) pruning',
      '3. Activation pruning',
      '4. Low-rank',
      '5. Dynamic int8',
      '6. Deep Compression',
    ]) {
      expect(report).toContain(`## ${heading}`);
    }
    expect(report.match(/What the notebook measured wrongly/g)).toHaveLength(5);
    expect(report).toContain('## Every method: accuracy vs speed');
    // Every section's table gives the speed-up of its compressed models over the dense one.
    for (const column of ['vs teacher b64', 'speed-up b1', 'speed-up b64', 'net speed-up b64']) expect(report).toContain(column);
    const pruneRows = results.sections.prune.fineTune as { speedup1: number; speedup64: number }[];
    expect(pruneRows.every((row) => row.speedup1 > 0 && row.speedup64 > 0)).toBe(true);
    for (const row of results.sections.quantize.rows as { latency1: number; speedup1: number }[])
      expect(row.latency1 > 0 && row.speedup1 > 0).toBe(true);
    expect(readdirSync(out).some((f) => f.includes('.tmp'))).toBe(false);
    // Every saved model, dense or compressed, is also written as ONNX.
    const onnx = results.onnx as { model: string; onnx: string | null; skipped?: string }[];
    expect(onnx.length).toBe(readdirSync(out).filter((f) => f.endsWith('.safetensors')).length);
    expect(onnx.length).toBeGreaterThan(10);
    for (const row of onnx) {
      expect(row.skipped, row.model).toBeUndefined();
      expect(existsSync(join(out, row.onnx!)), row.model).toBe(true);
    }
    expect(report).toContain('## The models as ONNX');
    // The saved peers run goes into the report and into results.json (so `report` renders it again).
    expect(report).toContain('## Against PyTorch and onnxruntime');
    expect(report).toContain('| SimpleNet training step, batch 64: slimtensor | 5.50 | 0.70× | PyTorch, 1 thread |');
    expect(results.peers).toEqual(peers);
    // The notebook trains SimpleNet in sections 2, 3 and 4; the time of its same work counts all three.
    const s = results.seconds as Record<string, { notebook: number }>;
    const same = Object.values(s).reduce((a, v) => a + v.notebook, 0) + 2 * s['simple-net'].notebook;
    expect(report).toContain(
      `| **the notebook's same work** (SimpleNet trained 3 times, as the notebook does) | ${same.toFixed(1)} s | | |`,
    );

    // `slimtensor report` renders the same report again from results.json, charts in a folder beside it.
    const docs = join(tempDir('all-docs'), 'docs');
    const again = await runCli(['report', '--run', out, '--markdown', join(docs, 'RESULTS.md')]);
    expect(again.code, again.err).toBe(0);
    const rendered = readFileSync(join(docs, 'RESULTS.md'), 'utf8');
    expect(rendered).toContain('do not edit by hand');
    expect(rendered).toContain(report.replace(/!\[([^\]]+)\]\(([^)]+)\)/g, '![$1](results/$2)'));
    expect(readdirSync(join(docs, 'results')).sort()).toEqual(Object.keys(axes).sort());
  }, 300_000);

  it("the notebook's same work counts a SimpleNet training per section that trains its own, only when there is more than one", () => {
    const seconds = {
      data: { notebook: 1, extras: 0 },
      'simple-net': { notebook: 10, extras: 0 },
      prune: { notebook: 2, extras: 7 },
      'activation-prune': { notebook: 3, extras: 7 },
      quantize: { notebook: 5, extras: 7 },
    };
    expect(equivalentWork(seconds)).toEqual({ seconds: 1 + 10 + 2 + 3 + 5 + 10, trainings: 2 });
    expect(equivalentWork({ ...seconds, 'low-rank': { notebook: 4, extras: 0 } })).toEqual({
      seconds: 1 + 10 + 2 + 3 + 5 + 4 + 20,
      trainings: 3,
    });
    const { prune: _, ...onePruning } = seconds;
    expect(equivalentWork(onePruning)).toBeNull();
  });

  it('report refuses a folder without results.json, and a results.json that is not a run', async () => {
    const dir = tempDir('report-bad');
    expect((await runCli(['report', '--run', dir, '--markdown', join(dir, 'R.md')])).err).toMatch(/results\.json: no such file/);
    expect((await runCli(['report', '--run', dir])).err).toMatch(/--markdown must name a \.md file/);
    writeFileSync(join(dir, 'results.json'), '{"sections": ');
    await expect(runCli(['report', '--run', dir, '--markdown', join(dir, 'R.md')])).rejects.toThrow(/results\.json: not valid JSON/);
    writeFileSync(join(dir, 'results.json'), '{"machine": {}, "seconds": {}, "sections": {"prune": {"sweep": 3}}}');
    await expect(runCli(['report', '--run', dir, '--markdown', join(dir, 'R.md')])).rejects.toThrow(
      /results\.json: a section's results are not as/,
    );
    expect(existsSync(join(dir, 'R.md'))).toBe(false);
  });

  it('bad input is a usage error, exit code 2, and nothing is written', async () => {
    const dir = tempDir('all-bad');
    const file = join(dir, 'taken');
    writeFileSync(file, 'keep');
    const notPeers = join(dir, 'not-peers.json');
    writeFileSync(notPeers, '{"rows": 3}');
    const hadRuns = existsSync('runs');
    const cases: [string[], RegExp][] = [
      [['all', '--sections', 'distill,prunning'], /unknown section 'prunning'/],
      [['all', '--frobnicate'], /Unknown option '--frobnicate'/],
      [['all', '--epochs', 'ten'], /--epochs must be an integer ≥ 1, got 'ten'/],
      [['all', '--out', file], /--out .*taken is a file, not a folder/],
      [['all', '--peers', join(dir, 'nowhere.json')], /--peers .*nowhere\.json: no such file/],
      [['all', '--peers', notPeers], /not-peers\.json: not a peers run saved by `npm run bench -- peers`: it needs date, machine and rows/],
    ];
    for (const [argv, message] of cases) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/usage: slimtensor all/);
    }
    expect(readdirSync(dir).sort()).toEqual(['not-peers.json', 'taken']);
    expect(readFileSync(file, 'utf8')).toBe('keep');
    expect(existsSync('runs')).toBe(hadRuns); // the default run folder is made only by a run that starts
  });
});
