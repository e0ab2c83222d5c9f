import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The playground's modules import 'slimtensor' (the page's alias for src/index.ts); tests
  // that load them get the same source modules as every other test, not the built package.
  resolve: { alias: { slimtensor: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    // A focused test (it.only) fails the run instead of silently skipping the rest.
    allowOnly: false,
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
