/**
 * `npm run playground [-- --run DIR] [--port N] [--no-isolation] [--dev]`: builds the page
 * (vite build) and serves it on this machine, printing the address. The servers send the
 * cross-origin isolation headers unless `--no-isolation` (which shows the page's fallback).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, createServer, preview } from 'vite';
import { newestRun, playgroundConfig } from './vite.config.js';

const USAGE = 'usage: npm run playground -- [--run DIR] [--port N] [--no-isolation] [--dev]\n';

async function main(): Promise<number> {
  let values: { run?: string; port?: string; 'no-isolation'?: boolean; dev?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        run: { type: 'string' },
        port: { type: 'string' },
        'no-isolation': { type: 'boolean' },
        dev: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    process.stderr.write(`playground: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = values.port === undefined ? 5173 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`playground: --port ${values.port}: expected a port number\n${USAGE}`);
    return 2;
  }
  const run = values.run === undefined ? newestRun() : resolve(values.run);
  const config = playgroundConfig({ run, isolated: !values['no-isolation'] });
  if (!run) process.stdout.write('playground: no run folder under runs/ (run `npm start` to make one); the page says so too\n');
  else process.stdout.write(`playground: models from ${run}\n`);
  if (values.dev) {
    const server = await createServer({ ...config, server: { ...config.server, port } });
    await server.listen();
    process.stdout.write(`playground (dev): ${server.resolvedUrls?.local[0]}\n`);
  } else {
    await build(config);
    const server = await preview({ ...config, preview: { ...config.preview, port } });
    process.stdout.write(`playground: ${server.resolvedUrls?.local[0]}\n`);
  }
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`playground: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
