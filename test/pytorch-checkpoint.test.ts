import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TeacherNet } from '../src/nn/models.js';
import { decodeSafetensors, encodeSafetensors } from '../src/nn/safetensors.js';
import { loadAnyModel, loadWeights } from '../src/node/files.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

/**
 * A checkpoint written from PyTorch: the notebook's TeacherNet built and saved by
 * fixtures/pytorch/make_checkpoints.py (its `state_dict()` as safetensors, PyTorch's own
 * names), with PyTorch's outputs on three inputs. slimtensor loads it and computes the same.
 */

const FIXTURES = join(__dirname, 'fixtures', 'pytorch');
const record = JSON.parse(readFileSync(join(FIXTURES, 'checkpoints.json'), 'utf8'));
const input = new Tensor(Float32Array.from(record.input.data), record.input.shape);

describe('PyTorch checkpoints in', () => {
  it("loadWeights reads the PyTorch teacher's state_dict, names as PyTorch gives them, and computes PyTorch's outputs", async () => {
    const f = record.models.teacher;
    const teacher = new TeacherNet();
    const metadata = await loadWeights(teacher, join(FIXTURES, f.file));
    expect(metadata).toMatchObject({ format: 'pt' });
    expect([...teacher.stateDict().keys()].sort()).toEqual([...f.keys].sort());
    const y = noGrad(() => teacher.eval().forward(input)).data;
    const want = Float32Array.from(f.output.data);
    const scale = want.reduce((m: number, v: number) => Math.max(m, Math.abs(v)), 0);
    expect(want.reduce((m: number, v: number, i: number) => Math.max(m, Math.abs(y[i] - v)), 0) / scale).toBeLessThan(1e-5);
    // loadAnyModel recognizes it too.
    expect(await loadAnyModel(join(FIXTURES, f.file))).toBeInstanceOf(TeacherNet);
  });

  it('a PyTorch file with missing or extra keys is refused with every one listed, naming the file', async () => {
    const { state } = decodeSafetensors(readFileSync(join(FIXTURES, record.models.teacher.file)));
    state.delete('fc2.bias');
    state.set('conv1.num_batches_tracked', { dtype: 'I32', shape: [], data: Int32Array.of(0) });
    const path = join(tempDir('pt'), 'edited.safetensors');
    writeFileSync(path, encodeSafetensors(state));
    await expect(loadWeights(new TeacherNet(), path)).rejects.toThrow(
      /edited\.safetensors: loadStateDict: missing tensor 'fc2\.bias'; unexpected tensor 'conv1\.num_batches_tracked'/,
    );
  });
});
