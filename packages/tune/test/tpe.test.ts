import { expect } from 'chai';
import {
  BasicVariantGenerator,
  TPESearch,
  choice,
  loguniform,
  uniform,
  type SearchAlgorithm,
  type TrialResult,
} from '@de2/tune';

const space = {
  x: uniform(-10, 10),
  y: uniform(-10, 10),
  lr: loguniform(1e-6, 1),
  act: choice(['relu', 'tanh', 'gelu']),
};

/** A smooth test objective with its minimum 0 at x=2, y=-3, lr=1e-3, act='tanh'. */
function objective(c: Record<string, unknown>): number {
  const x = c.x as number;
  const y = c.y as number;
  const lr = c.lr as number;
  return (x - 2) ** 2 + (y + 3) ** 2 + (Math.log10(lr) + 3) ** 2 + (c.act === 'tanh' ? 0 : 4);
}

/** Runs `budget` trials one after the other, as the Tuner does with maxConcurrentTrials 1. */
function bestFound(searcher: SearchAlgorithm, budget: number, seed: number): number {
  searcher.setSearchProperties({ metric: 'loss', mode: 'min', paramSpace: space, numSamples: budget, seed });
  let best = Infinity;
  for (let i = 0; i < budget; i++) {
    const id = `t${i}`;
    const config = searcher.suggest(id);
    if (!config) break;
    const loss = objective(config);
    best = Math.min(best, loss);
    const result: TrialResult = {
      loss,
      trainingIteration: 1,
      timeTotalS: 0,
      timeThisIterS: 0,
      timestamp: 0,
      trialId: id,
      done: true,
    };
    searcher.onTrialComplete(id, result, false);
  }
  return best;
}

describe('TPESearch', () => {
  it('beats random search with the same budget, over several seeds', () => {
    const budget = 60;
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const tpe = seeds.map((s) => bestFound(new TPESearch(), budget, s));
    const random = seeds.map((s) => bestFound(new BasicVariantGenerator(), budget, s));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const wins = seeds.filter((_s, i) => (tpe[i] as number) < (random[i] as number)).length;
    expect(wins, `tpe ${tpe.join(', ')} vs random ${random.join(', ')}`).to.be.at.least(8);
    expect(mean(tpe)).to.be.below(mean(random) * 0.75);
  });

  it('is reproducible with a seed and resumes from save()/restore()', () => {
    const run = (searcher: TPESearch, from: number, to: number) => {
      const out: Record<string, unknown>[] = [];
      for (let i = from; i < to; i++) {
        const c = searcher.suggest(`t${i}`);
        out.push(c);
        const r: TrialResult = {
          loss: objective(c),
          trainingIteration: 1,
          timeTotalS: 0,
          timeThisIterS: 0,
          timestamp: 0,
          trialId: `t${i}`,
          done: true,
        };
        searcher.onTrialComplete(`t${i}`, r, false);
      }
      return out;
    };
    const props = { metric: 'loss', mode: 'min' as const, paramSpace: space, numSamples: 30, seed: 9 };
    const a = new TPESearch();
    a.setSearchProperties(props);
    const straight = run(a, 0, 30);
    const b = new TPESearch();
    b.setSearchProperties(props);
    const first = run(b, 0, 15);
    const c = new TPESearch();
    c.setSearchProperties(props);
    c.restore(JSON.parse(JSON.stringify(b.save())));
    expect([...first, ...run(c, 15, 30)]).to.deep.equal(straight);
  });

  it('keeps values inside their domains', () => {
    const s = new TPESearch({ nStartupTrials: 3 });
    s.setSearchProperties({ metric: 'loss', mode: 'min', paramSpace: space, numSamples: 40, seed: 1 });
    for (let i = 0; i < 40; i++) {
      const c = s.suggest(`t${i}`);
      expect(c.x).to.be.within(-10, 10);
      expect(c.lr).to.be.within(1e-6, 1);
      expect(['relu', 'tanh', 'gelu']).to.include(c.act);
      const r: TrialResult = {
        loss: objective(c),
        trainingIteration: 1,
        timeTotalS: 0,
        timeThisIterS: 0,
        timestamp: 0,
        trialId: `t${i}`,
        done: true,
      };
      s.onTrialComplete(`t${i}`, r, false);
    }
  });
});
