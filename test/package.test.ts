import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

/**
 * The package as npm ships it: the tarball `npm pack` makes from the build, installed into
 * a fresh project, imported from plain JavaScript, its types checked from TypeScript, an
 * example run there, and the packaging tools' verdicts on it.
 */

const ROOT = resolve(__dirname, '..');
const bin = (name: string): string => join(ROOT, 'node_modules', '.bin', name);
const run = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 32 * 2 ** 20, env: { ...process.env, npm_config_update_notifier: 'false' } });

describe('the packed package', () => {
  let tarball: string;
  let files: string[];
  let project: string;

  beforeAll(() => {
    const out = tempDir('pack');
    // The build is the one `npm ci` made (prepare); --ignore-scripts packs it as it is.
    const [info] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], ROOT)) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(out, info.filename);
    files = info.files.map((f) => f.path);
    project = tempDir('consumer');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    // The dependencies come from npm's cache, which `npm ci` filled.
    run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], project);
  }, 300_000);

  it('holds the build and the wasm kernels, and no tests, fixtures, bench, scratch, sources or maps', () => {
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('dist/src/node/index.js');
    expect(files).toContain('dist/wasm/kernels.wasm');
    expect(files).toContain('dist/wasm/kernels-relaxed.wasm');
    const stray = files.filter(
      (f) =>
        /^(test|bench|scratch|examples|docs|assembly|src)\/|^dist\/bench\/|fixtures|\.map$|\.test\./.test(f) ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    expect(stray).toEqual([]);
    // Every module shipped is built from a source file that exists (no stale output of a renamed or deleted one).
    const orphans = files
      .filter((f) => /^dist\/src\/.*\.js$/.test(f))
      .filter((f) => !existsSync(join(ROOT, f.replace(/^dist\//, '').replace(/\.js$/, '.ts'))));
    expect(orphans).toEqual([]);
  });

  it('imports from plain JavaScript: trains, prunes, runs as CSR, saves and exports', () => {
    writeFileSync(
      join(project, 'use.mjs'),
      `
      import { SimpleNet, Rng, Tensor, fit, evaluate, Pruner, toSparse, modelToBytes, modelFromBytes, exportOnnx, init } from 'slimtensor';
      import { saveModel, loadModel } from 'slimtensor/node';
      const info = await init();
      const rng = new Rng(1);
      const images = Tensor.uniform([256, 1, 28, 28], -1, 1, rng).data;
      const labels = Array.from({ length: 256 }, (_, i) => i % 10);
      const set = { images, labels, count: 256 };
      const net = new SimpleNet(new Rng(0));
      const [epoch] = fit(net, set, { epochs: 1, evalSet: set });
      new Pruner(net).pruneToSparsity(0.9, { scope: 'global' });
      const sparse = toSparse(net);
      await saveModel(sparse, 'sparse.safetensors');
      const back = await loadModel('sparse.safetensors');
      const onnx = await exportOnnx(sparse);
      console.log(JSON.stringify({
        info,
        loss: epoch.loss,
        same: evaluate(back, set) === evaluate(sparse, set),
        layers: back.namedChildren().map(([, m]) => m.constructor.name),
        onnx: onnx.length,
        again: modelFromBytes(modelToBytes(sparse)).numParameters() === sparse.numParameters(),
      }));
    `,
    );
    const r = JSON.parse(run(process.execPath, ['use.mjs'], project));
    expect(r.info.name).toBe(process.env.SLIMTENSOR_BACKEND === 'js' ? 'js' : 'wasm');
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.same).toBe(true);
    expect(r.layers).toEqual(['SparseLinear', 'SparseLinear', 'SparseLinear', 'SparseLinear']);
    expect(r.onnx).toBeGreaterThan(1000);
    expect(r.again).toBe(true);
  });

  it('type-checks a TypeScript file against the shipped types (strict, no skipLibCheck, no DOM)', () => {
    writeFileSync(
      join(project, 'check.ts'),
      `
      import { SimpleNet, Rng, fit, evaluate, quantizeDynamic, compareLatency, type FitEpoch, type Dataset } from 'slimtensor';
      import { Pruner, SparseLinear } from 'slimtensor/compress';
      import { loadMnist, saveModel } from 'slimtensor/node';
      const train: Dataset = await loadMnist('train', { limit: 100 });
      const net = new SimpleNet(new Rng(0));
      const log: FitEpoch[] = fit(net, train, { epochs: 1 });
      const accuracy: number = evaluate(quantizeDynamic(net.clone()), train);
      const speedUp: number = compareLatency(net, net, train).speedUp;
      const pruner: Pruner = new Pruner(net);
      const layer: SparseLinear | undefined = undefined;
      await saveModel(net, 'x.safetensors');
      // @ts-expect-error: fit takes a Dataset, not a number
      fit(net, 3);
      export { log, accuracy, speedUp, pruner, layer };
    `,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022'],
          types: [],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['check.ts'],
      }),
    );
    // Compiled by this repo's TypeScript: the consumer installs nothing but slimtensor.
    expect(() => run(bin('tsc'), ['-p', 'tsconfig.json'], project)).not.toThrow();
  });

  it('runs an example in --quick mode where it is installed', () => {
    mkdirSync(join(project, 'examples'), { recursive: true });
    copyFileSync(join(ROOT, 'examples', '05-quantization.ts'), join(project, 'examples', '05-quantization.ts'));
    const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
    const out = run(process.execPath, ['--import', tsx, 'examples/05-quantization.ts', '--quick'], project);
    expect(out).toMatch(/^Epoch 1, Loss: [\d.]+, Accuracy: \d+\.\d\d%$/m);
    expect(out).toMatch(/int8 accuracy: \d+\.\d\d%/);
  });

  it('publint and arethetypeswrong (esm-only) find no problem', () => {
    expect(run(bin('publint'), ['--strict', '--pack', 'false', join(project, 'node_modules', 'slimtensor')], ROOT)).toContain('All good!');
    expect(() => run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], ROOT)).not.toThrow();
  });
});
