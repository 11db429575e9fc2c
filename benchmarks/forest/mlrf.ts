/** ml-random-forest (reference only: it is the slow JavaScript forest the issue replaces). */
import { RandomForestClassifier as MlRandomForest } from 'ml-random-forest';
import type { Table } from '../../packages/forest/test/helpers.js';
import { cpuSeconds, type Fit } from './measure.js';

function rows(t: Table): number[][] {
  return Array.from({ length: t.nRows }, (_, r) =>
    Array.from(t.X.subarray(r * t.nFeatures, (r + 1) * t.nFeatures)),
  );
}

/**
 * Trains ml-random-forest with its defaults (each tree sees all features, bagging on)
 * except noOOB: its out-of-bag step crashes on some inputs and is not part of a fit.
 */
export function fitMlRandomForest(train: Table, test: Table, nEstimators: number): Fit {
  const rf = new MlRandomForest({ nEstimators, seed: 0, noOOB: true });
  const X = rows(train);
  const y = Array.from(train.y);
  const t0 = performance.now();
  const c0 = cpuSeconds();
  rf.train(X, y);
  const cpu = cpuSeconds() - c0;
  const fitSeconds = (performance.now() - t0) / 1000;
  const pred = rf.predict(rows(test));
  let right = 0;
  pred.forEach((p, i) => (right += p === test.y[i] ? 1 : 0));
  return { fitSeconds, cpuSeconds: cpu, accuracy: right / test.nRows };
}
