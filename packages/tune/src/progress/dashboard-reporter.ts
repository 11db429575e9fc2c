import { reportExperiment, type TrialReport } from '@de2/core/internal';
import type { TrialRecord } from '../trial.js';
import type { ProgressReporter, RunnerView } from './reporter.js';

/**
 * Tells the head's dashboard how the experiment goes (its Experiments page), beside the
 * terminal reporter: on every result and status change, the trials that changed.
 */
export class DashboardReporter implements ProgressReporter {
  /** What was last sent of each trial, to send only the ones that changed. */
  private readonly sent = new Map<string, string>();

  constructor(
    private readonly inner: ProgressReporter,
    private readonly experiment: { id: string; name: string },
    /** The result id of a running trial's task: the dashboard shows the node it runs on. */
    private readonly taskObjectId: (trialId: string) => string | undefined = () => undefined,
  ) {}

  start(view: RunnerView): void {
    this.inner.start(view);
    this.send(view, 'running');
  }

  update(view: RunnerView): void {
    this.inner.update(view);
    this.send(view, 'running');
  }

  trialFinished(view: RunnerView, trial: TrialRecord): void {
    this.inner.trialFinished(view, trial);
    this.send(view, 'running');
  }

  finish(view: RunnerView): void {
    this.inner.finish(view);
    this.send(view, view.wasInterrupted ? 'interrupted' : 'finished', true);
  }

  private send(view: RunnerView, status: 'running' | 'finished' | 'interrupted', always = false): void {
    const trials: TrialReport[] = [];
    for (const t of view.trials) {
      const report = trialReport(t, this.taskObjectId(t.id));
      const key = JSON.stringify(report);
      if (this.sent.get(t.id) === key) continue;
      this.sent.set(t.id, key);
      trials.push(report);
    }
    if (trials.length === 0 && !always) return;
    try {
      reportExperiment({
        ...this.experiment,
        ...(view.metric === undefined ? {} : { metric: view.metric }),
        ...(view.mode === undefined ? {} : { mode: view.mode }),
        path: view.experimentPath,
        status,
        trials,
      });
    } catch {
      // de2 was shut down under the experiment: the dashboard is gone with it.
    }
  }
}

function trialReport(t: TrialRecord, taskObjectId: string | undefined): TrialReport {
  const metrics: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t.lastResult ?? {})) {
    // Plain values only: a metric that is an object would not be charted anyway.
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') metrics[k] = v;
  }
  return {
    id: t.id,
    status: t.status,
    config: t.config,
    iteration: t.lastResult?.trainingIteration ?? 0,
    metrics,
    ...(t.error ? { error: `${t.error.name}: ${t.error.message}` } : {}),
    ...(taskObjectId === undefined ? {} : { taskObjectId }),
  };
}
