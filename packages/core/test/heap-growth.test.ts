import { expect } from 'chai';
import { get, init, isInitialized, remote, shutdown } from '@de2/core';
import {
  CAP_ABOVE_BYTES,
  LIFT_BELOW_BYTES,
  holdHeapGrowthCap,
  steerHeapGrowth,
} from '../src/node/heap-growth.js';

const MiB = 2 ** 20;

describe('heap growth cap (node/heap-growth.ts)', () => {
  const saved = process.env.DE2_HEAP_GROWING_PERCENT;
  afterEach(() => {
    if (saved === undefined) delete process.env.DE2_HEAP_GROWING_PERCENT;
    else process.env.DE2_HEAP_GROWING_PERCENT = saved;
  });

  it('applies only while a node holds it and the heap is large, with a gap between on and off', () => {
    expect(CAP_ABOVE_BYTES).to.be.greaterThan(LIFT_BELOW_BYTES);
    const release = holdHeapGrowthCap();
    try {
      expect(steerHeapGrowth(64 * MiB)).to.equal(false);
      expect(steerHeapGrowth(CAP_ABOVE_BYTES + MiB)).to.equal(true);
      // Between the two bounds it stays as it was.
      expect(steerHeapGrowth((CAP_ABOVE_BYTES + LIFT_BELOW_BYTES) / 2)).to.equal(true);
      expect(steerHeapGrowth(LIFT_BELOW_BYTES - MiB)).to.equal(false);
      expect(steerHeapGrowth((CAP_ABOVE_BYTES + LIFT_BELOW_BYTES) / 2)).to.equal(false);
      // A second holder (a driver's node beside an embedded one) does not lift it when it goes.
      expect(steerHeapGrowth(CAP_ABOVE_BYTES + MiB)).to.equal(true);
      const second = holdHeapGrowthCap();
      second();
      second();
      expect(steerHeapGrowth(CAP_ABOVE_BYTES + MiB)).to.equal(true);
    } finally {
      release();
    }
    expect(steerHeapGrowth(CAP_ABOVE_BYTES + MiB)).to.equal(false);
  });

  it('refuses a bad DE2_HEAP_GROWING_PERCENT at init with a RangeError naming it, and starts nothing', async () => {
    for (const bad of ['lots', '-5', '12.5']) {
      process.env.DE2_HEAP_GROWING_PERCENT = bad;
      const error = await init({ numCpus: 1 }).catch((e: unknown) => e);
      expect(error, bad).to.be.instanceOf(RangeError);
      expect((error as Error).message)
        .to.contain('DE2_HEAP_GROWING_PERCENT')
        .and.contain(`"${bad}"`);
      expect(isInitialized()).to.equal(false);
    }
    process.env.DE2_HEAP_GROWING_PERCENT = '0'; // V8's own policy
    await init({ numCpus: 1 });
    expect(await get(remote((x: number) => x * 2).remote(21))).to.equal(42);
    await shutdown();
  });

  it('never applies with DE2_HEAP_GROWING_PERCENT=0', () => {
    process.env.DE2_HEAP_GROWING_PERCENT = '0';
    const release = holdHeapGrowthCap();
    try {
      expect(steerHeapGrowth(CAP_ABOVE_BYTES * 4)).to.equal(false);
    } finally {
      release();
    }
  });
});
