import { flatten } from '../storage/csv.js';
import { TrialStatus, type TrialRecord } from '../trial.js';
import {
  bestTrial,
  configText,
  formatDuration,
  formatValue,
  metricColumns,
  resourcesText,
  statusCounts,
  table,
  trialRow,
  type RunnerView,
} from './format.js';

export type { RunnerView } from './format.js';

/** Receives the experiment's progress; one of the three below is chosen by `runConfig.progress`. */
export interface ProgressReporter {
  start(view: RunnerView): void;
  update(view: RunnerView): void;
  trialFinished(view: RunnerView, trial: TrialRecord): void;
  finish(view: RunnerView): void;
}

/** `progress: 'none'`. */
export class SilentReporter implements ProgressReporter {
  start(): void {}
  update(): void {}
  trialFinished(): void {}
  finish(): void {}
}

const MAX_ROWS = 20;

function summary(view: RunnerView, startedAt: number): string[] {
  const lines = [
    `Tune ${view.wasInterrupted ? 'interrupted' : 'finished'} after ${formatDuration(Date.now() - startedAt)}: ` +
      `${view.trials.length} trials (${statusCounts(view.trials)})`,
  ];
  const best = bestTrial(view);
  if (best) {
    lines.push(
      `Best trial ${best.trial.id}: ${view.metric}=${formatValue(best.value)} config=${configText(best.trial.config)}`,
    );
  }
  lines.push(`Results: ${view.experimentPath}`);
  if (view.wasInterrupted) {
    lines.push(`To resume: await Tuner.restore(${JSON.stringify(view.experimentPath)}, trainable).fit()`);
  }
  return lines;
}

/** Lines every reporter shows above the table or in its status line. */
function header(view: RunnerView, startedAt: number): string[] {
  const best = bestTrial(view);
  return [
    `Trial status: ${statusCounts(view.trials) || 'no trials yet'}`,
    `Current time: ${new Date().toISOString().replace('T', ' ').slice(0, 19)}. Total running time: ${formatDuration(Date.now() - startedAt)}`,
    `Logical resource usage: ${resourcesText(view)}`,
    ...(best
      ? [
          `Current best trial: ${best.trial.id} with ${view.metric}=${formatValue(best.value)} and params=${configText(best.trial.config)}`,
        ]
      : []),
  ];
}

/**
 * On a terminal: Ray Tune's status table, redrawn in place (the cursor moves back up over
 * the previous drawing) at most every `intervalMs` and whenever a trial finishes.
 */
export class TableReporter implements ProgressReporter {
  private startedAt = Date.now();
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly intervalMs = 1000,
  ) {}

  start(view: RunnerView): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => {
      if (this.dirty) this.draw(view);
    }, this.intervalMs);
    this.timer.unref();
    this.draw(view);
  }

  update(): void {
    this.dirty = true;
  }

  trialFinished(view: RunnerView): void {
    this.draw(view);
  }

  finish(view: RunnerView): void {
    if (this.timer) clearInterval(this.timer);
    this.draw(view);
    this.out.write(summary(view, this.startedAt).join('\n') + '\n');
    this.drawnLines = 0;
  }

  render(view: RunnerView): string[] {
    const configKeys = [...new Set(view.trials.flatMap((t) => Object.keys(flatten(t.config))))];
    const metrics = metricColumns(view);
    const rank = (t: TrialRecord) =>
      t.status === TrialStatus.RUNNING
        ? 0
        : t.status === TrialStatus.ERROR
          ? 1
          : t.status === TrialStatus.TERMINATED
            ? 2
            : 3;
    const shown = [...view.trials].sort((a, b) => rank(a) - rank(b) || a.index - b.index).slice(0, MAX_ROWS);
    shown.sort((a, b) => a.index - b.index);
    const rows = shown.map((t) => trialRow(t, configKeys, metrics));
    const lines = [
      ...header(view, this.startedAt),
      ...table(['Trial name', 'status', ...configKeys, 'iter', 'total time (s)', ...metrics], rows),
    ];
    if (view.trials.length > shown.length)
      lines.push(`... ${view.trials.length - shown.length} more trials not shown`);
    return lines;
  }

  private draw(view: RunnerView): void {
    this.dirty = false;
    const lines = this.render(view);
    // Cursor up over the previous drawing, clear to the end of the screen, draw again.
    const back = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[0J` : '';
    this.out.write(back + lines.join('\n') + '\n');
    this.drawnLines = lines.length;
  }
}

/**
 * When stdout is not a terminal (a log file, CI): one line per finished trial and a status
 * line every `intervalMs`, never redrawn.
 */
export class LineReporter implements ProgressReporter {
  private startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly intervalMs = 5000,
  ) {}

  start(view: RunnerView): void {
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.status(view), this.intervalMs);
    this.timer.unref();
  }

  update(): void {}

  trialFinished(view: RunnerView, t: TrialRecord): void {
    const r = t.lastResult;
    const metrics = metricColumns(view)
      .filter((m) => r?.[m] !== undefined)
      .map((m) => `${m}=${formatValue(r?.[m])}`);
    const how =
      t.status === TrialStatus.TERMINATED && t.stoppedEarly ? 'TERMINATED (stopped early)' : t.status;
    const parts = [
      `Trial ${t.id} ${how}`,
      `iter=${r?.trainingIteration ?? 0}`,
      `time=${(r?.timeTotalS ?? t.timeOffsetS).toFixed(2)}s`,
      ...metrics,
      `config=${configText(t.config)}`,
      ...(t.error ? [`error=${t.error.name}: ${t.error.message}`] : []),
    ];
    this.out.write(parts.join(' ') + '\n');
  }

  finish(view: RunnerView): void {
    if (this.timer) clearInterval(this.timer);
    this.out.write(summary(view, this.startedAt).join('\n') + '\n');
  }

  private status(view: RunnerView): void {
    this.out.write(`[tune] ${header(view, this.startedAt).join(' | ')}\n`);
  }
}
