import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The package as a library: its entries, what importing it does (nothing), what `init`
 * does, and the core entry's reach (no `node:` module but through the platform module).
 */

const ROOT = resolve(__dirname, '..');

/** Runs an ES module script in a fresh Node from the repo root (so 'slimtensor' resolves to the package's own exports). */
function runScript(code: string, env: Record<string, string | undefined> = {}, tsx = false): string {
  const args = [...(tsx ? ['--import', 'tsx'] : []), '--input-type=module', '-e', code];
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
  return execFileSync(process.execPath, args, { cwd: ROOT, env: childEnv, encoding: 'utf8' });
}

/** Relative imports and re-exports of a source file that stay at run time (not `import type`), and its `node:` imports. */
function runtimeImports(file: string): { local: string[]; builtin: string[] } {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;'"]*?from\s*'([^']+)'/gm),
    ...text.matchAll(/^\s*import\s*'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]);
  return {
    local: specifiers.filter((s) => s.startsWith('.')).map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, '.ts')),
    builtin: specifiers.filter((s) => s.startsWith('node:')),
  };
}

/** Every source file `entry` reaches at run time, with the `node:` modules each one imports. */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is imported but does not exist`);
    const { local, builtin } = runtimeImports(file);
    seen.set(file, builtin);
    queue.push(...local);
  }
  return seen;
}

describe('the core entry reaches Node only through the platform module', () => {
  it('no file the core entry reaches imports a node: module, except src/platform/', () => {
    const graph = importGraph('src/index.ts');
    expect(graph.size).toBeGreaterThan(60);
    expect([...graph.keys()]).toContain('src/tensor/kernels/wasm/helpers.ts');
    const offenders = [...graph]
      .filter(([file, builtin]) => builtin.length > 0 && !file.startsWith('src/platform/'))
      .map(([file, b]) => `${file}: ${b.join(', ')}`);
    expect(offenders).toEqual([]);
    // The one door: the platform module does import Node (so the walk sees node: imports at all).
    expect(graph.get('src/platform/node.ts')).toContain('node:worker_threads');
  });

  it('the walk would catch a node: import (it can fail)', () => {
    const graph = importGraph('src/node/index.ts');
    expect(graph.get('src/node/files.ts')).toContain('node:fs');
    expect(runtimeImports('src/node/mnist.ts').builtin).toEqual(['node:module', 'node:path']);
  });

  it('the core entry does not reach the CLI, the experiments, the report or the chart libraries', () => {
    const files = [...importGraph('src/index.ts').keys()];
    expect(files.filter((f) => /^src\/(cli|experiments|report|node)\b|^src\/(cli|main)\.ts$/.test(f))).toEqual([]);
  });
});

describe('importing the package', () => {
  const probe = `
    import { createRequire, syncBuiltinESMExports } from 'node:module';
    const require = createRequire(import.meta.url);
    const threads = require('node:worker_threads');
    const counts = { compiled: 0, workers: 0 };
    const { Module: WasmModule, compile } = WebAssembly;
    WebAssembly.Module = function (...a) { counts.compiled++; return new WasmModule(...a); };
    WebAssembly.compile = (...a) => { counts.compiled++; return compile(...a); };
    const Worker = threads.Worker;
    threads.Worker = class extends Worker { constructor(...a) { counts.workers++; super(...a); } };
    syncBuiltinESMExports();
    const lib = await import('slimtensor');
    const atImport = { ...counts };
    const x = lib.Tensor.ones([128, 256]);
    lib.matmul(x, lib.transpose(x)); // the first kernel call starts the backend
    console.log(JSON.stringify({ atImport, afterCall: counts, backend: lib.backendInfo() }));`;

  it('starts no worker thread and compiles no wasm; the first kernel call does', () => {
    const { atImport, afterCall, backend } = JSON.parse(runScript(probe, { SLIMTENSOR_BACKEND: undefined, SLIMTENSOR_THREADS: '2' }));
    expect(atImport).toEqual({ compiled: 0, workers: 0 });
    // The counters see the engine start (so the zeros above are not blind).
    expect(backend).toMatchObject({ name: 'wasm', threads: 2 });
    expect(afterCall.compiled).toBeGreaterThanOrEqual(1);
    expect(afterCall.workers).toBe(1);
  });

  it('the three entries load and name what the README uses', () => {
    const out = runScript(`
      const root = await import('slimtensor');
      const compress = await import('slimtensor/compress');
      const node = await import('slimtensor/node');
      console.log(JSON.stringify({
        root: ['Linear', 'Adam', 'SGD', 'SimpleNet', 'TeacherNet', 'StudentNet', 'LeNet300100', 'LeNet5', 'fit', 'evaluate',
          'DataLoader', 'init', 'Pruner', 'toSparse', 'exportOnnx', 'modelLatency', 'modelBytes']
          .filter((k) => typeof root[k] !== 'function'),
        compress: Object.keys(compress).filter((k) => root[k] !== compress[k]),
        node: ['loadMnist', 'saveModel', 'loadModel', 'saveOnnx'].filter((k) => typeof node[k] !== 'function'),
        leaks: ['trainClassifier', 'timeIt', 'speedUpOver', 'HelperThreads', 'useBackend', 'saveModel', 'loadMnist']
          .filter((k) => k in root),
      }));`);
    expect(JSON.parse(out)).toEqual({ root: [], compress: [], node: [], leaks: [] });
  });
});

describe('init', () => {
  it('reports what it chose, refuses other threads once started, switches backends, and names bad options', () => {
    const out = runScript(
      `
      import { init, backendInfo, Tensor, matmul } from 'slimtensor';
      const errors = [];
      const tryInit = async (o) => { try { await init(o); } catch (e) { errors.push(e.message); } };
      const first = await init({ threads: 1 });
      const again = await init();
      await tryInit({ threads: 2 });
      await tryInit({ threads: 0 });
      await tryInit({ backend: 'gpu' });
      await tryInit({ simd: 'avx' });
      const js = await init({ backend: 'js' });
      const x = Tensor.ones([4, 4]);
      const value = matmul(x, x).data[0];
      const back = await init({ backend: 'wasm' });
      console.log(JSON.stringify({ first, again, js, back, value, info: backendInfo(), errors }));`,
      { SLIMTENSOR_BACKEND: undefined, SLIMTENSOR_THREADS: undefined },
    );
    const r = JSON.parse(out);
    expect(r.first).toMatchObject({ name: 'wasm', threads: 1 });
    expect(r.again).toEqual(r.first);
    expect(r.js).toEqual({ name: 'js', threads: 1, simd: 'none' });
    expect(r.value).toBe(4);
    expect(r.back).toEqual(r.first);
    expect(r.errors).toEqual([
      'init: the wasm backend already runs 1 thread(s); threads: 2 must be asked for before the first kernel call',
      'init: threads must be an integer from 1 to 64, got 0',
      `init: backend must be 'js' or 'wasm', got "gpu"`,
      `init: simd must be 'relaxed' or 'plain', got "avx"`,
    ]);
  });

  it('where the platform compiles only asynchronously, a kernel call before init says so, and init then starts the engine', () => {
    const out = runScript(
      `
      import { setPlatform, platform } from './src/platform/index.ts';
      const node = platform();
      setPlatform({ ...node, name: 'a page', wasmBytesSync: undefined });
      const { init, Tensor, matmul } = await import('./src/index.ts');
      let message = '';
      try { matmul(Tensor.ones([2, 2]), Tensor.ones([2, 2])); } catch (e) { message = e.message; }
      const info = await init({ threads: 1 });
      const y = matmul(Tensor.ones([64, 64]), Tensor.ones([64, 64]));
      console.log(JSON.stringify({ message, info, y: y.data[0] }));`,
      { SLIMTENSOR_BACKEND: undefined },
      true,
    );
    const r = JSON.parse(out);
    expect(r.message).toBe('slimtensor: call `await init()` before the first kernel call (a page compiles WebAssembly asynchronously)');
    expect(r.info).toMatchObject({ name: 'wasm', threads: 1 });
    expect(r.y).toBe(64);
  });
});
