import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakEvenDensity, CsrMatrix, indexWidth, SparseLinear, toSparse } from '../src/compress/csr.js';
import { Pruner } from '../src/compress/prune.js';
import { Linear } from '../src/nn/layers.js';
import { MLP } from '../src/nn/models.js';
import { loadCompressedModel, saveModel } from '../src/node/files.js';
import { noGrad } from '../src/tensor/autograd.js';
import { gemmNaive } from '../src/tensor/kernels/gemm-naive.js';
import { csrLinear, csrLinearNaive } from '../src/tensor/kernels/sparse.js';
import { sparseChain } from '../src/tensor/ops/sparse.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, randomArray, sparseRandom, tempDir } from './helpers.js';

describe('CSR', () => {
  it('round-trips dense → CSR → dense exactly, with the narrowest index type', () => {
    const rng = new Rng(1);
    for (const [rows, cols] of [
      [1, 1],
      [5, 7],
      [40, 300],
      [3, 70000],
    ]) {
      const dense = sparseRandom(rows, cols, 0.1, rng);
      const csr = CsrMatrix.fromDense(dense, rows, cols);
      expect(csr.toDense()).toEqual(dense);
      expect(csr.colIndices.BYTES_PER_ELEMENT).toBe(indexWidth(cols));
      expect(csr.nnz).toBe(dense.filter((v) => v !== 0).length);
    }
    expect(indexWidth(256)).toBe(1);
    expect(indexWidth(257)).toBe(2);
    expect(indexWidth(70000)).toBe(4);
  });

  it('counts the bytes of every array: values, column indices and row pointers', () => {
    const dense = new Float32Array(4 * 300);
    dense[5] = 1;
    dense[700] = 2;
    dense[1199] = 3;
    const csr = CsrMatrix.fromDense(dense, 4, 300);
    expect(csr.bytes()).toEqual({ values: 12, colIndices: 6, rowPtr: 20, total: 38 });
    // Break-even density: CSR bytes equal dense bytes there.
    const d = breakEvenDensity(512, 784, 4);
    expect(d * 512 * 784 * 8 + 4 * 513).toBeCloseTo(512 * 784 * 4, 3);
    expect(d).toBeGreaterThan(0.49);
    expect(d).toBeLessThan(0.5);
  });

  it('CSR × dense equals dense × dense (naive and fast kernels, batch 1 and many, empty rows, all zero)', () => {
    const rng = new Rng(2);
    for (const [rows, cols, N, density] of [
      [7, 5, 1, 0.5],
      [33, 70, 64, 0.3],
      [128, 256, 3, 0.05],
      [10, 20, 8, 0],
      [16, 9, 17, 1],
    ]) {
      const w = sparseRandom(rows, cols, density, rng);
      const x = randomArray(N * cols, rng);
      const expected = new Float32Array(N * rows);
      gemmNaive(false, true, N, rows, cols, x, w, expected, false);
      const csr = CsrMatrix.fromDense(w, rows, cols);
      for (const kernel of [csrLinearNaive, csrLinear]) {
        const y = new Float32Array(N * rows).fill(NaN);
        kernel(csr, x, N, y);
        expectClose(y, expected, 1e-5, 1e-5);
      }
    }
  });

  it('rejects inconsistent arrays with a clear error', () => {
    expect(() => new CsrMatrix(2, 3, new Float32Array(2), new Int32Array(2), Int32Array.of(0, 1, 3))).toThrow(/inconsistent arrays/);
    expect(() => new CsrMatrix(1, 3, new Float32Array(1), Int32Array.of(3), Int32Array.of(0, 1))).toThrow(
      /column index 3 .* outside \[0, 3\)/,
    );
    expect(() => new CsrMatrix(2, 3, new Float32Array(2), new Int32Array(2), Int32Array.of(0, 3, 2))).toThrow(/inconsistent|decrease/);
    expect(() => new CsrMatrix(3, 3, new Float32Array(2), new Int32Array(2), Int32Array.of(0, 2, 1, 2))).toThrow(
      /row pointers decrease at row 1: 2 then 1/,
    );
    expect(() => new CsrMatrix(1, 3, new Float32Array(1), Int32Array.of(-1), Int32Array.of(0, 1))).toThrow(
      /column index -1 at entry 0 is outside \[0, 3\)/,
    );
    expect(() => new CsrMatrix(1.5, 3, new Float32Array(0), new Int32Array(0), Int32Array.of(0, 0))).toThrow(
      /CsrMatrix: \[1.5, 3\] is not a matrix shape/,
    );
  });

  it("SparseLinear gives the pruned Linear's outputs, counts stored parameters, and refuses wrong shapes", () => {
    const rng = new Rng(3);
    const layer = new Linear(50, 20, { rng });
    layer.weight.data.forEach((v, i) => {
      if (Math.abs(v) < 0.08) layer.weight.data[i] = 0;
    });
    const sparse = SparseLinear.fromLinear(layer);
    const x = new Tensor(randomArray(6 * 50, rng), [6, 50]);
    expectClose(sparse.forward(x).data, noGrad(() => layer.forward(x)).data, 1e-5, 1e-6);
    expect(sparse.numParameters()).toBe(sparse.weight.nnz + 20);
    expect(() => sparse.forward(Tensor.zeros([6, 49]))).toThrow(/SparseLinear: input \[6, 49\] does not match weight \[20, 50\]/);
  });

  it('toSparse swaps every Linear; the sparse model saves, reloads and computes the same', async () => {
    const rng = new Rng(4);
    const model = new MLP([30, 20, 10], rng);
    new Pruner(model).pruneToSparsity(0.8);
    const x = new Tensor(randomArray(5 * 30, rng), [5, 30]);
    const dense = noGrad(() => model.forward(x)).data;
    toSparse(model);
    expect(model.layers.every((l) => l instanceof SparseLinear)).toBe(true);
    expectClose(model.forward(x).data, dense, 1e-5, 1e-6);
    const path = join(tempDir('csr'), 'sparse.safetensors');
    await saveModel(model, path);
    const back = await loadCompressedModel(new MLP([30, 20, 10]), path);
    expect(back.layers.every((l) => l instanceof SparseLinear)).toBe(true);
    expect(back.forward(x).data).toEqual(model.forward(x).data);
    expect(back.numParameters()).toBe(model.numParameters());
  });
});

