/**
 * Section 3 of the notebook, activation (neuron) pruning, cell by cell: train SimpleNet,
 * measure each hidden neuron's mean ReLU activation over the training set, and remove the
 * neurons below a threshold, for a sweep of thresholds.
 *
 *   npx tsx examples/03-activation-pruning.ts            # full MNIST, 5 epochs (about 40 s)
 *   npx tsx examples/03-activation-pruning.ts --quick    # 3,000 training and 1,000 test images, 1 epoch
 *
 * Each notebook cell is quoted (its PyTorch line) above slimtensor's. With the same seed the
 * accuracies and parameter counts equal `slimtensor activation-prune`'s (and `npm start`'s
 * section 3). The notebook trains a new SimpleNet here; `npm start` shares one across
 * sections 2–5, the same network for the same seed.
 */
import { activationStats, compareLatency, evaluate, fit, neuronScores, Rng, removeNeurons, SimpleNet } from 'slimtensor';
import { loadMnist } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const SEED = 0;
const EPOCHS = quick ? 1 : 5;
const trainset = await loadMnist('train', { limit: quick ? 3000 : undefined });
const testset = await loadMnist('test', { limit: quick ? 1000 : undefined });

// In [25]: class SimpleNet(nn.Module): ... return x1, x2, x3, x4  (the activations, for pruning)
// slimtensor's SimpleNet returns the logits only; activationStats runs its layers one by one.
// In [27]: net = SimpleNet(); optimizer = optim.Adam(net.parameters(), lr=0.001); for epoch in range(5): ...
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

// In [28]: activations_fc1 = torch.relu(net.fc1(inputs)); all_activations[0] += torch.sum(activations_fc1, dim=0)
//          ... all_activations[idx] = activations / data_size
const stats = activationStats(net, trainset);
const allActivations = neuronScores(net, 'mean', stats); // [512], [256], [128] mean activations

// In [29]: thresholds = np.linspace(0, 1, 11)
//          new_net.fc1.weight = nn.Parameter(net.fc1.weight[all_activations[0] >= threshold]) ...
//          new_net.fc2.weight = nn.Parameter(new_net.fc2.weight[:, all_activations[0] >= threshold]) ...
// removeNeurons builds the smaller network: each kept neuron's row, and the next layer's
// column that reads it. Unlike the notebook's timing (its data loader dominated, so nothing
// got faster), slimtensor times the two models alone, side by side, at a batch of 64.
const thresholds = Array.from({ length: 11 }, (_, i) => i / 10);
const originalTotalParams = net.numParameters();
const results = thresholds.map((threshold) => {
  const { net: newNet, kept } = removeNeurons(net, allActivations, threshold);
  const time = compareLatency(net, newNet, testset, { batchSize: 64 });
  return { threshold, accuracy: evaluate(newNet, testset), newParams: newNet.numParameters(), kept, time };
});

// In [30]: results = pd.DataFrame(results, columns=["Threshold", "Accuracy", "Original Params", "New Params", "Inference Time"])
//          results["Size Reduction"] = 1 - results["New Params"] / results["Original Params"]
console.table(
  results.map((r) => ({
    Threshold: r.threshold,
    Accuracy: Number((r.accuracy * 100).toFixed(2)),
    'Original Params': originalTotalParams,
    'New Params': r.newParams,
    'Inference Time ms': Number((r.time.model * 1000).toFixed(3)),
    'Size Reduction': Number((1 - r.newParams / originalTotalParams).toFixed(6)),
    'Speed-up': Number(r.time.speedUp.toFixed(2)),
    Kept: r.kept.map((k) => k.length).join('-'),
  })),
);
console.log(
  "Inference Time: one forward pass of a batch of 64, model only; Speed-up: the original's time ÷ this one's, timed side by side.",
);
