import { type Dataset, toTensorSet } from '../data/dataset.js';
import { batchesOf } from '../data/tensor-set.js';
import { Linear } from '../nn/layers.js';
import { MLP } from '../nn/models.js';
import { noGrad } from '../tensor/autograd.js';
import { relu } from '../tensor/ops/elementwise.js';
import { flatten } from '../tensor/ops/view.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Structural (neuron) pruning of an MLP: score every hidden neuron, drop those below a
 * threshold, and build a smaller MLP with the survivors. Removing neuron j of layer i
 * removes row j of fc_i's weight and entry j of its bias, and column j of fc_{i+1}'s
 * weight (the only place its output was read); the output layer keeps all its outputs.
 */

/** Activation statistics of every hidden layer (index 0 = the output of fc1 after ReLU). */
export interface ActivationStats {
  /** Mean of max(0, z) over the examples, per neuron (the notebook's score). */
  mean: Float32Array[];
  /** Fraction of examples on which the neuron is active (z > 0). */
  activeFraction: Float32Array[];
  /** Examples the statistics were taken over. */
  count: number;
}

/** How neurons are ranked: mean activation, how often they fire, or the L1 norm of their incoming weights. */
export type NeuronScore = 'mean' | 'active' | 'l1';

function hiddenLayers(net: MLP, from: string): Linear[] {
  if (!(net instanceof MLP))
    throw new Error(
      `${from}: neuron pruning needs an MLP (fc1 … fcN with a ReLU between), got ` +
        `${net === null || typeof net !== 'object' ? String(net) : (net as object).constructor.name}`,
    );
  const layers = net.layers;
  if (!layers.every((l) => l instanceof Linear)) throw new Error(`${from}: every layer of the MLP must be a dense Linear`);
  if (layers.length < 2) throw new Error(`${from}: the MLP has no hidden layer`);
  return layers as Linear[];
}

/**
 * Mean ReLU activation (and firing rate) of every hidden neuron over `inputs` (a tensor
 * `[count, ...]` or a dataset's images), in batches without recording a graph, as the
 * notebook's loop over the training set does.
 * @example const stats = activationStats(net, train) // stats.mean[0]: fc1's 512 means
 */
export function activationStats(net: MLP, inputs: Tensor | Dataset, batchSize = 1000): ActivationStats {
  const x = inputs instanceof Tensor ? inputs : toTensorSet(inputs, 'activationStats').x;
  const count = x.shape[0];
  if (!(count >= 1)) throw new Error(`activationStats: expected at least one input, got shape [${x.shape.join(', ')}]`);
  const layers = hiddenLayers(net, 'activationStats');
  const hidden = layers.slice(0, -1);
  const sums = hidden.map((l) => new Float64Array(l.outFeatures));
  const active = hidden.map((l) => new Float64Array(l.outFeatures));
  noGrad(() => {
    for (const b of batchesOf(x, batchSize)) {
      let h = flatten(b, 1);
      hidden.forEach((layer, i) => {
        h = relu(layer.forward(h));
        const width = layer.outFeatures;
        for (let k = 0; k < h.size; k++) {
          const v = h.data[k];
          if (v > 0) {
            sums[i][k % width] += v;
            active[i][k % width]++;
          }
        }
      });
    }
  });
  return {
    mean: sums.map((s) => Float32Array.from(s, (v) => v / count)),
    activeFraction: active.map((a) => Float32Array.from(a, (v) => v / count)),
    count,
  };
}

/**
 * One score per hidden neuron, by the chosen rule (`l1` needs no statistics).
 * @example const scores = neuronScores(net, 'mean', activationStats(net, train))
 */
export function neuronScores(net: MLP, score: NeuronScore, stats?: ActivationStats): Float32Array[] {
  const hidden = hiddenLayers(net, 'neuronScores').slice(0, -1);
  if (score === 'l1') {
    return hidden.map((l) => {
      const out = new Float32Array(l.outFeatures);
      for (let r = 0; r < l.outFeatures; r++)
        for (let c = 0; c < l.inFeatures; c++) out[r] += Math.abs(l.weight.data[r * l.inFeatures + c]);
      return out;
    });
  }
  if (!stats) throw new Error(`neuronScores: score '${score}' needs activation statistics`);
  return score === 'mean' ? stats.mean : stats.activeFraction;
}

/** A smaller MLP and what was kept. */
export interface PrunedNeurons {
  /** The smaller network, with really smaller matrices. */
  net: MLP;
  /** Indices of the kept neurons of each hidden layer, ascending. */
  kept: number[][];
  /** Hidden layers (by index) where every neuron fell below the threshold and the strongest was kept. */
  emptied: number[];
}

/**
 * Removes every hidden neuron whose score is below `threshold` (the notebook keeps
 * score ≥ threshold). A layer where no neuron reaches it keeps its single strongest
 * neuron, so the network still connects input to output; such layers are listed in
 * `emptied`. Returns a new MLP; `net` is not changed.
 * @example const { net: small, kept } = removeNeurons(net, neuronScores(net, 'mean', stats), 0.1)
 */
export function removeNeurons(net: MLP, scores: Float32Array[], threshold: number): PrunedNeurons {
  if (!Number.isFinite(threshold)) throw new Error(`removeNeurons: threshold must be a finite number, got ${threshold}`);
  const layers = hiddenLayers(net, 'removeNeurons');
  if (!Array.isArray(scores))
    throw new Error(`removeNeurons: scores must be one Float32Array per hidden layer (neuronScores), got ${String(scores)}`);
  if (scores.length !== layers.length - 1 || scores.some((s, i) => s.length !== layers[i].outFeatures)) {
    throw new Error(
      `removeNeurons: scores [${scores.map((s) => s.length).join(', ')}] do not match the hidden layers [${layers
        .slice(0, -1)
        .map((l) => l.outFeatures)
        .join(', ')}]`,
    );
  }
  const emptied: number[] = [];
  const kept = scores.map((s, i) => {
    const idx = [...s.keys()].filter((j) => s[j] >= threshold);
    if (idx.length > 0) return idx;
    emptied.push(i);
    return [s.reduce((best, v, j) => (v > s[best] ? j : best), 0)];
  });
  const sizes = [layers[0].inFeatures, ...kept.map((k) => k.length), layers.at(-1)!.outFeatures];
  const small = new MLP(sizes, new Rng(0));
  const smallLayers = small.layers as Linear[];
  layers.forEach((layer, i) => {
    const rows = i < kept.length ? kept[i] : [...Array(layer.outFeatures).keys()];
    const cols = i > 0 ? kept[i - 1] : [...Array(layer.inFeatures).keys()];
    const target = smallLayers[i];
    rows.forEach((r, a) => {
      cols.forEach((c, b) => {
        target.weight.data[a * cols.length + b] = layer.weight.data[r * layer.inFeatures + c];
      });
      if (layer.bias && target.bias) target.bias.data[a] = layer.bias.data[r];
    });
  });
  return { net: small, kept, emptied };
}
