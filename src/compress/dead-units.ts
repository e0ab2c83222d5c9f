import type { Linear } from '../nn/layers.js';

/**
 * Two exact simplifications of a pruned pair of Linear layers with a ReLU between them
 * (`a` then `b`), which heavy pruning makes common:
 * - a **dead** unit j of `a` has no incoming weights left, so its output is the constant
 *   relu(b_a[j]); that constant times column j of `b` is added into `b`'s bias, and the
 *   column is pruned;
 * - an **unread** unit j of `a` has no outgoing weights left (column j of `b` is all
 *   zero), so nothing reads it; its row of `a` is pruned and its bias zeroed (then a file
 *   need not store the bias of a unit without weights).
 * The network computes the same function (up to float rounding of the folded bias), with
 * fewer weights to store. Deep Compression's LeNet-300-100 loses about a third of fc1's
 * units to the first rule at 8% kept.
 */

/** How many units each rule removed. */
export interface DeadUnits {
  /** Units no input reaches (their weights all pruned): folded into the next layer's bias. */
  dead: number;
  /** Units no later unit reads: pruned with their incoming weights. */
  unread: number;
  /** Weights pruned by the two rules. */
  weights: number;
}

/**
 * Applies both rules to each pair `[a, b]` (b reads a's ReLU outputs; a.outFeatures =
 * b.inFeatures), until neither changes anything. The weights change in place.
 * @example removeDeadUnits([[net.fc1, net.fc2], [net.fc2, net.fc3]])
 */
export function removeDeadUnits(pairs: [Linear, Linear][]): DeadUnits {
  const total: DeadUnits = { dead: 0, unread: 0, weights: 0 };
  for (let changed = true; changed; ) {
    changed = false;
    for (const [a, b] of pairs) {
      if (a.outFeatures !== b.inFeatures)
        throw new Error(`removeDeadUnits: a layer of ${a.outFeatures} outputs feeds one of ${b.inFeatures} inputs`);
      const wa = a.weight.data;
      const wb = b.weight.data;
      const n = a.inFeatures;
      const m = b.inFeatures;
      for (let j = 0; j < a.outFeatures; j++) {
        let incoming = 0;
        for (let i = 0; i < n; i++) if (wa[j * n + i] !== 0) incoming++;
        let outgoing = 0;
        for (let o = 0; o < b.outFeatures; o++) if (wb[o * m + j] !== 0) outgoing++;
        if (incoming === 0 && outgoing > 0) {
          const constant = Math.max(0, a.bias?.data[j] ?? 0);
          if (constant !== 0 && !b.bias) continue; // nowhere to fold the constant into
          for (let o = 0; o < b.outFeatures; o++) {
            if (constant !== 0) b.bias!.data[o] += constant * wb[o * m + j];
            wb[o * m + j] = 0;
          }
          if (a.bias) a.bias.data[j] = 0; // no longer read
          total.dead++;
          total.weights += outgoing;
          changed = true;
        } else if (outgoing === 0 && (incoming > 0 || (a.bias?.data[j] ?? 0) !== 0)) {
          for (let i = 0; i < n; i++) wa[j * n + i] = 0;
          if (a.bias) a.bias.data[j] = 0;
          total.unread++;
          total.weights += incoming;
          changed = true;
        }
      }
    }
  }
  return total;
}
