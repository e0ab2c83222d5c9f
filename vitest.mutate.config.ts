import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The suite StrykerJS runs against each mutant: the unit and property tests, which import
// src/ (where the mutants are). Left out are the tests that run the built CLI, the packed
// package or the browser (they never see a mutant) and the end-to-end sections, which cost
// seconds per mutant and repeat what the unit tests check (training MNIST slices included).
export const MUTATION_EXCLUDED = [
  'test/all.test.ts',
  'test/cli.test.ts',
  'test/examples.test.ts',
  'test/experiments-*.test.ts',
  'test/package.test.ts',
  'test/playground*.test.ts',
  'test/ratios.test.ts',
  'test/readme.test.ts',
  'test/reproducible.test.ts',
  'test/train.test.ts',
  'test/structure.test.ts',
];

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: MUTATION_EXCLUDED,
      // Stryker reports; the run's own summary reporter would print per mutant.
      reporters: ['default'],
    },
  }),
);
