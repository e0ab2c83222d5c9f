import { toSparse } from '../src/compress/csr.js';
import { Pruner } from '../src/compress/prune.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { exportOnnx, type OnnxOptions, onnxEncoder } from '../src/interop/onnx.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { loadMnist } from '../src/node/mnist.js';
import { Rng } from '../src/tensor/random.js';
import { alternating, type BenchOptions, type BenchResult, type Contender, measure } from './harness.js';

/**
 * ONNX export: how long `exportOnnx` takes for each kind of model `npm start` writes (the
 * target is under a second for the largest), in MB of ONNX written per second; then what
 * onnxruntime-node does with a pruned net stored as a `sparse_initializer` against the same
 * net stored dense with its zeros: loading (session creation) and one pass over the 10k
 * test set, in alternating rounds. onnxruntime densifies sparse initializers at load, so
 * the smaller file is expected to run at the dense file's speed (measured here, not assumed).
 */
export async function benchOnnx(options: BenchOptions): Promise<BenchResult[]> {
  const rng = new Rng(21);
  const simple = new MLP([784, 512, 256, 128, 10], rng).eval();
  const pruned = simple.clone();
  new Pruner(pruned).pruneToSparsity(0.95, { scope: 'global' });
  const csr = toSparse(pruned);
  const teacher = new TeacherNet(rng).eval();
  const cases: [string, Module, OnnxOptions][] = [
    ['SimpleNet dense', simple, {}],
    ['SimpleNet int8', quantizeDynamic(simple.clone()), {}],
    ['SimpleNet 95% CSR, dense with zeros', csr, {}],
    ['SimpleNet 95% CSR, sparse_initializer', csr, { sparse: true }],
    ['teacher dense', teacher, {}],
    ['teacher int8', quantizeDynamic(teacher.clone(), { conv: true }), {}],
  ];
  const results: BenchResult[] = [];
  const encode = await onnxEncoder();
  for (const [name, model, o] of cases) {
    const mb = encode(model, o).length / 1e6;
    results.push({ ...measure('onnx', `export ${name} (${mb.toFixed(2)} MB)`, () => encode(model, o), mb, 'MB/s', options) });
  }
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch {
    process.stdout.write('onnx: onnxruntime-node is not installed; its half of the family is skipped\n');
    return results;
  }
  const test = await loadMnist('test');
  const feed = { input: new ort.Tensor('float32', test.images, [test.count, 1, 28, 28]) };
  const files = { 'dense with zeros': await exportOnnx(csr), sparse_initializer: await exportOnnx(csr, { sparse: true }) };
  const loads: Contender[] = [];
  const runs: Contender[] = [];
  for (const [label, bytes] of Object.entries(files)) {
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    loads.push({ name: `onnxruntime load, 95% CSR as ${label}`, run: () => ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 }) });
    runs.push({ name: `onnxruntime 1 thread, 95% CSR as ${label}, 10k images`, run: () => session.run(feed) });
  }
  const rounds = options.quick ? 3 : 9;
  const loaded = await alternating('onnx', loads, rounds, 1, 'loads/s');
  const ran = await alternating('onnx', runs, rounds, test.count, 'images/s');
  const ratio = (rs: BenchResult[]): BenchResult[] => rs.map((r) => ({ ...r, ratio: rs[0].median / r.median, baseline: rs[0].name }));
  return [...results, ...ratio(loaded), ...ratio(ran)];
}
