/** One trial as Tune reports it to the head (see `reportExperiment`). */
export interface TrialReport {
  id: string;
  /** Tune's status: PENDING, RUNNING, TERMINATED or ERROR. */
  status: string;
  config: Record<string, unknown>;
  /** Training iteration of the last result (0 before the first). */
  iteration: number;
  /** The last result's metrics. */
  metrics: Record<string, unknown>;
  /** `Name: message` of the error a failed trial ended with. */
  error?: string;
  /** The id of the running attempt's task result: the dashboard finds the trial's node by it. */
  taskObjectId?: string;
}

/** A Tune experiment's progress: the trials that changed since the last report. */
export interface ExperimentReport {
  id: string;
  name: string;
  metric?: string;
  mode?: 'min' | 'max';
  /** Where its results are stored (on the driver's machine). */
  path?: string;
  status: 'running' | 'finished' | 'interrupted';
  trials: TrialReport[];
}

export interface MetricPoint {
  iteration: number;
  value: number;
}

export interface TrialState extends TrialReport {
  /** The node its last attempt ran on, as far as the head saw it. */
  nodeId?: string;
  /** The metric at each reported iteration (a retried trial's history restarts at its checkpoint). */
  points: MetricPoint[];
}

/** An experiment as the dashboard shows it. */
export interface ExperimentState {
  id: string;
  name: string;
  metric?: string;
  mode?: 'min' | 'max';
  path?: string;
  status: string;
  updatedAt: number;
  trials: TrialState[];
  /** The best metric value so far after each report that had one, in the order they came. */
  best: { report: number; value: number; trialId: string }[];
}

const MAX_EXPERIMENTS = 50;
const MAX_TRIALS = 10_000;
const MAX_POINTS = 10_000;
const MAX_BEST_POINTS = 100_000;

/** A report that is not what Tune sends: it is dropped, the head goes on. */
export class BadReportError extends Error {
  override name = 'BadReportError';
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadReportError(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new BadReportError(`${what} must be a string`);
  return value.slice(0, 10_000);
}

function parseTrial(value: unknown): TrialReport {
  const t = record(value, 'a trial');
  const iteration = Number(t.iteration ?? 0);
  if (!Number.isFinite(iteration)) throw new BadReportError('trial.iteration must be a number');
  return {
    id: text(t.id, 'trial.id'),
    status: text(t.status, 'trial.status'),
    config: record(t.config ?? {}, 'trial.config'),
    iteration,
    metrics: record(t.metrics ?? {}, 'trial.metrics'),
    ...(t.error === undefined ? {} : { error: text(t.error, 'trial.error') }),
    ...(t.taskObjectId === undefined ? {} : { taskObjectId: text(t.taskObjectId, 'trial.taskObjectId') }),
  };
}

/** Checks a report's JSON; throws BadReportError saying what is wrong. */
export function parseExperimentReport(json: string): ExperimentReport {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new BadReportError('an experiment report must be JSON');
  }
  const r = record(raw, 'an experiment report');
  if (!Array.isArray(r.trials)) throw new BadReportError('report.trials must be an array');
  const status = text(r.status, 'report.status');
  if (status !== 'running' && status !== 'finished' && status !== 'interrupted')
    throw new BadReportError(`report.status must be running, finished or interrupted, got ${status}`);
  if (r.mode !== undefined && r.mode !== 'min' && r.mode !== 'max')
    throw new BadReportError('report.mode must be min or max');
  return {
    id: text(r.id, 'report.id'),
    name: text(r.name, 'report.name'),
    ...(r.metric === undefined ? {} : { metric: text(r.metric, 'report.metric') }),
    ...(r.mode === undefined ? {} : { mode: r.mode }),
    ...(r.path === undefined ? {} : { path: text(r.path, 'report.path') }),
    status,
    trials: r.trials.map(parseTrial),
  };
}

interface Experiment extends Omit<ExperimentState, 'trials'> {
  trials: Map<string, TrialState>;
  reports: number;
}

/** The experiments Tune reported to this head, with each trial's metric history. */
export class ExperimentBoard {
  private readonly experiments = new Map<string, Experiment>();

  /** Applies one report (throws BadReportError if it is malformed). */
  apply(json: string): void {
    const report = parseExperimentReport(json);
    let e = this.experiments.get(report.id);
    if (!e) {
      if (this.experiments.size >= MAX_EXPERIMENTS) {
        const oldest = [...this.experiments.values()].sort((a, b) => a.updatedAt - b.updatedAt)[0]!;
        this.experiments.delete(oldest.id);
      }
      e = {
        id: report.id,
        name: report.name,
        status: report.status,
        updatedAt: 0,
        trials: new Map(),
        best: [],
        reports: 0,
      };
      this.experiments.set(report.id, e);
    }
    Object.assign(e, {
      name: report.name,
      status: report.status,
      updatedAt: Date.now(),
      ...(report.metric === undefined ? {} : { metric: report.metric }),
      ...(report.mode === undefined ? {} : { mode: report.mode }),
      ...(report.path === undefined ? {} : { path: report.path }),
    });
    for (const t of report.trials) this.applyTrial(e, t);
  }

  private applyTrial(e: Experiment, t: TrialReport): void {
    let trial = e.trials.get(t.id);
    if (!trial) {
      if (e.trials.size >= MAX_TRIALS) return;
      trial = { ...t, points: [] };
      e.trials.set(t.id, trial);
    }
    const last = trial.points.at(-1);
    Object.assign(trial, t);
    const value = e.metric === undefined ? undefined : t.metrics[e.metric];
    if (typeof value !== 'number' || !Number.isFinite(value) || t.iteration < 1) return;
    if (last && t.iteration === last.iteration) return; // the same result again (a status change)
    // A retried trial reports again from its last checkpoint: its later points are replaced.
    if (last && t.iteration < last.iteration)
      trial.points = trial.points.filter((p) => p.iteration < t.iteration);
    if (trial.points.length >= MAX_POINTS) return;
    trial.points.push({ iteration: t.iteration, value });
    e.reports++;
    if (e.best.length >= MAX_BEST_POINTS) return;
    const best = e.best.at(-1);
    const better = !best || (e.mode === 'min' ? value < best.value : value > best.value);
    if (better) e.best.push({ report: e.reports, value, trialId: t.id });
    else e.best.push({ ...best, report: e.reports });
  }

  /** Records the node of each trial whose task `nodeOf` can place (a running one). */
  locate(nodeOf: (objectId: string) => string | undefined): void {
    for (const e of this.experiments.values()) {
      for (const t of e.trials.values()) {
        const nodeId = t.taskObjectId === undefined ? undefined : nodeOf(t.taskObjectId);
        if (nodeId !== undefined) t.nodeId = nodeId;
      }
    }
  }

  list(): ExperimentState[] {
    return [...this.experiments.values()]
      .sort((a, b) => b.updatedAt - a.updatedAt)
      .map(({ trials, reports: _reports, ...rest }) => ({ ...rest, trials: [...trials.values()] }));
  }
}