describe('a chain of sparse layers (sparseChain, what an MLP of SparseLinears runs)', () => {
  it(
    'gives the layer-by-layer outputs on every backend path (1–3 layers, batch 1 to 150, with and without biases); a mixed MLP chains ' +
      'only its sparse run',
    () => {
      const rng = new Rng(8);
      for (const sizes of [
        [30, 20, 10],
        [70, 33, 17, 9],
      ]) {
        for (const N of [1, 3, 4, 17, 150]) {
          const model = new MLP(sizes, rng);
          new Pruner(model).pruneToSparsity(0.7);
          if (N === 4) (model.layers[1] as Linear).bias!.data.fill(0);
          const x = new Tensor(randomArray(N * sizes[0], rng), [N, sizes[0]]);
          const dense = noGrad(() => model.forward(x)).data;
          const sparse = toSparse(model.clone());
          if (N === 4) (sparse.layers[1] as SparseLinear).bias = null; // a layer without a bias
          // Layer by layer, as sparseLinear runs each SparseLinear on its own.
          let h = x;
          sparse.layers.forEach((l, i) => {
            h = i + 1 < sparse.layers.length ? (l as SparseLinear).forwardRelu(h) : l.forward(h);
          });
          const chained = sparse.forward(x).data;
          expectClose(chained, h.data, 1e-5, 1e-6);
          expectClose(chained, dense, 1e-5, 1e-6);
          // Only the first two layers sparse: they chain, the dense rest follows.
          const mixed = model.clone();
          mixed.setLayer(0, SparseLinear.fromLinear(mixed.layers[0] as Linear));
          mixed.setLayer(1, SparseLinear.fromLinear(mixed.layers[1] as Linear));
          expectClose(mixed.forward(x).data, dense, 1e-5, 1e-6);
        }
      }
    },
  );

  it('refuses layers that do not chain, and a bias of the wrong size, naming the layer', () => {
    const a = CsrMatrix.fromDense(new Float32Array(6), 2, 3),
      b = CsrMatrix.fromDense(new Float32Array(8), 4, 2),
      c = CsrMatrix.fromDense(new Float32Array(6), 2, 3);
    const x = Tensor.zeros([5, 3]);
    expect(() =>
      sparseChain(x, [
        { weight: a, bias: null, relu: true },
        { weight: c, bias: null, relu: false },
      ]),
    ).toThrow(/sparseChain: layer 0 \[2, 3\] does not chain into layer 1 \[2, 3\]/);
    expect(() =>
      sparseChain(x, [
        { weight: a, bias: Tensor.zeros([3]), relu: true },
        { weight: b, bias: null, relu: false },
      ]),
    ).toThrow(/sparseChain: bias \[3\] of layer 0 does not match weight \[2, 3\]/);
    expect(() => sparseChain(Tensor.zeros([5, 4]), [{ weight: a, bias: null, relu: false }])).toThrow(
      /sparseChain: input \[5, 4\] does not match weight \[2, 3\]/,
    );
    expect(
      sparseChain(x, [
        { weight: a, bias: null, relu: true },
        { weight: b, bias: null, relu: false },
      ]).shape,
    ).toEqual([5, 4]);
  });
});
