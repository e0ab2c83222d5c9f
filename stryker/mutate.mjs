// `npm run mutate -- src/compress src/nn/safetensors.ts`: StrykerJS on those folders or files
// only (each within the scope of stryker.config.mjs: the wasm glue and barrel files stay out).
// With no argument, the whole scope. Extra flags after the paths go to Stryker as they are.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const args = process.argv.slice(2);
const paths = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));

const globs = [];
for (const path of paths) {
  const clean = path.replace(/\/+$/, '');
  if (!existsSync(clean)) {
    console.error(`npm run mutate: no such file or folder: ${path}`);
    process.exit(2);
  }
  if (!clean.startsWith('src/')) {
    console.error(`npm run mutate: ${path} is outside src/, where the mutants go`);
    process.exit(2);
  }
  globs.push(statSync(clean).isDirectory() ? `${clean}/**/*.ts` : clean);
}
if (globs.length > 0) globs.push('!src/tensor/kernels/wasm/**', '!src/**/index.ts');

const stryker = ['stryker', 'run', ...(globs.length > 0 ? ['--mutate', globs.join(',')] : []), ...flags];
const run = spawnSync('npx', stryker, { stdio: 'inherit' });
process.exit(run.status ?? 1);
