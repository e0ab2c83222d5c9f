#!/usr/bin/env node
// The executable: runs the CLI and turns any error into one line on stderr. The CLI is
// imported dynamically so that an error while loading it is reported the same way.
function fail(e: unknown): void {
  process.stderr.write(`slimtensor: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}

import('./cli.js')
  .then(({ main }) => main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  }, fail);
