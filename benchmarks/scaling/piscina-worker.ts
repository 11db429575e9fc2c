// The same trial as workload.ts's fitTrial, for a plain Piscina pool (no de2): the baseline.
import { Dataset, RandomForestClassifier, type DatasetObject } from '@de2/forest';
import type { TrialConfig } from './workload.js';

export default function fit(task: { trial: TrialConfig; train: DatasetObject; test: DatasetObject }): number {
  const rf = new RandomForestClassifier(task.trial).fit(Dataset.fromObject(task.train));
  return rf.score(Dataset.fromObject(task.test));
}
