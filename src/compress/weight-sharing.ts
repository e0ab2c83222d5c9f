import { type Conv2d, type Linear, weightedLayers } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { Adam, type AdamOptions } from '../optim/adam.js';
import { Tensor } from '../tensor/tensor.js';
import { kmeans1d } from './kmeans.js';
import type { SharedLayerInput } from './layer-coding.js';

/**
 * Trained quantization (Deep Compression's weight sharing): each layer's surviving weights
 * are clustered into 2^bits groups by k-means, every weight is replaced by its group's
 * centroid, and the centroids are then fine-tuned. Weights of one group share one value,
 * so the gradient of a centroid is the sum of the gradients of its weights:
 * ∂L/∂c_k = Σ_{i: group(i) = k} ∂L/∂w_i. A layer then stores a small codebook and a
 * `bits`-bit group index per weight.
 */

/** One layer's shared weights. */
export interface SharedLayer {
  /** The layer's name in the model. */
  name: string;
  /** The layer itself (its bias goes into the file beside the codebook). */
  layer: Linear | Conv2d;
  /** The layer's weight, rewritten from the centroids by `apply()`. */
  weight: Tensor;
  /** Bits per cluster index: 2^bits centroids. */
  bits: number;
  /** The codebook, `[2^bits]`, trainable. */
  centroids: Tensor;
  /** The group of each weight, −1 where the weight was pruned (it stays exactly 0). */
  groups: Int32Array;
}

/**
 * Clusters the non-zero weights of every Linear and Conv2d of `model` (zeros are pruned
 * weights and stay zero) into 2^bits centroids each, `bits(name)` per layer, and writes
 * the centroids into the weights.
 * @example const shared = new SharedWeights(net, () => 6); // 64 values per layer
 */
export class SharedWeights {
  /** Every Linear and Conv2d of the model, in order, with its codebook and groups. */
  readonly layers: SharedLayer[];

  /**
   * @param model The (pruned) model whose weights become shared.
   * @param bits Bits per cluster index of each layer, by its name.
   */
  constructor(model: Module, bits: (layer: string) => number) {
    this.layers = weightedLayers(model).map(([name, layer]) => {
      const b = bits(name);
      if (!(Number.isInteger(b) && b >= 1 && b <= 16))
        throw new Error(`SharedWeights: bits of layer ${name} must be an integer in [1, 16], got ${b}`);
      const w = layer.weight.data;
      const kept: number[] = [];
      for (let i = 0; i < w.length; i++) if (w[i] !== 0) kept.push(w[i]);
      const { centroids, assignments } = kmeans1d(kept, 2 ** b);
      const groups = new Int32Array(w.length).fill(-1);
      for (let i = 0, k = 0; i < w.length; i++) if (w[i] !== 0) groups[i] = assignments[k++];
      return {
        name,
        layer,
        weight: layer.weight,
        bits: b,
        centroids: new Tensor(centroids, [centroids.length], { requiresGrad: true }),
        groups,
      };
    });
    this.apply();
  }

  /** Writes each weight from its centroid (pruned weights stay 0). */
  apply(): void {
    for (const { weight, centroids, groups } of this.layers) {
      const w = weight.data;
      const c = centroids.data;
      for (let i = 0; i < w.length; i++) w[i] = groups[i] < 0 ? 0 : c[groups[i]];
    }
  }

  /** Sets each centroid's gradient to the sum of its weights' gradients (zero where no weight has one). */
  gatherGradients(): void {
    for (const { weight, centroids, groups } of this.layers) {
      const g = new Float32Array(centroids.size);
      const wg = weight.grad?.data;
      if (wg) for (let i = 0; i < groups.length; i++) if (groups[i] >= 0) g[groups[i]] += wg[i];
      centroids.grad = new Tensor(g, centroids.shape);
    }
  }

  /** Replaces every centroid c by round(c) (e.g. to the float16 a file stores) and rewrites the weights. */
  roundCentroids(round: (c: number) => number): void {
    for (const { centroids } of this.layers) centroids.data.set(centroids.data.map(round));
    this.apply();
  }

  /**
   * The layers as `encodeDeepCompressed` takes them: each one's codebook, the group of
   * every weight and its bias, with `indexBits` per relative position (or `auto`).
   * @example const { bytes } = encodeDeepCompressed('lenet-300-100', shared.fileLayers('auto'))
   */
  fileLayers(indexBits: number | 'auto'): SharedLayerInput[] {
    return this.layers.map((l) => ({
      name: l.name,
      shape: l.weight.shape,
      codebook: l.centroids.data.slice(),
      groups: l.groups,
      bias: l.layer.bias?.data.slice() ?? null,
      indexBits,
    }));
  }

  /** The codebooks, in layer order. */
  centroids(): Tensor[] {
    return this.layers.map((l) => l.centroids);
  }
}

/**
 * Adam over the centroids (and any other parameters, e.g. the biases) of shared weights:
 * each step gathers the weights' gradients into their centroids, moves the centroids, and
 * writes the weights back from them. Pass it to `trainEpoch` like any optimizer.
 * @example fit(net, train, { optimizer: new SharedWeightsAdam(shared, biases, { lr: 1e-3 }) })
 */
export class SharedWeightsAdam extends Adam {
  /**
   * @param shared The shared weights whose centroids it trains.
   * @param others The other parameters it steps as plain Adam (the biases).
   * @param options Adam's settings.
   */
  constructor(
    readonly shared: SharedWeights,
    others: Iterable<Tensor>,
    options: AdamOptions = {},
  ) {
    super([...shared.centroids(), ...others], options);
  }

  override zeroGrad(): void {
    super.zeroGrad();
    for (const l of this.shared.layers) l.weight.grad = null;
  }

  override step(): void {
    this.shared.gatherGradients();
    super.step();
    this.shared.apply();
  }
}
