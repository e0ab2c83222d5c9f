import { parameter } from '../nn/init.js';
import { Linear } from '../nn/layers.js';
import { Module, type StateEntry } from '../nn/module.js';
import { lowRankLinear } from '../tensor/ops/matmul.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { CompressedLayer, LayerCodec } from './codec.js';
import { type Svd, svd } from './svd.js';

/**
 * Low-rank factorization of a Linear layer: W `[out, in]` ≈ Uᵣ·Σᵣ·Vᵣᵀ, kept as two real
 * layers so that the product is never rebuilt: first x·Vᵣ (`[N, in]` → `[N, r]`), then
 * ·(UᵣΣᵣ)ᵀ plus the bias (`[N, r]` → `[N, out]`). It stores r·(in + out) weights instead of
 * in·out, and costs r·(in + out) multiply-adds per input instead of in·out, so it is smaller
 * and faster exactly when r < in·out / (in + out), the break-even rank.
 */

/** How the rank is chosen: a count, or the fraction of spectral energy Σσᵢ² to keep. */
export type RankChoice =
  | {
      /** Keep this many singular values, 1 ≤ rank ≤ min(in, out). */
      rank: number;
    }
  | {
      /** Keep the fewest singular values whose Σσᵢ² reaches this fraction of the total, in (0, 1]. */
      energy: number;
    };

/**
 * Break-even rank in·out/(in + out): below it the factorized layer is smaller and cheaper.
 * @example breakEvenRank(128, 256) // 85.33…
 */
export function breakEvenRank(outFeatures: number, inFeatures: number): number {
  if (!(Number.isInteger(outFeatures) && outFeatures >= 1 && Number.isInteger(inFeatures) && inFeatures >= 1)) {
    throw new Error(`breakEvenRank: the layer's sizes must be positive integers, got ${outFeatures} × ${inFeatures}`);
  }
  return (outFeatures * inFeatures) / (outFeatures + inFeatures);
}

/**
 * Fraction of the spectral energy held by the first r singular values: Σᵢ<r σᵢ² ÷ Σ σᵢ².
 * @example energyKept(svd(w, 128, 256).S, 10) // the fraction of Σσ² the top 10 singular values keep
 */
export function energyKept(S: ArrayLike<number>, r: number): number {
  let kept = 0,
    total = 0;
  for (let i = 0; i < S.length; i++) {
    total += S[i] * S[i];
    if (i < r) kept += S[i] * S[i];
  }
  return total === 0 ? 1 : kept / total;
}

/**
 * Smallest rank whose first singular values keep at least `energy` ∈ (0, 1] of Σσᵢ².
 * @example rankForEnergy(svd(w, 128, 256).S, 0.9) // the rank that keeps 90% of Σσ²
 */
export function rankForEnergy(S: ArrayLike<number>, energy: number): number {
  if (!(energy > 0 && energy <= 1)) throw new Error(`rankForEnergy: energy must lie in (0, 1], got ${energy}`);
  for (let r = 1; r <= S.length; r++) if (energyKept(S, r) >= energy - 1e-12) return r;
  return S.length;
}

/**
 * A Linear layer factorized at rank r: `down` `[r, in]` (= Vᵣᵀ) then `up` `[out, r]`
 * (= UᵣΣᵣ) and the bias. Both factors are trainable, so the layer can be fine-tuned.
 * @example model.fc3 = FactorizedLinear.fromLinear(model.fc3, { energy: 0.95 })
 */
export class FactorizedLinear extends Module implements CompressedLayer {
  /** `[r, in]` = Vᵣᵀ: the input projected onto the top r right singular vectors. */
  down: Tensor;
  /** `[out, r]` = UᵣΣᵣ. */
  up: Tensor;
  /** `[out]`, or null. */
  bias: Tensor | null;

  /**
   * @param down `[r, in]`.
   * @param up `[out, r]`.
   * @param bias `[out]`, or null.
   */
  constructor(down: Tensor, up: Tensor, bias: Tensor | null) {
    super();
    if (down.rank !== 2 || up.rank !== 2 || up.shape[1] !== down.shape[0]) {
      throw new Error(`FactorizedLinear: factors ${fmt(down.shape)} (down) and ${fmt(up.shape)} (up) do not chain`);
    }
    if (bias && (bias.rank !== 1 || bias.shape[0] !== up.shape[0]))
      throw new Error(`FactorizedLinear: bias ${fmt(bias.shape)} does not match up ${fmt(up.shape)}`);
    this.down = down;
    this.up = up;
    this.bias = bias;
  }

  /** `[out, in]`, the shape of the dense weight this layer stands for. */
  get denseShape(): readonly number[] {
    return [this.up.shape[0], this.down.shape[1]];
  }

