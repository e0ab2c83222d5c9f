import { parseArgs } from 'node:util';
import { writeFileAtomic } from '../src/io/atomic.js';
import { formatTable } from '../src/report/table.js';
import { benchConv } from './conv.js';
import { benchCsr } from './csr.js';
import { benchElementwise } from './elementwise.js';
import { benchGemm } from './gemm.js';
import { benchGemv } from './gemv.js';
import { benchInt8 } from './int8.js';
import { benchLowRank } from './lowrank.js';
import { benchModels } from './models.js';
import { benchSvd } from './svd.js';
import { environment, type BenchOptions, type BenchResult } from './harness.js';
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
};

const USAGE = `usage: npm run bench -- [family ...] [--quick] [--json FILE]
families: ${Object.keys(FAMILIES).join(', ')} (default: all)
`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
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
  for (const family of positionals.length > 0 ? positionals : Object.keys(FAMILIES)) {
    const results = await FAMILIES[family](options);
    all.push(...results);
    process.stdout.write(`\n## ${family}\n${formatTable(results, [
      { header: 'case', value: (r) => r.name },
      { header: 'median ms', value: (r) => (Number.isNaN(r.median) ? '' : (r.median * 1000).toFixed(3)) },
      { header: 'spread ±%', value: (r) => (Number.isNaN(r.spread) ? '' : (r.spread * 50).toFixed(1)) },
      { header: 'rate', value: (r) => r.rate, digits: rateDigits(results) },
      { header: 'unit', value: (r) => r.unit },
      { header: 'ratio', value: (r) => (r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`) },
    ])}\n`);
  }
  if (values.json) await writeFileAtomic(values.json, `${JSON.stringify({ environment: env, results: all }, null, 2)}\n`);
  return 0;
}

/** Whole numbers for large rates (images/s), two decimals for small ones (GFLOP/s). */
function rateDigits(results: BenchResult[]): number {
  return results.every((r) => r.rate >= 100) ? 0 : 2;
}

main().then((code) => (process.exitCode = code), (e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
