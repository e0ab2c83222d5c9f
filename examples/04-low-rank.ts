/**
 * Section 4 of the notebook, low-rank factorization, cell by cell: train SimpleNet, take
 * the SVD of fc3 (256 → 128) and keep its top r singular values, for a sweep of ranks.
 *
 *   npx tsx examples/04-low-rank.ts            # full MNIST, 5 epochs (about 40 s)
 *   npx tsx examples/04-low-rank.ts --quick    # 3,000 training and 1,000 test images, 1 epoch
 *
 * Each notebook cell is quoted (its PyTorch line) above slimtensor's. With the same seed the
 * accuracies equal `slimtensor low-rank`'s rank sweep (and `npm start`'s section 4). The
 * notebook trains a new SimpleNet here; `npm start` shares one across sections 2–5, the
 * same network for the same seed. Where the notebook multiplies the factors back into one
 * dense matrix (so nothing gets smaller or faster), slimtensor runs them as two products.
 */
import { compareLatency, evaluate, FactorizedLinear, fit, type Linear, matrixChainOrder, Rng, SimpleNet, svd } from 'slimtensor';
import { loadMnist } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const SEED = 0;
const EPOCHS = quick ? 1 : 5;
const trainset = await loadMnist('train', { limit: quick ? 3000 : undefined });
const testset = await loadMnist('test', { limit: quick ? 1000 : undefined });

// In [31]: class SimpleNet(nn.Module): fc1 784→512, fc2 512→256, fc3 256→128, fc4 128→10
// In [33]: net = SimpleNet(); optimizer = optim.Adam(net.parameters(), lr=0.001); for epoch in range(5): ...
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

// In [34]: def MatrixChainOrder(p, i, j): ...   (plain recursion: exponential time)
// matrixChainOrder(dims) finds the same minimum by dynamic programming, in O(n³).

// In [35]: rank_values = [128, 100, 90, 80, 60, 50, 40, 30, 20, 10, 5, 2, 1]
//          U, S, V = torch.svd(net.fc3.weight)
const rankValues = [128, 100, 90, 80, 60, 50, 40, 30, 20, 10, 5, 2, 1];
const fc3 = net.layers[2] as Linear; // net.fc3
const decomposition = svd(fc3.weight.data, fc3.outFeatures, fc3.inFeatures); // one-sided Jacobi, float64
const batchSize = 32; // the notebook's batch in its operation count

const results = rankValues.map((rank) => {
  // U_low_rank = U[:, :rank]; S_low_rank = torch.diag(S[:rank]); V_low_rank = V[:, :rank]
  // factorized_weight_matrix = U_low_rank @ S_low_rank @ V_low_rank.T; net.fc3.weight = ...
  // slimtensor keeps the two factors, x·V_r then ·(U_r·Σ_r)ᵀ: a real FactorizedLinear.
  const lowRank = FactorizedLinear.fromLinear(fc3, { rank }, decomposition);
  const trial = net.clone();
  trial.setLayer(2, lowRank);
  // weight_list = [batch_size, 256, rank, rank, 128]; total_operations = MatrixChainOrder(weight_list, 1, 4)
  const notebookOperations = rank === 128 ? batchSize * 256 * 128 : matrixChainOrder([batchSize, 256, rank, rank, 128]).cost;
  return {
    rank,
    accuracy: evaluate(trial, testset),
    notebookOperations,
    // What runs: x·V_r, then ·(U_r·Σ_r)ᵀ (Σ folded into one factor).
    operations: matrixChainOrder([batchSize, 256, rank, 128]).cost,
    // new_total_params = 128*rank + rank**2 + rank*256   (Σ counted as r² though it is diagonal)
    notebookParams: 128 * rank + rank ** 2 + rank * 256,
    newParams: lowRank.numParameters() - (lowRank.bias?.size ?? 0),
    time: compareLatency(net, trial, testset, { batchSize: 64 }),
  };
});

// In [36]: results = pd.DataFrame(results, columns=["Threshold", "Accuracy", "Original Params", "New Params", "Operations", "Inference
// Time"])
console.table(
  results.map((r) => ({
    Rank: r.rank,
    Accuracy: Number((r.accuracy * 100).toFixed(2)),
    'Original Params': 128 * 256,
    'New Params': r.newParams,
    'Notebook Params': r.notebookParams,
    Operations: r.operations,
    'Notebook Operations': r.notebookOperations,
    'Net ms b64': Number((r.time.model * 1000).toFixed(3)),
    'Speed-up': Number(r.time.speedUp.toFixed(2)),
  })),
);
console.log(`Net ms b64: the whole network with this fc3, one batch of 64, model only.
Speed-up: the dense network's time ÷ this one's, timed side by side.
Below rank ${Math.floor((128 * 256) / (128 + 256))} the two factors hold fewer weights than the dense 128 × 256 matrix.`);