  /**
   * Factorizes `layer` at the chosen rank (1 ≤ r ≤ min(in, out)) from its SVD, which is
   * computed when not given (pass it to factorize one layer at many ranks).
   */
  static fromLinear(layer: Linear, choice: RankChoice, decomposition?: Svd): FactorizedLinear {
    if (!(layer instanceof Linear))
      throw new Error(
        `FactorizedLinear.fromLinear: expected a dense Linear, got ` +
          `${String((layer as unknown as object | null)?.constructor?.name ?? layer)}`,
      );
    if (typeof choice !== 'object' || choice === null || !('rank' in choice || 'energy' in choice))
      throw new Error(`FactorizedLinear.fromLinear: choose { rank } or { energy }, got ${JSON.stringify(choice)}`);
    if ('energy' in choice && !(choice.energy > 0 && choice.energy <= 1))
      throw new Error(`FactorizedLinear.fromLinear: energy must lie in (0, 1], got ${choice.energy}`);
    const out = layer.outFeatures,
      inF = layer.inFeatures;
    const d = decomposition ?? svd(layer.weight.data, out, inF);
    if (d.m !== out || d.n !== inF)
      throw new Error(`FactorizedLinear.fromLinear: the SVD is of [${d.m}, ${d.n}], the layer's weight is [${out}, ${inF}]`);
    const r = 'rank' in choice ? choice.rank : rankForEnergy(d.S, choice.energy);
    if (!(Number.isInteger(r) && r >= 1 && r <= d.k))
      throw new Error(`FactorizedLinear: rank must be an integer in [1, ${d.k}] for a [${out}, ${inF}] weight, got ${r}`);
    const down = new Float32Array(r * inF);
    const up = new Float32Array(out * r);
    for (let j = 0; j < r; j++) {
      for (let i = 0; i < inF; i++) down[j * inF + i] = d.V[i * d.k + j];
      for (let i = 0; i < out; i++) up[i * r + j] = d.U[i * d.k + j] * d.S[j];
    }
    // Trainable (the energy sweep fine-tunes them) and resident where the kernels work, as a Linear's are.
    return new FactorizedLinear(
      parameter(new Tensor(down, [r, inF])),
      parameter(new Tensor(up, [out, r])),
      layer.bias ? parameter(layer.bias) : null,
    );
  }

  /** The rank r. */
  get rank(): number {
    return this.down.shape[0];
  }

  /** Size of each input row. */
  get inFeatures(): number {
    return this.down.shape[1];
  }

  /** Size of each output row. */
  get outFeatures(): number {
    return this.up.shape[0];
  }

  /** Multiply-adds per input row: r·(in + out), against in·out for the dense layer. */
  get macsPerRow(): number {
    return this.rank * (this.inFeatures + this.outFeatures);
  }

  /** Two GEMMs: x·downᵀ, then ·upᵀ + b (one kernel without gradients, see `lowRankLinear`). */
  forward(x: Tensor): Tensor {
    return lowRankLinear(x, this.down, this.up, this.bias);
  }

  /** relu(forward(x)), the bias and ReLU fused into the second product. */
  forwardRelu(x: Tensor): Tensor {
    return lowRankLinear(x, this.down, this.up, this.bias, true);
  }

  /** The dense weight the factors stand for (for checks and reports; never used to run). */
  toDense(): Float32Array {
    const { rank: r, inFeatures: n, outFeatures: m } = this;
    const w = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < r; j++) {
        const u = this.up.data[i * r + j];
        for (let c = 0; c < n; c++) w[i * n + c] += u * this.down.data[j * n + c];
      }
    return w;
  }
}

/** Rebuilds a FactorizedLinear from its saved `down`, `up` (and `bias`). */
export const factorizedLinearCodec: LayerCodec = {
  marker: 'down',
  decode(entries) {
    const down = entries.get('down')!,
      up = entries.get('up'),
      bias = entries.get('bias');
    if (!up || down.dtype !== 'F32' || up.dtype !== 'F32') throw new Error("a factorized layer needs float32 'down' and 'up'");
    const t = (e: StateEntry): Tensor => parameter(new Tensor(Float32Array.from(e.data), e.shape));
    return new FactorizedLinear(t(down), t(up), bias ? t(bias) : null);
  },
};

/** The cheapest way to multiply a chain of matrices, found by dynamic programming. */
export interface ChainOrder {
  /** Scalar multiplications of the best order. */
  cost: number;
  /** The best parenthesization, e.g. `((A1·A2)·A3)`. */
  order: string;
}

/**
 * Matrix-chain order by dynamic programming in O(n³) (CLRS 15.2): matrix i is
 * dims[i] × dims[i+1]. The notebook finds the same cost by plain recursion, which takes
 * exponential time.
 * @example matrixChainOrder([32, 256, 100, 100, 128]).cost // 1,548,800: the notebook's rank-100 figure
 */
export function matrixChainOrder(dims: readonly number[]): ChainOrder {
  const n = dims.length - 1;
  if (n < 1 || dims.some((d) => !(Number.isInteger(d) && d >= 1)))
    throw new Error(`matrixChainOrder: needs at least two positive integer sizes, got [${dims.join(', ')}]`);
  const cost = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const split = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let len = 2; len <= n; len++) {
    for (let i = 0; i + len - 1 < n; i++) {
      const j = i + len - 1;
      cost[i][j] = Infinity;
      for (let k = i; k < j; k++) {
        const c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1];
        if (c < cost[i][j]) {
          cost[i][j] = c;
          split[i][j] = k;
        }
      }
    }
  }
  const show = (i: number, j: number): string => (i === j ? `A${i + 1}` : `(${show(i, split[i][j])}·${show(split[i][j] + 1, j)})`);
  return { cost: cost[0][n - 1], order: show(0, n - 1) };
}
