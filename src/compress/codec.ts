import type { Module, StateEntry } from '../nn/module.js';
import { fmt } from '../tensor/shape.js';

/** A compressed layer knows the shape its dense twin's weight has: `[out, in]`, or `[out, in, k, k]` for a convolution. */
export interface CompressedLayer extends Module {
  readonly denseShape: readonly number[];
}

/**
 * How a compressed layer is rebuilt from its saved entries: `marker` is an entry name
 * only that layer type writes (relative to the layer), `decode` builds the layer from all
 * of the layer's entries, checking them against each other (dtypes, index ranges, scales).
 * Every codec lives beside its layer; `checkpoint.ts` lists them.
 */
export interface LayerCodec {
  marker: string;
  decode: (entries: Map<string, StateEntry>) => CompressedLayer;
}

/**
 * Checks a decoded layer against the layer it replaces in the model's skeleton: the dense
 * weight shapes must agree (and a convolution's stride and padding), so that a layer of
 * the wrong size is refused at load, not at the first forward pass.
 */
export function checkAgainstSkeleton(name: string, original: Module, layer: CompressedLayer): void {
  const expected = original.stateDict().get('weight')?.shape;
  if (!expected)
    throw new Error(`${name}: the file holds a compressed layer where the model has a ${original.constructor.name} without a weight`);
  const got = layer.denseShape;
  if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
    throw new Error(
      `${name}: the file's ${layer.constructor.name} has a ${fmt(got)} weight, the model's ${original.constructor.name} has ` +
        `${fmt(expected)}`,
    );
  }
  // A convolution's stride and padding: [rows, columns] pairs on both sides.
  for (const key of ['stride', 'padding'] as const) {
    const want = (original as unknown as Record<string, unknown>)[key];
    const have = (layer as unknown as Record<string, unknown>)[key];
    if (want !== undefined && JSON.stringify(have) !== JSON.stringify(want))
      throw new Error(`${name}: the file's layer has ${key} ${JSON.stringify(have)}, the model's has ${JSON.stringify(want)}`);
  }
}
