// StrykerJS: plants small bugs (mutants) in src/ and counts how many the tests catch.
// `npm run mutate -- src/compress` runs one folder (any folder or file under the scope below);
// `npm run mutate` runs the whole scope. Not part of CI: a full run takes hours on 2 cores.
// docs/MUTATION.md has the scores, the date and CPU, and the equivalent mutants.

// The js backend: the kernels under test are the TypeScript ones; the wasm glue
// (src/tensor/kernels/wasm/) is covered by the kernel-equivalence tests instead.
process.env.SLIMTENSOR_BACKEND = 'js';

/** The folders whose mutation score docs/MUTATION.md reports. */
const SCOPE = [
  'src/compress/**/*.ts',
  'src/tensor/kernels/**/*.ts',
  '!src/tensor/kernels/wasm/**',
  'src/tensor/ops/**/*.ts',
  'src/interop/**/*.ts',
  'src/nn/**/*.ts',
  'src/data/**/*.ts',
  // Barrel files only re-export.
  '!src/**/index.ts',
];

/** Where this run's reports go (stryker/mutate.mjs sets one per folder). */
const REPORT = process.env.SLIMTENSOR_MUTATION_REPORT ?? 'stryker/report/all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // A static mutant (in a module-level constant) needs the whole suite per mutant: 34% of
  // src/data's mutants took 65% of the time in a first run. They are counted as ignored,
  // and docs/MUTATION.md says how many there were.
  ignoreStatic: true,
  mutate: SCOPE,
  incremental: true,
  // stryker/mutate.mjs names one per folder: stryker/incremental/<folder>.json.
  incrementalFile: 'stryker/incremental/all.json',
  // One type-checker process and two test runners: the checker is mostly idle.
  concurrency: 3,
  timeoutMS: 20_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `${REPORT}.html` },
  jsonReporter: { fileName: `${REPORT}.json` },
  ignorePatterns: ['runs', 'scratch', 'docs/api', 'stryker', 'dist/test-artifacts', '.stryker-tmp'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
