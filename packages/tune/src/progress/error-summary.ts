import path from 'node:path';
import type { ResultGrid } from '../result-grid.js';
import { TrialStatus } from '../trial.js';
import type { ProgressMode, ProgressOptions } from '../tuner-options.js';

const MAX_MESSAGE = 600;

/**
 * What `fit()` prints at the end when trials ended in ERROR, as Ray Tune's summary does:
 * each distinct error once, with the first trial that hit it, how many others did, and
 * where its error file is. Empty when no trial failed.
 */
export function errorSummary(results: ResultGrid): string[] {
  const failed = [...results].filter((r) => r.status === TrialStatus.ERROR);
  if (failed.length === 0) return [];
  const groups = new Map<string, { first: (typeof failed)[number]; others: string[] }>();
  for (const r of failed) {
    const e = r.error;
    const key = e ? `${e.name}: ${e.message}` : 'unknown error';
    const group = groups.get(key);
    if (group) group.others.push(r.trialId);
    else groups.set(key, { first: r, others: [] });
  }
  const lines = [
    `${failed.length} of ${results.length} trials ended in ERROR` +
      (groups.size > 1 ? ` (${groups.size} distinct errors)` : '') +
      ' (results.errors has them; each trial folder has its error.txt):',
  ];
  for (const [key, { first, others }] of groups) {
    const message = key.length > MAX_MESSAGE ? `${key.slice(0, MAX_MESSAGE)}...` : key;
    const also =
      others.length > 0
        ? ` (also ${others.length} more: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', ...' : ''})`
        : '';
    lines.push(`  trial ${first.trialId}${also}: ${message}`);
    lines.push(`    error file: ${path.join(first.path, 'error.txt')}`);
  }
  return lines;
}

/** Prints the summary where progress goes (stderr by default), unless progress is 'none'. */
export function printErrorSummary(
  results: ResultGrid,
  progress: ProgressMode | ProgressOptions | undefined,
): void {
  const o: ProgressOptions = typeof progress === 'object' ? progress : { mode: progress ?? 'auto' };
  if (o.mode === 'none') return;
  const lines = errorSummary(results);
  if (lines.length === 0) return;
  (o.output ?? process.stderr).write(`${lines.join('\n')}\n`);
}
