import { describe, expect, it } from 'vitest';
import { compareLatency } from '../src/compress/latency.js';
import { alternatingTimings, alternatingTimingsAsync, forwardMedians } from '../src/compress/measure.js';
import { Module } from '../src/nn/module.js';
import { Tensor } from '../src/tensor/tensor.js';

/** A model that records each forward pass (its name and batch size) in a shared log, taking `spin` ms each. */
class Recorder extends Module {
  constructor(
    readonly label: string,
    readonly log: string[],
    readonly spin = 0,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    this.log.push(`${this.label}${x.shape[0]}`);
    const until = performance.now() + this.spin;
    while (performance.now() < until);
    return x;
  }
}

describe('the timing protocol', () => {
  it('runs every contender once per round, in turn, after a warm-up round, on the first rows of x', () => {
    const log: string[] = [];
    const [a, b] = [new Recorder('a', log), new Recorder('b', log)];
    a.train(true);
    const medians = forwardMedians([a, b], Tensor.zeros([100, 3]), { batchSize: 4 }, { minRounds: 3, minSeconds: 0, warmUpSeconds: 0 });
    expect(log).toEqual(['a4', 'b4', 'a4', 'b4', 'a4', 'b4', 'a4', 'b4']); // a warm-up round, then 3 timed ones
    expect(medians).toHaveLength(2);
    expect(a.training).toBe(true); // each model's mode is restored
    expect(b.training).toBe(true);
  });

  it('with wholeSet, a round runs every batch of x through each model', () => {
    const log: string[] = [];
    forwardMedians(
      [new Recorder('m', log)],
      Tensor.zeros([10, 3]),
      { batchSize: 4, wholeSet: true },
      { minRounds: 1, minSeconds: 0, warmUpSeconds: 0 },
    );
    expect(log).toEqual(['m4', 'm4', 'm2', 'm4', 'm4', 'm2']);
  });

  it('warms up for warmUpSeconds before it times, still alternating', () => {
    const log: string[] = [];
    forwardMedians(
      [new Recorder('a', log), new Recorder('b', log)],
      Tensor.zeros([8, 3]),
      { batchSize: 1 },
      { minRounds: 3, minSeconds: 0, warmUpSeconds: 0.01 },
    );
    expect(log.length).toBeGreaterThan(8); // more than one warm-up round and 3 timed ones
    expect(log.every((e, i) => e === (i % 2 ? 'b1' : 'a1'))).toBe(true);
  });

  it('medians tell a slow contender from a fast one, and the ratio is taken between them', () => {
    const log: string[] = [];
    const slow = new Recorder('slow', log, 2),
      fast = new Recorder('fast', log, 0.2);
    const c = compareLatency(slow, fast, Tensor.zeros([4, 3]), { batchSize: 1 });
    expect(c.base).toBeGreaterThan(c.model);
    expect(c.speedUp).toBe(c.base / c.model);
    expect(c.base).toBeGreaterThanOrEqual(0.002);
  });

  it('the median and quartiles come from the rounds themselves', () => {
    let calls = 0;
    const [t] = alternatingTimings([() => calls++], { minRounds: 9, minSeconds: 0, warmUpSeconds: 0, maxRounds: 9 });
    expect(t.rounds).toBe(9);
    expect(calls).toBe(10); // one warm-up call and nine timed ones
    expect(t.q1).toBeLessThanOrEqual(t.median);
    expect(t.median).toBeLessThanOrEqual(t.q3);
  });

  it('awaits asynchronous contenders one at a time, still in turn', async () => {
    const log: string[] = [];
    const slow = async (name: string): Promise<void> => {
      log.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`${name} end`);
    };
    const [a, b] = await alternatingTimingsAsync([() => slow('a'), () => slow('b')], {
      minRounds: 2,
      maxRounds: 2,
      minSeconds: 0,
      warmUpSeconds: 0,
    });
    expect(log).toEqual(Array.from({ length: 3 }, () => ['a start', 'a end', 'b start', 'b end']).flat()); // one warm-up round, two timed
    expect(a.rounds).toBe(2);
    // The await is timed: a 5 ms timer, not the microseconds of the synchronous part. (Node
    // starts a timer from its loop's cached clock, so it may fire up to a millisecond early.)
    expect(b.median).toBeGreaterThanOrEqual(0.0025);
  });
});
