#!/usr/bin/env node
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`slimtensor: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
