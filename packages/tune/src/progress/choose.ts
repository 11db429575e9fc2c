import type { ProgressMode, ProgressOptions } from '../tuner-options.js';
import { LineReporter, SilentReporter, TableReporter, type ProgressReporter } from './reporter.js';

/** Picks the reporter: a redrawn table on a terminal, lines when stdout is a pipe or file. */
export function chooseReporter(progress: ProgressMode | ProgressOptions | undefined): ProgressReporter {
  const o: ProgressOptions = typeof progress === 'object' ? progress : { mode: progress ?? 'auto' };
  const out = o.output ?? process.stdout;
  const mode = o.mode ?? 'auto';
  if (mode === 'none') return new SilentReporter();
  const table = mode === 'table' || (mode === 'auto' && Boolean((out as { isTTY?: boolean }).isTTY));
  return table ? new TableReporter(out, o.intervalMs ?? 1000) : new LineReporter(out, o.intervalMs ?? 5000);
}
