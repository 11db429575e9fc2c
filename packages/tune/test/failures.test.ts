import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { init, shutdown } from '@de2/core';
import {
  ASHAScheduler,
  TrialStatus,
  Tuner,
  TuneError,
  grid,
  withResources,
  type TrialContext,
} from '@de2/tune';
import { tempDir } from './helpers.js';

/** Fails at step 3 while `failFile` exists; logs each start (x and the step it starts from). */
async function flaky(config: { x: number; failFile: string; log: string }, ctx: TrialContext) {
  const fs = await import('node:fs');
  const start = ((ctx.checkpoint as { step: number } | undefined)?.step ?? 0) + 1;
  fs.appendFileSync(config.log, `${config.x}:${start}\n`);
  for (let step = start; step <= 4; step++) {
    await ctx.report({ step }, { checkpoint: { step } });
    if (config.x === 1 && step === 3 && fs.existsSync(config.failFile)) throw new Error('flaky');
  }
}

describe('Tuner failures', function () {
  this.timeout(60_000);
  before(async () => {
    await init({ numCpus: 2 });
  });
  after(async () => {
    await shutdown();
  });

  it('getBestResult considers ERROR trials too, as Ray does, and says they failed', async () => {
    const results = await new Tuner(
      async (config: { x: number }, ctx: TrialContext) => {
        await ctx.report({ score: config.x });
        // The best-scoring trial fails after its report.
        if (config.x === 3) throw new Error('failed after reporting');
      },
      {
        paramSpace: { x: grid([1, 3, 2]) },
        tuneConfig: { metric: 'score', mode: 'max' },
        runConfig: { storagePath: tempDir(), progress: 'none' },
      },
    ).fit();
    const best = results.getBestResult();
    expect(best.config).to.deep.equal({ x: 3 });
    expect(best.status).to.equal(TrialStatus.ERROR);
    expect(best.error?.message).to.contain('failed after reporting');
    // A caller that wants only finished trials filters by status.
    const finished = [...results].filter((r) => r.status === TrialStatus.TERMINATED);
    expect(finished.map((r) => r.config.x).sort()).to.deep.equal([1, 2]);
    expect(results.numErrors).to.equal(1);
  });

  it('retries a failed trial from its last checkpoint (maxFailures)', async () => {
    const results = await new Tuner(
      async (config: { id: number }, ctx: TrialContext) => {
        const start = ((ctx.checkpoint as { step: number } | undefined)?.step ?? 0) + 1;
        for (let step = start; step <= 5; step++) {
          await ctx.report({ step, resumedFrom: start }, { checkpoint: { step } });
          // The first attempt of trial 1 dies after its third step.
          if (config.id === 1 && step === 3 && start === 1) throw new Error('transient failure');
        }
      },
      {
        paramSpace: { id: grid([0, 1]) },
        runConfig: { storagePath: tempDir(), failureConfig: { maxFailures: 1 }, progress: 'none' },
      },
    ).fit();
    const retried = results[1]!;
    expect(retried.status).to.equal(TrialStatus.TERMINATED);
    expect(retried.error).to.equal(undefined);
    expect(retried.metricsHistory.map((m) => m.step)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(retried.metricsHistory.map((m) => m.trainingIteration)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(retried.metricsHistory.map((m) => m.resumedFrom)).to.deep.equal([1, 1, 1, 4, 4]);
    expect(retried.checkpoint).to.deep.equal({ step: 5 });
    expect(results[0]!.metricsHistory.map((m) => m.resumedFrom)).to.deep.equal([1, 1, 1, 1, 1]);
  });

  it('marks a trial ERROR with its error once retries run out, and the others go on', async () => {
    const results = await new Tuner(
      async (config: { id: number }) => {
        if (config.id === 2) throw new RangeError(`bad trial ${config.id}`);
        return { ok: 1 };
      },
      {
        paramSpace: { id: grid([1, 2, 3]) },
        runConfig: { storagePath: tempDir(), failureConfig: { maxFailures: 2 }, progress: 'none' },
      },
    ).fit();
    expect(results.numErrors).to.equal(1);
    expect(results.numTerminated).to.equal(2);
    const failed = results[1]!;
    expect(failed.status).to.equal(TrialStatus.ERROR);
    expect(failed.error?.message).to.include('bad trial 2');
    expect((failed.error as { code?: string }).code).to.equal('TASK_ERROR');
    expect(results.errors).to.have.length(1);
  });

  it('fit() resolves and prints each distinct error once, with a trial id and its error file', async () => {
    let printed = '';
    const output = new (await import('node:stream')).Writable({
      write(chunk: Buffer, _enc, done) {
        printed += chunk.toString();
        done();
      },
    });
    const results = await new Tuner(
      async (config: { id: number }) => {
        if (config.id < 4) throw new RangeError(`bad half ${config.id % 2}`);
        return { ok: 1 };
      },
      {
        paramSpace: { id: grid([0, 1, 2, 3, 4]) },
        runConfig: { storagePath: tempDir(), progress: { mode: 'lines', output, intervalMs: 60_000 } },
      },
    ).fit();
    expect(results.numErrors).to.equal(4);
    // The line reporter printed each trial as it ended; the summary comes after the run.
    const at = printed.indexOf('4 of 5 trials ended in ERROR (2 distinct errors)');
    expect(at, printed).to.be.at.least(0);
    const summary = printed.slice(at);
    for (const half of [0, 1]) {
      const lines = summary.split('\n').filter((l) => l.includes(`RangeError: bad half ${half}`));
      expect(lines, `error ${half} printed once`).to.have.length(1);
      const first = [...results].find((r) => r.error?.message.includes(`bad half ${half}`))!;
      expect(lines[0]).to.include(`trial ${first.trialId} (also 1 more`);
      expect(summary).to.include(path.join(first.path, 'error.txt'));
      expect(fs.existsSync(path.join(first.path, 'error.txt'))).to.equal(true);
    }
  });

  it('failFast stops the experiment and fit() rejects', async () => {
    const tuner = new Tuner(
      async (config: { id: number }) => {
        if (config.id === 0) throw new Error('first trial fails');
        await new Promise((r) => setTimeout(r, 200));
        return { ok: 1 };
      },
      {
        paramSpace: { id: grid([0, 1, 2, 3, 4, 5]) },
        tuneConfig: { maxConcurrentTrials: 1 },
        runConfig: { storagePath: tempDir(), failureConfig: { failFast: true }, progress: 'none' },
      },
    );
    try {
      await tuner.fit();
      expect.fail('fit() should reject');
    } catch (e) {
      expect(e).to.be.instanceOf(TuneError);
      expect((e as TuneError).code).to.equal('TUNE_TRIAL_FAILED');
    }
    const results = tuner.getResults();
    expect(results.numErrors).to.equal(1);
    expect(results.numTerminated).to.equal(0);
  });

  it('a trial over its memory budget is an ERROR (OutOfMemoryError) for that trial only', async () => {
    const hog = async (config: { mb: number }) => {
      // Plain arrays of doubles live on the V8 heap, which the budget caps (typed arrays would not).
      const chunks: number[][] = [];
      for (let i = 0; i < config.mb; i++) chunks.push(Array.from({ length: 131072 }, (_v, j) => i + j + 0.5)); // ~1 MiB each
      return { allocatedMb: chunks.length };
    };
    const results = await new Tuner(withResources(hog, { memory: 64 * 1024 * 1024 }), {
      paramSpace: { mb: grid([8, 2000, 4]) },
      runConfig: { storagePath: tempDir(), failureConfig: { maxFailures: 3 }, progress: 'none' },
    }).fit();
    expect(results[0]!.status).to.equal(TrialStatus.TERMINATED);
    expect(results[2]!.status).to.equal(TrialStatus.TERMINATED);
    const oom = results[1]!;
    expect(oom.status).to.equal(TrialStatus.ERROR);
    expect((oom.error as { code?: string }).code).to.equal('OUT_OF_MEMORY');
    expect(oom.error?.name).to.equal('OutOfMemoryError');
  });

  it('a trainable that uses a variable of its enclosing scope fails with an error that says why', async () => {
    const factor = 3;
    const results = await new Tuner(async (config: { x: number }) => ({ y: config.x * factor }), {
      paramSpace: { x: grid([1]) },
      runConfig: { storagePath: tempDir(), progress: 'none' },
    }).fit();
    expect(results[0]!.status).to.equal(TrialStatus.ERROR);
    expect(results[0]!.error?.message).to.include('factor is not defined').and.include('enclosing scope');
  });

  for (const how of ['resumeErrored', 'restartErrored'] as const) {
    it(`Tuner.restore with ${how} runs only the ERROR trial again (${how === 'resumeErrored' ? 'from its checkpoint' : 'from scratch'})`, async () => {
      const dir = tempDir();
      const failFile = path.join(dir, 'fail');
      const log = path.join(dir, 'starts.log');
      fs.writeFileSync(failFile, '');
      const first = await new Tuner(flaky, {
        paramSpace: { x: grid([0, 1, 2]), failFile, log },
        runConfig: { name: 'exp', storagePath: dir, progress: 'none' },
      }).fit();
      expect(first.numErrors).to.equal(1);
      fs.rmSync(failFile);
      // Without the option, errored trials stay as they are.
      const untouched = await Tuner.restore(path.join(dir, 'exp'), flaky, { progress: 'none' }).fit();
      expect(untouched.numErrors).to.equal(1);
      const again = await Tuner.restore(path.join(dir, 'exp'), flaky, {
        [how]: true,
        progress: 'none',
      }).fit();
      expect(again.numErrors).to.equal(0);
      expect(again.numTerminated).to.equal(3);
      const starts = fs.readFileSync(log, 'utf8').trim().split('\n');
      expect(starts.filter((l) => l.startsWith('0:'))).to.deep.equal(['0:1']);
      expect(starts.filter((l) => l.startsWith('2:'))).to.deep.equal(['2:1']);
      expect(starts.filter((l) => l.startsWith('1:'))).to.deep.equal([
        '1:1',
        how === 'resumeErrored' ? '1:4' : '1:1',
      ]);
      expect(again[1]!.metricsHistory.map((m) => m.step)).to.deep.equal([1, 2, 3, 4]);
    });
  }

  it('a restored experiment keeps its ASHA rungs: a resumed bad trial is judged against the earlier ones', async () => {
    const dir = tempDir();
    const failFile = path.join(dir, 'fail');
    fs.writeFileSync(failFile, '');
    const train = async (config: { q: number; failFile: string }, ctx: TrialContext) => {
      const fs = await import('node:fs');
      // The bad trial fails before its first report while failFile exists.
      if (config.q < 0.5 && fs.existsSync(config.failFile)) throw new Error('not yet');
      for (let t = 1; t <= 4; t++) await ctx.report({ acc: config.q * t });
    };
    const options = {
      paramSpace: { q: grid([0.9, 0.8, 0.7, 0.6, 0.1]), failFile },
      tuneConfig: {
        metric: 'acc',
        mode: 'max' as const,
        maxConcurrentTrials: 1,
        scheduler: new ASHAScheduler({ maxT: 4, gracePeriod: 1, reductionFactor: 2 }),
      },
      runConfig: { name: 'asha', storagePath: dir, progress: 'none' as const },
    };
    const first = await new Tuner(train, options).fit();
    expect(first[4]!.status).to.equal(TrialStatus.ERROR);
    fs.rmSync(failFile);
    const again = await Tuner.restore(path.join(dir, 'asha'), train, {
      resumeErrored: true,
      progress: 'none',
    }).fit();
    const bad = again[4]!;
    expect(bad.status).to.equal(TrialStatus.TERMINATED);
    expect(bad.stoppedEarly).to.equal(true);
    expect(bad.metrics?.trainingIteration).to.equal(1);
  });
});
