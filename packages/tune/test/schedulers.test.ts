import { expect } from 'chai';
import { ASHAScheduler, MedianStoppingRule, SchedulerDecision, type TrialResult } from '@de2/tune';

function result(trialId: string, t: number, metrics: Record<string, number>): TrialResult {
  return {
    ...metrics,
    trainingIteration: t,
    timeTotalS: t,
    timeThisIterS: 1,
    timestamp: 0,
    trialId,
    done: false,
  };
}

/** Runs trials round-robin, one iteration each per round; returns the iteration each stopped at. */
function simulate(
  scheduler: ASHAScheduler | MedianStoppingRule,
  quality: number[],
  maxT: number,
): Map<number, number> {
  const stoppedAt = new Map<number, number>();
  quality.forEach((_q, i) => scheduler.onTrialAdd(`t${i}`));
  for (let t = 1; t <= maxT; t++) {
    quality.forEach((q, i) => {
      if (stoppedAt.has(i)) return;
      // A learning curve that rises with t and ends at the trial's quality.
      const accuracy = q * (1 - 1 / (t + 1));
      const d = scheduler.onTrialResult(`t${i}`, result(`t${i}`, t, { accuracy }));
      if (d === SchedulerDecision.STOP || t === maxT) stoppedAt.set(i, t);
    });
  }
  return stoppedAt;
}

function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => (i + 1) / n);
  let s = seed;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a;
}

describe('ASHAScheduler', () => {
  it('puts rungs at gracePeriod * reductionFactor^k up to maxT', () => {
    expect(new ASHAScheduler({ maxT: 16, gracePeriod: 1, reductionFactor: 2 }).milestones).to.deep.equal([
      1, 2, 4, 8, 16,
    ]);
    expect(new ASHAScheduler({ maxT: 100, gracePeriod: 1, reductionFactor: 4 }).milestones).to.deep.equal([
      1, 4, 16, 64,
    ]);
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`stops the bad half early and lets the best trial run to maxT (order ${seed})`, () => {
      const maxT = 16;
      const asha = new ASHAScheduler({ maxT, gracePeriod: 1, reductionFactor: 2 });
      asha.setSearchProperties('accuracy', 'max');
      const quality = shuffled(16, seed);
      const stoppedAt = simulate(asha, quality, maxT);
      const ranked = quality.map((q, i) => ({ q, i })).sort((a, b) => a.q - b.q);
      const bottom = ranked.slice(0, 8);
      const best = ranked[ranked.length - 1] as { i: number };
      // Whoever reaches a rung first passes it unjudged, so allow one bad trial through.
      const badStoppedEarly = bottom.filter(({ i }) => (stoppedAt.get(i) ?? maxT) < maxT).length;
      expect(badStoppedEarly).to.be.at.least(7);
      expect(stoppedAt.get(best.i)).to.equal(maxT);
      const reachedEnd = [...stoppedAt.values()].filter((t) => t === maxT).length;
      expect(reachedEnd).to.be.below(quality.length / 2);
    });
  }

  it('minimizes when mode is min', () => {
    const asha = new ASHAScheduler({
      maxT: 4,
      gracePeriod: 1,
      reductionFactor: 2,
      metric: 'loss',
      mode: 'min',
    });
    asha.setSearchProperties(undefined, undefined);
    expect(asha.onTrialResult('a', result('a', 1, { loss: 1 }))).to.equal(SchedulerDecision.CONTINUE);
    expect(asha.onTrialResult('b', result('b', 1, { loss: 5 }))).to.equal(SchedulerDecision.STOP);
    expect(asha.onTrialResult('c', result('c', 1, { loss: 0.5 }))).to.equal(SchedulerDecision.CONTINUE);
    expect(asha.onTrialResult('a', result('a', 4, { loss: 0.1 }))).to.equal(SchedulerDecision.STOP); // maxT
  });

  it('needs a metric and rejects bad options', () => {
    expect(() => new ASHAScheduler().setSearchProperties(undefined, undefined)).to.throw(TypeError, 'metric');
    expect(() => new ASHAScheduler({ reductionFactor: 1 })).to.throw(RangeError, 'options.reductionFactor');
    expect(() => new ASHAScheduler({ gracePeriod: 10, maxT: 5 })).to.throw(RangeError, 'options.gracePeriod');
  });
});

describe('MedianStoppingRule', () => {
  it('stops a trial whose best is below the median of the others, after the grace period', () => {
    const rule = new MedianStoppingRule({
      timeAttr: 'trainingIteration',
      gracePeriod: 2,
      minSamplesRequired: 3,
    });
    rule.setSearchProperties('accuracy', 'max');
    const quality = [0.9, 0.8, 0.85, 0.2, 0.95];
    const stoppedAt = simulate(rule, quality, 10);
    expect(stoppedAt.get(3)).to.be.below(10);
    expect(stoppedAt.get(3)).to.be.at.least(2);
    for (const i of [0, 2, 4]) expect(stoppedAt.get(i)).to.equal(10);
  });

  it('does not stop before minSamplesRequired other trials exist', () => {
    const rule = new MedianStoppingRule({
      timeAttr: 'trainingIteration',
      gracePeriod: 0,
      minSamplesRequired: 3,
    });
    rule.setSearchProperties('accuracy', 'max');
    const stoppedAt = simulate(rule, [0.9, 0.1, 0.8], 5);
    expect([...stoppedAt.values()]).to.deep.equal([5, 5, 5]);
  });
});
