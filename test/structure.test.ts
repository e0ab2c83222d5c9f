import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The source tree's shape, checked: files small enough to read in one sitting, and
 * imports that only point down the layers of DESIGN.md, so any layer can be read (and
 * reused, e.g. by a browser page) without the ones above it.
 */

const ROOT = resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Layers from the bottom: a file may import its own layer and the ones below, never above. */
const LAYERS: [string, RegExp][] = [
  ['platform', /^src\/platform\//],
  ['kernels', /^src\/tensor\/kernels\//],
  ['tensor, io, report', /^src\/(tensor|io|report)\//],
  ['nn, optim', /^src\/(nn|optim)\//],
  ['data, train', /^src\/(data|train)\//],
  ['compress', /^src\/compress\//],
  ['interop', /^src\/interop\//],
  ['the core entry', /^src\/index\.ts$/],
  ['node', /^src\/node\//],
  ['experiments', /^src\/experiments\//],
  ['cli', /^src\/(cli\/|cli\.ts$|main\.ts$)/],
];

function layerOf(file: string): number {
  const i = LAYERS.findIndex(([, pattern]) => pattern.test(file));
  if (i < 0) throw new Error(`${file} is in no layer: add its folder to LAYERS (and to DESIGN.md)`);
  return i;
}

/** The files `file` imports (static, type-only and dynamic), as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]);
  return specifiers.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, '.ts'));
}

describe('source tree', () => {
  const files = [...sourceFiles('src'), ...sourceFiles('assembly'), ...sourceFiles('bench')];

  it('finds the files it checks', () => {
    expect(files).toContain('src/tensor/tensor.ts');
    expect(files).toContain('assembly/gemm.ts');
    expect(files.length).toBeGreaterThan(80);
  });

  /** Every file a reader opens: the sources, the kernels, the benchmarks, the tests and the examples. */
  const readable = [...files, ...sourceFiles('test'), ...sourceFiles('examples'), ...sourceFiles('web')];

  it('no source, test or example file is over 300 lines', () => {
    const long = readable.map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 300);
    expect(long).toEqual([]);
  });

  it("no line is over 140 characters, the formatter's width (assembly/ included, which Biome cannot parse)", () => {
    expect(readable).toContain('test/structure.test.ts');
    expect(readable).toContain('examples/01-distillation.ts');
    const long = readable.flatMap((f) =>
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => ([...line].length > 140 ? [`${f}:${i + 1} (${[...line].length} characters)`] : [])),
    );
    expect(long).toEqual([]);
  });

  it(
    'imports only point down: platform ← kernels ← tensor ← nn/optim ← data/train ← compress ← interop ← core entry ← node ← ' +
      'experiments ← cli',
    () => {
      const upward: string[] = [];
      for (const file of files.filter((f) => f.startsWith('src/'))) {
        for (const target of importsOf(file)) {
          if (layerOf(target) > layerOf(file))
            upward.push(`${file} (${LAYERS[layerOf(file)][0]}) imports ${target} (${LAYERS[layerOf(target)][0]})`);
        }
      }
      expect(upward).toEqual([]);
    },
  );

  it('the layer check sees an upward import (it can fail)', () => {
    expect(importsOf('src/experiments/prune.ts')).toContain('src/compress/prune.ts');
    expect(layerOf('src/compress/prune.ts')).toBeGreaterThan(layerOf('src/nn/module.ts'));
    expect(layerOf('src/tensor/kernels/gemm.ts')).toBeLessThan(layerOf('src/tensor/tensor.ts'));
  });

  it("the playground's page and engine import only slimtensor's public entry (besides each other and the charts)", () => {
    // The page's own modules; vite.config.ts and serve.ts are its build and server, in Node.
    const page = sourceFiles('web').filter((f) => !/\/(vite\.config|serve)\.ts$/.test(f));
    expect(page).toContain('web/engine.worker.ts');
    const foreign = page.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)]
        .map((m) => m[1])
        // slimtensor's public entry, each other, and the chart libraries (vega, vega-lite).
        .filter((s) => !['slimtensor', 'vega', 'vega-lite'].includes(s) && !/^\.\/[\w.-]+\.js$/.test(s))
        .map((s) => `${file} imports ${s}`),
    );
    expect(readFileSync(join(ROOT, 'web/engine.worker.ts'), 'utf8')).toContain("from 'slimtensor'");
    expect(foreign).toEqual([]);
  });
});
