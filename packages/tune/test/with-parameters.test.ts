import { expect } from 'chai';
import { init, shutdown } from '@de2/core';
import { Tuner, grid, withParameters, withResources, type TrialContext } from '@de2/tune';
import { tempDir } from './helpers.js';

const SIZE = 10_000_000; // 80 MB of float64

async function peakGrowth(
  data: Float64Array,
  trials: number,
): Promise<{ growth: number; shared: boolean[] }> {
  const train = async (config: { i: number }, ctx: TrialContext<{ data: Float64Array }>) => {
    const { data } = ctx.params;
    let sum = 0;
    for (let j = 0; j < data.length; j += 1024) sum += data[j] ?? 0;
    await new Promise((r) => setTimeout(r, 30));
    return { sum, i: config.i, shared: data.buffer instanceof SharedArrayBuffer };
  };
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const ids = Array.from({ length: trials }, (_v, i) => i);
  // A quarter CPU each: with 2 CPUs, up to 8 trials hold the data at the same time.
  const trainable = withResources(withParameters(train, { data }), { numCpus: 0.25 });
  const results = await new Tuner(trainable, {
    paramSpace: { i: grid(ids) },
    runConfig: { storagePath: tempDir(), progress: 'none' },
  }).fit();
  clearInterval(timer);
  expect(results.numTerminated).to.equal(trials);
  for (const r of results) expect(r.metrics?.sum).to.equal(Math.ceil(SIZE / 1024) * 1.5);
  return { growth: peak - base, shared: [...results].map((r) => r.metrics?.shared as boolean) };
}

describe('withParameters', function () {
  this.timeout(120_000);
  before(async () => {
    await init({ numCpus: 2 });
  });
  after(async () => {
    await shutdown();
  });

  it('stores the data once: memory does not grow with the number of trials', async () => {
    const bytes = SIZE * 8;
    const few = await peakGrowth(new Float64Array(SIZE).fill(1.5), 2);
    const many = await peakGrowth(new Float64Array(SIZE).fill(1.5), 24);
    // Every trial saw the stored object itself (shared memory), never a copy.
    expect(many.shared.every(Boolean)).to.equal(true);
    // One stored copy per run at most; 24 trials (8 at a time) cost no more than 2.
    expect(many.growth, `2 trials: +${few.growth} B, 24 trials: +${many.growth} B`).to.be.below(
      few.growth + bytes / 2,
    );
    expect(many.growth).to.be.below(bytes * 2);
  });
});
