import { describe, expect, it } from 'vitest';
import { speedUpOver } from '../src/compress/metrics.js';
import { Module } from '../src/nn/module.js';
import { Tensor } from '../src/tensor/tensor.js';

/** A model that records each forward pass (its name and batch size) in a shared log. */
class Recorder extends Module {
  constructor(readonly label: string, readonly log: string[]) {
    super();
  }

  forward(x: Tensor): Tensor {
    this.log.push(`${this.label}${x.shape[0]}`);
    return x;
  }
}

describe('speedUpOver', () => {
  it('times the base and the model in alternating rounds, at batch 1 then 64, on the first rows of x', () => {
    const log: string[] = [];
    const base = new Recorder('base', log), model = new Recorder('model', log);
    base.train(true);
    const s = speedUpOver(base, model, Tensor.zeros([100, 3]), { minRuns: 3, minSeconds: 0, warmUpSeconds: 0 });
    expect(log.slice(0, 8)).toEqual(['base1', 'model1', 'base1', 'model1', 'base1', 'model1', 'base1', 'model1']); // a warm-up pair, then 3 rounds
    expect(log.slice(8)).toEqual(['base64', 'model64', 'base64', 'model64', 'base64', 'model64', 'base64', 'model64']);
    expect(Object.keys(s).sort()).toEqual(['latency1', 'latency64', 'speedup1', 'speedup64']);
    expect(base.training).toBe(true); // each model's mode is restored
    expect(model.training).toBe(true);
  });

  it('warms both models up, in turn, for warmUpSeconds before it times them', () => {
    const log: string[] = [];
    const base = new Recorder('base', log), model = new Recorder('model', log);
    speedUpOver(base, model, Tensor.zeros([100, 3]), { minRuns: 3, minSeconds: 0, warmUpSeconds: 0.01 });
    const ones = log.filter((e) => e.endsWith('1') && !e.endsWith('64'));
    expect(ones.length).toBeGreaterThan(8); // more than one warm-up pair and 3 timed rounds
    expect(ones.every((e, i) => e === (i % 2 ? 'model1' : 'base1'))).toBe(true);
  });
});
