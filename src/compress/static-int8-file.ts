import type { StateDict, StateEntry } from '../nn/module.js';
import { int8Weight } from '../tensor/kernels/int8.js';
import type { U8Params } from '../tensor/kernels/static-int8.js';
import { fmt } from '../tensor/shape.js';
import { STAGE_KINDS, StaticQuantizedModel, type StaticStage } from './static-quantize.js';

/**
 * A static int8 model read back from its file (`modelToBytes` writes it: the tensors of
 * `StaticQuantizedModel`'s state, and the stages' names in the metadata). Every entry is
 * checked against the others: dtypes, shapes, scales positive and finite, zero points in
 * [0, 255], a layer's input width against the stage before, so that a foreign or damaged
 * file is refused naming the file and the stage.
 */
export function staticModelFromState(state: StateDict, metadata: Record<string, string>, source: string): StaticQuantizedModel {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  let names: unknown;
  try {
    names = JSON.parse(metadata.stages ?? 'null');
  } catch {
    fail("the static int8 file's 'stages' metadata is not JSON");
  }
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
    fail("the static int8 file's 'stages' metadata is not a list of names");
  const stageNames = names as string[];
  const kinds = state.get('stages');
  if (kinds?.dtype !== 'U8' || kinds.data.length !== stageNames.length)
    fail(`the static int8 file's 'stages' must be ${stageNames.length} u8 codes, one per stage named in its metadata`);
  const used = new Set(['stages']);
  const get = (name: string, dtype: StateEntry['dtype'], length?: number): StateEntry => {
    used.add(name);
    const e = state.get(name);
    if (!e) return fail(`the static int8 file has no '${name}'`);
    if (e.dtype !== dtype || (length !== undefined && e.data.length !== length))
      fail(`'${name}' must be ${length ?? 'some'} ${dtype}, got ${e.data.length} ${e.dtype}`);
    return e;
  };
  const params = (prefix: string): U8Params => {
    const scale = get(`${prefix}.scale`, 'F32', 1).data[0];
    const zeroPoint = get(`${prefix}.zero_point`, 'I32', 1).data[0];
    if (!(scale > 0 && Number.isFinite(scale))) fail(`${prefix}'s scale must be positive and finite, got ${scale}`);
    if (!(zeroPoint >= 0 && zeroPoint <= 255)) fail(`${prefix}'s zero point must be in [0, 255], got ${zeroPoint}`);
    if (!state.has(`${prefix}.quant_max`)) return { scale, zeroPoint };
    const quantMax = get(`${prefix}.quant_max`, 'U8', 1).data[0];
    if (quantMax < zeroPoint || quantMax === 0)
      fail(`${prefix}'s largest integer ${quantMax} must be positive and at least its zero point`);
    return { scale, zeroPoint, quantMax };
  };
  const positive = (values: ArrayLike<number>, what: string, min: number) => {
    if (!Array.from(values).every((v) => Number.isInteger(v) && v >= min))
      fail(`${what} must be integers ≥ ${min}, got [${Array.from(values)}]`);
  };

  const stages: StaticStage[] = (kinds as StateEntry).data.length === 0 ? fail('the static int8 file has no stages') : [];
  for (const [i, name] of stageNames.entries()) {
    const kind =
      STAGE_KINDS[(kinds as StateEntry).data[i] - 1] ??
      fail(`stage ${name} has kind code ${(kinds as StateEntry).data[i]}, not one of 1–5`);
    if (kind === 'relu' || kind === 'flatten') {
      stages.push({ kind, name });
      continue;
    }
    if (kind === 'pool') {
      const p = Array.from(get(`${name}.pool`, 'I32', 4).data);
      positive(p, `${name}'s pooling window and stride`, 1);
      stages.push({ kind, name, kernelSize: [p[0], p[1]], stride: [p[2], p[3]] });
      continue;
    }
    const w = get(`${name}.weight`, 'I8');
    const want = kind === 'conv' ? 4 : 2;
    if (w.shape.length !== want) fail(`${name}'s weight must have ${want} dimensions, got ${fmt(w.shape)}`);
    const rows = w.shape[0],
      cols = rows === 0 ? 0 : w.data.length / rows;
    const scales = Float32Array.from(get(`${name}.weight.scale`, 'F32').data);
    if (scales.length !== 1 && scales.length !== rows) fail(`${name} has ${scales.length} weight scales for ${rows} output channels`);
    if (!scales.every((s) => s > 0 && Number.isFinite(s))) fail(`${name}'s weight scales must be positive and finite`);
    const biasEntry = state.get(`${name}.bias`);
    used.add(`${name}.bias`);
    if (biasEntry && (biasEntry.dtype !== 'F32' || biasEntry.data.length !== rows)) fail(`${name}'s bias must be ${rows} F32`);
    const relu = get(`${name}.relu`, 'U8', 1).data[0];
    if (relu > 1) fail(`${name}'s relu flag must be 0 or 1, got ${relu}`);
    const layer = {
      name,
      weight: int8Weight(Int8Array.from(w.data), rows, cols, scales),
      bias: biasEntry ? Float32Array.from(biasEntry.data) : null,
      output: params(name),
      relu: relu === 1,
    };
    if (kind === 'linear') {
      stages.push({ kind, ...layer });
      continue;
    }
    const g = Array.from(get(`${name}.geometry`, 'I32', 4).data);
    positive(g.slice(0, 2), `${name}'s stride`, 1);
    positive(g.slice(2), `${name}'s padding`, 0);
    const [OC, C, KH, KW] = w.shape;
    stages.push({ kind, ...layer, weightShape: [OC, C, KH, KW], stride: [g[0], g[1]], padding: [g[2], g[3]] });
  }
  const input = params('input');
  const extra = [...state.keys()].find((k) => !used.has(k));
  if (extra !== undefined) fail(`the static int8 file holds '${extra}', which no stage named in its metadata uses`);
  return new StaticQuantizedModel(input, stages);
}
