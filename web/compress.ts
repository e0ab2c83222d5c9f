/**
 * The live compression of the playground: one SimpleNet-shaped MLP, compressed by the
 * notebook's methods in a fixed order, each only where it applies. The engine worker runs
 * it on every slider change, and the test runs the same function in Node to check what
 * the page shows.
 * 1. Activation pruning (section 3): hidden neurons whose mean activation on the
 *    statistics' images is below the threshold go, with their weights in the next layer.
 * 2. Low rank (section 4): fc3 becomes two factors of its truncated SVD (computed once per
 *    fc3 and kept, as the notebook decomposes once and truncates at each rank).
 * 3. Magnitude pruning (section 2): the smallest weights of every Linear, globally, to the
 *    target sparsity; the pruned layers run as CSR.
 * 4. int8 (section 5): every Linear still dense gets int8 weights (quantizeDynamic).
 */
import {
  type ActivationStats,
  activationStats,
  FactorizedLinear,
  Linear,
  type MLP,
  neuronScores,
  Pruner,
  quantizeDynamic,
  removeNeurons,
  type Svd,
  svd,
  type Tensor,
  toSparse,
} from 'slimtensor';

/** The sliders and the toggle. */
export interface CompressSettings {
  /** Neurons with a mean activation below this go (0: none). */
  activation: number;
  /** fc3's rank (its full rank, 128 for SimpleNet: dense). */
  rank: number;
  /** The fraction of weights set to zero, globally (0: none). */
  sparsity: number;
  /** Quantize the dense Linears to int8. */
  int8: boolean;
}

/** What was done, in words, for the page. */
export interface Compressed {
  model: MLP;
  steps: string[];
}

/** Each base's activation statistics, and its fc3's decomposition per activation threshold, computed once. */
const statsCache = new WeakMap<MLP, ActivationStats>();
const svdCache = new WeakMap<MLP, Map<number, Svd>>();

function fc3Svd(base: MLP, activation: number, fc3: Linear): Svd {
  let byThreshold = svdCache.get(base);
  if (!byThreshold) {
    byThreshold = new Map();
    svdCache.set(base, byThreshold);
  }
  let decomposition = byThreshold.get(activation);
  if (!decomposition) {
    decomposition = svd(fc3.weight.data, fc3.outFeatures, fc3.inFeatures);
    byThreshold.set(activation, decomposition);
  }
  return decomposition;
}

/** `base` (not changed) compressed by `settings`; `statsImages` are the images the activation statistics come from. */
export function compress(base: MLP, settings: CompressSettings, statsImages: Tensor): Compressed {
  const steps: string[] = [];
  let net = base.clone();
  if (settings.activation > 0) {
    let stats = statsCache.get(base);
    if (!stats) {
      stats = activationStats(base, statsImages);
      statsCache.set(base, stats);
    }
    const pruned = removeNeurons(net, neuronScores(net, 'mean', stats), settings.activation);
    net = pruned.net;
    steps.push(`activation pruning: hidden widths ${pruned.kept.map((k) => k.length).join(', ')}`);
  }
  const fc3 = net.layers[2];
  if (fc3 instanceof Linear && settings.rank < Math.min(fc3.inFeatures, fc3.outFeatures)) {
    // The decomposition of this fc3 (the base's own, or its activation-pruned form's), kept.
    net.setChild('fc3', FactorizedLinear.fromLinear(fc3, { rank: settings.rank }, fc3Svd(base, settings.activation, fc3)));
    steps.push(`low rank: fc3 at rank ${settings.rank}`);
  }
  if (settings.sparsity > 0) {
    new Pruner(net).pruneToSparsity(settings.sparsity, { scope: 'global' });
    net = toSparse(net);
    steps.push(`magnitude pruning: ${(settings.sparsity * 100).toFixed(0)}% zeros, as CSR`);
  }
  if (settings.int8) {
    if (net.namedModules().some(([, m]) => m instanceof Linear)) {
      quantizeDynamic(net);
      steps.push('int8: the dense Linears');
    } else steps.push('int8: no dense Linear left to quantize');
  }
  return { model: net, steps };
}
