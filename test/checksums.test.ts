import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from '../src/compress/checkpoint.js';
import { SimpleNet } from '../src/nn/models.js';
import { CRC_KEY, decodeSafetensors, encodeSafetensors } from '../src/nn/safetensors.js';
import { Rng } from '../src/tensor/random.js';

/** Every safetensors file slimtensor writes records each tensor's CRC-32, and reading it checks them. */

const net = (): SimpleNet => new SimpleNet(new Rng(3));

/** Rewrites a file's header (same tensors, same bytes) through `edit`. */
/** A header as the tests edit it: tensors' entries and the metadata's strings. */
type Header = Record<string, unknown> & { __metadata__: Record<string, string> };

function withHeader(bytes: Uint8Array, edit: (header: Header) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

describe('CRC-32s in the files slimtensor writes', () => {
  it('are recorded for every tensor and checked on reading (the list itself is not handed back as metadata)', () => {
    const bytes = modelToBytes(net());
    const file = decodeSafetensors(bytes, 'net.safetensors');
    expect(file.checked).toBe(true);
    expect(CRC_KEY in file.metadata).toBe(false);
    expect(
      decodeSafetensors(
        withHeader(bytes, () => {}),
        'x',
      ).checked,
    ).toBe(true); // the header rewritten as it was
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    expect(Object.keys(JSON.parse(header.__metadata__[CRC_KEY]))).toEqual([...net().stateDict().keys()]);
  });

  it('a file without them (as PyTorch writes) loads, and says it was not checked', () => {
    const file = decodeSafetensors(readFileSync(join(__dirname, 'fixtures', 'pytorch', 'teacher.safetensors')), 'teacher.safetensors');
    expect(file.checked).toBe(false);
    const plain = encodeSafetensors(net().stateDict(), {}, { checksums: false });
    expect(decodeSafetensors(plain).checked).toBe(false);
    expect(modelFromBytes(plain).numParameters()).toBe(net().numParameters());
  });

  it('a weight byte changed, a CRC changed, dropped or added, or a list that is not JSON: refused, naming the file and the tensor', () => {
    const bytes = modelToBytes(net());
    const flipped = Uint8Array.from(bytes);
    flipped[flipped.length - 3] ^= 0x10;
    expect(() => modelFromBytes(flipped, { source: 'net.safetensors' })).toThrow(
      /^net.safetensors: .*tensor 'fc4.bias' fails its CRC-32 \(recorded [0-9a-f]{8}, its bytes give [0-9a-f]{8}\): the file is damaged/,
    );
    const edit = (f: (crcs: Record<string, string>) => void): Uint8Array =>
      withHeader(bytes, (h) => {
        const crcs = JSON.parse(h.__metadata__[CRC_KEY]);
        f(crcs);
        h.__metadata__[CRC_KEY] = JSON.stringify(crcs);
      });
    expect(() =>
      decodeSafetensors(
        edit((c) => (c['fc1.weight'] = '00000000')),
        'a',
      ),
    ).toThrow(/a: .*tensor 'fc1.weight' fails its CRC-32/);
    expect(() =>
      decodeSafetensors(
        edit((c) => delete c['fc2.bias']),
        'b',
      ),
    ).toThrow(/b: .*tensor 'fc2.bias' has no CRC-32/);
    expect(() =>
      decodeSafetensors(
        edit((c) => (c.fc9 = '12345678')),
        'c',
      ),
    ).toThrow(/c: .*names 'fc9', which it does not hold/);
    const broken = withHeader(bytes, (h) => (h.__metadata__[CRC_KEY] = '{"fc1'));
    expect(() => decodeSafetensors(broken, 'd')).toThrow(/d: .*CRC-32 list is not JSON/);
  });

  it("refuses metadata that would overwrite slimtensor's own key", () => {
    expect(() => encodeSafetensors(net().stateDict(), { [CRC_KEY]: '{}' })).toThrow(/encodeSafetensors: the metadata key/);
  });

  it("reads tensors back in the file's order even when their names look like integers (JSON.parse would put them first)", () => {
    const e = (v: number) => ({ dtype: 'F32' as const, shape: [1], data: Float32Array.of(v) });
    const state = new Map([
      ['b', e(1)],
      ['0', e(2)],
      ['a', e(3)],
      ['12', e(4)],
    ]);
    expect([...decodeSafetensors(encodeSafetensors(state)).state.keys()]).toEqual(['b', '0', 'a', '12']);
  });
});
