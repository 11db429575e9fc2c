import { expect } from 'chai';
import {
  TaskError,
  availableResources,
  clusterResources,
  get,
  init,
  nodes,
  put,
  remote,
  shutdown,
  isInitialized,
} from '@de2/core';

describe('init options, resources and cluster info', () => {
  afterEach(async () => {
    await shutdown();
  });

  it('rejects bad options with TypeError/RangeError naming the option', async () => {
    await init({ numCpus: 1 });
    expect(() => remote(() => 1, { numCpus: -1 })).to.throw(RangeError, 'options.numCpus');
    expect(() => remote(() => 1, { numReturns: 0 })).to.throw(RangeError, 'options.numReturns');
    expect(() => remote(() => 1, { maxRetries: 1.5 })).to.throw(RangeError, 'options.maxRetries');
    expect(() => remote(() => 1, { resources: { gpu: -1 } })).to.throw(RangeError, 'options.resources.gpu');
    expect(() => remote(class {}, { maxConcurrency: 0 })).to.throw(RangeError, 'options.maxConcurrency');
    expect(() => remote(() => 1, { name: 3 as unknown as string })).to.throw(TypeError, 'options.name');
    await shutdown();
    let err: unknown;
    await init({ numCpus: 'two' as unknown as number }).catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(TypeError);
    expect((err as Error).message).to.contain('options.numCpus');
    expect(isInitialized()).to.equal(false);
  });

  it('reports nodes, total and available resources, custom ones included', async () => {
    await init({ numCpus: 2, resources: { gpu: 1 }, objectStoreMemory: 64 * 2 ** 20 });
    const list = await nodes();
    expect(list).to.have.length(1);
    expect(list[0]?.alive).to.equal(true);
    const total = await clusterResources();
    expect(total).to.include({ CPU: 2, gpu: 1, objectStoreMemory: 64 * 2 ** 20 });
    const hold = remote(() => new Promise((r) => setTimeout(r, 400)), { resources: { gpu: 1 } });
    const ref = hold.remote();
    let during = await availableResources();
    for (let i = 0; i < 100 && during.gpu !== 0; i++) during = await availableResources();
    expect(during.gpu).to.equal(0);
    expect(during.CPU).to.equal(1);
    await get(ref);
    const after = await availableResources();
    expect(after).to.include({ CPU: 2, gpu: 1 });
    const data = put(new Float64Array(1_000_000));
    await get(data);
    expect((await availableResources()).objectStoreMemory).to.be.at.most(64 * 2 ** 20 - 8_000_000);
  });

  it('uses the name option in errors', async () => {
    await init({ numCpus: 1 });
    const f = remote(
      () => {
        throw new Error('boom');
      },
      { name: 'load-shard' },
    );
    const err = (await get(f.remote()).catch((e: unknown) => e)) as TaskError;
    expect(err).to.be.instanceOf(TaskError);
    expect(err.functionName).to.equal('load-shard');
    expect(err.message).to.contain('load-shard failed');
  });
});
