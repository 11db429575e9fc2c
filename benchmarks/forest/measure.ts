/** Timing helpers for the forest benchmark: wall and process CPU time side by side. */
import { RandomForestClassifier, type RandomForestOptions } from '@de2/forest';
import type { Table } from '../../packages/forest/test/helpers.js';

export interface Fit {
  fitSeconds: number;
  /** Process CPU time (all threads): steadier than wall time on a shared machine. */
  cpuSeconds: number;
  accuracy: number;
}

export function cpuSeconds(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/** Times `fit` alone (from raw float32 rows, so binning is included), then scores. */
export function fitDe2(train: Table, test: Table, options: RandomForestOptions): Fit {
  const rf = new RandomForestClassifier({ seed: 0, ...options });
  const t0 = performance.now();
  const c0 = cpuSeconds();
  rf.fit(train.X, train.y, train.nFeatures);
  const cpu = cpuSeconds() - c0;
  const fitSeconds = (performance.now() - t0) / 1000;
  return { fitSeconds, cpuSeconds: cpu, accuracy: rf.score(test.X, test.y, test.nFeatures) };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '-');
