import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/node/atomic.js';
import type { PeersRun } from '../src/report/peers.js';
import { type Column, formatMarkdown, formatTable, toSignificant } from '../src/report/table.js';
import { benchConv } from './conv.js';
import { benchCsr } from './csr.js';
import { benchElementwise } from './elementwise.js';
import { benchGemm } from './gemm.js';
import { benchGemv } from './gemv.js';
import { type BenchOptions, type BenchResult, environment } from './harness.js';
import { benchInt8 } from './int8.js';
import { benchLowRank } from './lowrank.js';
import { benchModels } from './models.js';
import { benchOnnx } from './onnx.js';
import { benchOnnxruntime } from './peers/onnxruntime.js';
import { benchPytorch } from './peers/pytorch.js';
import { benchNotebookTraining } from './peers/training.js';
import { benchPlayground } from './playground.js';
import { benchSvd } from './svd.js';
import { benchTrain } from './train.js';

const FAMILIES: Record<string, (o: BenchOptions) => BenchResult[] | Promise<BenchResult[]>> = {
  gemm: benchGemm,
  gemv: benchGemv,
  conv: benchConv,
  csr: benchCsr,
  int8: benchInt8,
  lowrank: benchLowRank,
  models: benchModels,
  svd: benchSvd,
  elementwise: benchElementwise,
  train: benchTrain,
  playground: benchPlayground,
  peers: async (o) => [...(await benchOnnxruntime(o)), ...(await benchPytorch(o))],
  onnx: benchOnnx,
  'notebook-training': benchNotebookTraining,
};

/** Families that take minutes: run only when named. */
const ON_REQUEST = new Set(['notebook-training', 'playground']);

const USAGE = `usage: npm run bench -- [family ...] [--quick] [--json FILE] [--markdown FILE]
families: ${Object.keys(FAMILIES).join(', ')} (default: all; ${[...ON_REQUEST].join(', ')} runs only when named, as it takes minutes)
`;

/** The command line, parsed; null (after printing the usage) when it cannot be. */
function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean' },
        json: { type: 'string' },
        markdown: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    });
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}`);
    return null;
  }
}

async function main(): Promise<number> {
  const parsed = parseCommandLine();
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = positionals.filter((p) => !(p in FAMILIES));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown family '${unknown[0]}'\n${USAGE}`);
    return 2;
  }
  const options: BenchOptions = { quick: values.quick ?? false };
  const env = environment();
  process.stdout.write(`slimtensor bench: ${env.cpu}, ${env.cores} cores, Node ${env.node}, backend ${env.backend}\n`);
  const all: BenchResult[] = [];
  const families = positionals.length > 0 ? positionals : Object.keys(FAMILIES).filter((f) => !ON_REQUEST.has(f));
  const sections: string[] = [];
  const started = performance.now();
  for (const family of families) {
    const results = await FAMILIES[family](options);
    all.push(...results);
    process.stdout.write(`\n## ${family}\n${formatTable(results, columns(results))}\n`);
    sections.push(`## ${family}\n\n${formatMarkdown(results, columns(results))}\n`);
    if (family === 'peers' && results.length > 0 && !options.quick) await savePeers(results, env);
  }
  if (values.json) await writeFileAtomic(values.json, `${JSON.stringify({ environment: env, results: all }, null, 2)}\n`);
  if (values.markdown) {
    const command = `npm run bench --${positionals.length > 0 ? ` ${positionals.join(' ')}` : ''}${options.quick ? ' --quick' : ''}`;
    const head = [
      '# slimtensor benchmarks',
      '',
      `Written by \`${command} --markdown FILE\` on ${String(env.date).slice(0, 10)} in ` +
        `${((performance.now() - started) / 60000).toFixed(1)} min: ` +
        `${env.cpu}, ${env.cores} cores, Node ${env.node}, default backend ` +
        `${env.backend}${env.simd !== 'none' ? ` (${env.simd} SIMD)` : ''}, ${env.threads} thread(s).`,
      'Medians; "spread ±%" is half the interquartile range as a percentage of the median; every ratio is against the baseline named in ' +
        'that family, measured in the same run. What each family measures is in the README.',
      '',
    ];
    await writeFileAtomic(values.markdown, `${[...head, ...sections].join('\n')}`);
  }
  return 0;
}

/** Where the peers family leaves its last full run for `slimtensor all` and `report` (see src/report/peers.ts). */
const PEERS_FILE = 'runs/peers.json';

async function savePeers(results: BenchResult[], env: Record<string, string | number>): Promise<void> {
  const peers: PeersRun = {
    date: String(env.date),
    machine: `${env.cpu}, ${env.cores} cores, Node ${env.node}, slimtensor on ${env.backend} with ${env.threads} thread(s)`,
    rows: results.map((r) => ({ name: r.name, ms: r.median * 1000, ratio: r.ratio ?? null, baseline: r.baseline ?? null })),
  };
  await mkdir('runs', { recursive: true });
  await writeFileAtomic(PEERS_FILE, `${JSON.stringify(peers, null, 2)}\n`);
  process.stdout.write(`peers: saved to ${PEERS_FILE}; the report of the next \`slimtensor all\` includes it\n`);
}

/** The table of one family: case, median, spread, rate, unit, ratio. */
function columns(results: BenchResult[]): Column<BenchResult>[] {
  return [
    { header: 'case', value: (r) => r.name },
    { header: 'median ms', value: (r) => (Number.isNaN(r.median) ? '' : toSignificant(r.median * 1000, 3)) },
    { header: 'spread ±%', value: (r) => (Number.isNaN(r.spread) ? '' : (r.spread * 50).toFixed(1)) },
    { header: 'rate', value: (r) => r.rate, digits: rateDigits(results) },
    { header: 'unit', value: (r) => r.unit },
    { header: 'ratio', value: (r) => (r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`) },
  ];
}

/** Whole numbers for large rates (images/s), two decimals for small ones (GFLOP/s). */
function rateDigits(results: BenchResult[]): number {
  return results.every((r) => r.rate >= 100) ? 0 : 2;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 1;
  },
);
