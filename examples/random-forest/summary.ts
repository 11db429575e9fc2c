// What the example prints at the end, and the summary.json it leaves beside Tune's results.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultGrid } from '@de2/tune';
import type { PreparedData } from './data.js';
import type { ForestConfig } from './grids.js';
import type { ExampleOptions } from './options.js';

const MiB = 2 ** 20;

/** Samples this process's resident set size, to report the run's peak memory. */
export class PeakRss {
  private peak = process.memoryUsage.rss();
  private readonly timer = setInterval(() => this.sample(), 50).unref();
  /** The RSS when the trials were about to start (runtime up, data loaded and stored). */
  base = 0;

  markBase(): void {
    this.base = process.memoryUsage.rss();
    this.sample();
  }

  private sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage.rss());
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

export interface SummaryInput {
  readonly results: ResultGrid;
  readonly options: ExampleOptions;
  readonly data: PreparedData;
  readonly fitMs: number;
  readonly totalMs: number;
  readonly peakRss: number;
  /** RSS before the first trial (see PeakRss.markBase). */
  readonly baseRss: number;
  readonly log: (line: string) => void;
}

/** Prints errors, the best trial, times, memory and where results are; returns the exit code. */
export function printSummary(s: SummaryInput): number {
  const { results, log } = s;
  const all = [...results];
  const stopped = all.filter((r) => r.stoppedEarly).length;
  log('');
  log(
    `${all.length} trials: ${results.numTerminated} TERMINATED` +
      (stopped ? ` (${stopped} stopped early by ASHA)` : '') +
      `, ${results.numErrors} ERROR`,
  );
  for (const r of all.filter((x) => x.error)) {
    const c = (r.config as { rf: ForestConfig }).rf;
    log(`  ERROR ${r.trialId} ${JSON.stringify(c)}: ${r.error!.name}: ${firstLine(r.error!.message)}`);
  }
  if (results.numTerminated === 0) {
    log('no trial finished: nothing to report');
    return 1;
  }
  // Best among finished trials: an ERROR trial's last report (a forest cut short) does not count.
  const best = all
    .filter((r) => !r.error && typeof r.metrics?.accuracy === 'number')
    .reduce((a, b) => ((b.metrics!.accuracy as number) > (a.metrics!.accuracy as number) ? b : a));
  const config = (best.config as { rf: ForestConfig }).rf;
  const accuracy = best.metrics?.accuracy as number;
  const memoryLine =
    `peak memory (RSS) of this process: ${(s.peakRss / MiB).toFixed(0)} MiB ` +
    `(${(s.baseRss / MiB).toFixed(0)} MiB before the first trial); data: ` +
    `${(s.data.rawBytes / MiB).toFixed(1)} MiB as float32, ${(s.data.binnedBytes / MiB).toFixed(1)} MiB binned`;
  log(`best config: ${JSON.stringify(config)}`);
  log(
    `best test accuracy: ${accuracy.toFixed(4)} (${best.metrics?.trees} trees, ${s.data.test.y.length} held-out rows)`,
  );
  log(
    `wall time: ${(s.fitMs / 1000).toFixed(1)} s for the search, ${(s.totalMs / 1000).toFixed(1)} s in all`,
  );
  log(s.options.address ? `${memoryLine} (the driver; nodes are separate processes)` : memoryLine);
  const summary = {
    bestConfig: config,
    bestAccuracy: accuracy,
    bestTrialId: best.trialId,
    trials: all.length,
    terminated: results.numTerminated,
    errors: all
      .filter((r) => r.error)
      .map((r) => ({
        trialId: r.trialId,
        config: r.config,
        error: r.error!.name,
        message: r.error!.message,
      })),
    stoppedEarly: stopped,
    searchSeconds: s.fitMs / 1000,
    totalSeconds: s.totalMs / 1000,
    peakRssBytes: s.peakRss,
    baseRssBytes: s.baseRss,
    data: {
      path: s.data.path,
      rows: s.data.rows,
      rawBytes: s.data.rawBytes,
      binnedBytes: s.data.binnedBytes,
    },
    // The token admits anyone to the cluster: it stays out of the results folder.
    options: { ...s.options, token: s.options.token === undefined ? undefined : '<redacted>' },
  };
  writeFileSync(path.join(results.experimentPath, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  log(`results written to ${results.experimentPath} (results.csv, one folder per trial, summary.json)`);
  return 0;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
