// `npm run mutate -- src/compress src/nn/safetensors.ts`: StrykerJS on those folders or files,
// one run each, each within the scope of stryker.config.mjs (the wasm glue and barrel files
// stay out) and each with its own incremental file and report under stryker/, so a rerun of
// one folder reuses that folder's results. With no argument, every folder of docs/MUTATION.md.
// Extra flags after the paths go to Stryker as they are (e.g. --force for a full rerun).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { FOLDERS } from './folders.mjs';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const paths = args.filter((a) => !a.startsWith('-'));

for (const path of paths.length > 0 ? paths : FOLDERS) {
  const clean = path.replace(/\/+$/, '');
  if (!existsSync(clean)) {
    console.error(`npm run mutate: no such file or folder: ${path}`);
    process.exit(2);
  }
  if (!clean.startsWith('src/')) {
    console.error(`npm run mutate: ${path} is outside src/, where the mutants go`);
    process.exit(2);
  }
  const glob = statSync(clean).isDirectory() ? `${clean}/**/*.ts` : clean;
  const slug = clean.replace(/\.ts$/, '').replaceAll('/', '-');
  const stryker = [
    'stryker',
    'run',
    '--mutate',
    [glob, '!src/tensor/kernels/wasm/**', '!src/**/index.ts'].join(','),
    '--incrementalFile',
    `stryker/incremental/${slug}.json`,
    ...flags,
  ];
  console.log(`npm run mutate: ${clean}`);
  const run = spawnSync('npx', stryker, {
    stdio: 'inherit',
    // The reports of this run, beside the others: stryker/report/<slug>.html and .json.
    env: { ...process.env, SLIMTENSOR_MUTATION_REPORT: `stryker/report/${slug}` },
  });
  if (run.status !== 0) process.exit(run.status ?? 1);
}
