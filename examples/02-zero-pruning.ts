/**
 * Section 2 of the notebook, zero (magnitude) pruning, cell by cell: train SimpleNet, zero
 * every weight below λ for a sweep of λ, then store the λ = 0.03 network as CSR.
 *
 *   npx tsx examples/02-zero-pruning.ts            # full MNIST, 5 epochs (about 40 s)
 *   npx tsx examples/02-zero-pruning.ts --quick    # 3,000 training and 1,000 test images, 1 epoch
 *
 * Each notebook cell is quoted (its PyTorch line) above slimtensor's. With the same seed the
 * training and sweep accuracies equal `slimtensor prune`'s (and `npm start`'s section 2).
 * The notebook trains a new SimpleNet in this section; `npm start` trains one for sections
 * 2–5 and shares it, which is the same network for the same seed.
 */
import {
  CsrMatrix,
  compareLatency,
  evaluate,
  fit,
  type Linear,
  type MLP,
  modelFromBytes,
  modelToBytes,
  Pruner,
  Rng,
  SimpleNet,
  toSparse,
} from 'slimtensor';
import { loadMnist } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const SEED = 0;
const EPOCHS = quick ? 1 : 5;
const MB = 1024 ** 2;
const trainset = await loadMnist('train', { limit: quick ? 3000 : undefined });
const testset = await loadMnist('test', { limit: quick ? 1000 : undefined });

// In [14]: class SimpleNet(nn.Module): fc1 784→512, fc2 512→256, fc3 256→128, fc4 128→10, ReLU between
// In [16]: net = SimpleNet(); optimizer = optim.Adam(net.parameters(), lr=0.001)
//          for epoch in range(5): ... print(f"Epoch {epoch + 1}, Loss: ..., Accuracy: ...")
// (The notebook's loss line adds only the last batch's loss, an indentation slip; slimtensor
// prints the mean over the epoch's batches.)
const net = new SimpleNet(new Rng(SEED));
fit(net, trainset, {
  epochs: EPOCHS,
  batchSize: 64,
  lr: 0.001,
  seed: SEED,
  evalSet: testset,
  name: 'simple-net',
  onEpoch: (e) => console.log(`Epoch ${e.epoch}, Loss: ${e.loss}, Accuracy: ${(e.accuracy! * 100).toFixed(2)}%`),
});

// In [17]: torch.save(net, "net.pt")
const saved = modelToBytes(net); // safetensors bytes; `saveModel(net, 'net.safetensors')` writes a file

// In [18]: thresholds = np.linspace(0, 0.1, 11)
//          for threshold in thresholds: param.data[torch.abs(param.data) < threshold] = 0  (cumulative)
// A Pruner holds one mask per weight of every Linear; biases are left alone, as in the notebook.
const thresholds = Array.from({ length: 11 }, (_, i) => i / 100);
const pruner = new Pruner(net);
const results = thresholds.map((threshold) => {
  pruner.pruneByThreshold(threshold);
  const total = pruner.stats().at(-1)!; // zeros and weights over every layer
  return { threshold, accuracy: evaluate(net, testset), originalParams: total.weights, zeroParams: total.zeros };
});

// In [20]: results = pd.DataFrame(results, columns=["Threshold", "Accuracy", "Original Params", "Zero Params"])
//          results["Zero percentage"] = 100 * results["Zero Params"] / results["Original Params"]
console.table(
  results.map((r) => ({
    Threshold: r.threshold,
    Accuracy: Number(r.accuracy.toFixed(4)),
    'Original Params': r.originalParams,
    'Zero Params': r.zeroParams,
    'Zero percentage': Number(((100 * r.zeroParams) / r.originalParams).toFixed(6)),
  })),
);

// In [21]: threshold = 0.03; net = torch.load('net.pt'); param.data[torch.abs(param.data) < threshold] = 0
const pruned = modelFromBytes(saved) as MLP;
new Pruner(pruned).pruneByThreshold(0.03);

// In [22]: sparse_weights.append(sp.csr_matrix(param.data.numpy()))   (scipy's CSR: int32 indices)
const weights = pruned.layers.map((layer) => (layer as Linear).weight);
const sparseWeights = weights.map((w) => CsrMatrix.fromDense(w.data, w.shape[0], w.shape[1], 4));

// In [23]: total_size += tensor.element_size() * tensor.numel()        -> 2.16 MB
const denseMB = weights.reduce((n, w) => n + w.data.byteLength, 0) / MB;
// In [24]: total_size += w.data.nbytes                                 -> "0.84 MB"
// That counts the values only. A CSR matrix also stores a column index per value and a
// pointer per row; slimtensor counts every array, with int32 indices as scipy's and with
// the narrowest index that addresses the columns (16 bits here), as its CSR layer stores them.
const valuesMB = sparseWeights.reduce((n, w) => n + w.bytes().values, 0) / MB;
const csrMB = sparseWeights.reduce((n, w) => n + w.bytes().total, 0) / MB;
const narrowMB = weights.reduce((n, w) => n + CsrMatrix.fromDense(w.data, w.shape[0], w.shape[1]).bytes().total, 0) / MB;
console.log(
  `\nλ = 0.03: dense ${denseMB.toFixed(4)} MB; CSR values only ${valuesMB.toFixed(4)} MB (the notebook's figure), ` +
    `with int32 indices and row pointers ${csrMB.toFixed(4)} MB, with 16-bit indices ${narrowMB.toFixed(4)} MB.`,
);

// Beyond the notebook: prune in rounds toward 95% zeros, ranking all layers' weights
// together, and fine-tune one epoch after each round with the masks held (Han et al. 2015).
const tuned = modelFromBytes(saved) as MLP;
const rounds = new Pruner(tuned);
const schedule = quick ? [0.5, 0.9] : [0.6, 0.8, 0.9, 0.95];
console.log('\nprune → fine-tune rounds');
for (const [i, target] of schedule.entries()) {
  rounds.pruneToSparsity(target, { scope: 'global' });
  const [epoch] = fit(tuned, trainset, { epochs: 1, lr: 0.0005, seed: SEED + 1000 + i, evalSet: testset, afterStep: () => rounds.apply() });
  console.log(`${(target * 100).toFixed(0)}% zeros: accuracy ${(epoch.accuracy! * 100).toFixed(2)}% after fine-tuning`);
}

// Beyond the notebook: run the sparsest network as CSR (SparseLinear layers, sparse × dense
// kernels) and time it beside the dense original, model only, in alternating rounds.
const sparse = toSparse(modelFromBytes(modelToBytes(tuned)));
const dense = modelFromBytes(saved); // the trained network before any pruning
for (const batchSize of [1, 64]) {
  const t = compareLatency(dense, sparse, testset, { batchSize });
  console.log(
    `batch ${batchSize}: dense ${(t.base * 1000).toFixed(3)} ms, ${(schedule.at(-1)! * 100).toFixed(0)}% sparse as CSR ` +
      `${(t.model * 1000).toFixed(3)} ms: ${t.speedUp.toFixed(2)}×`,
  );
}
