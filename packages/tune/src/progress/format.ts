import { flatten } from '../storage/csv.js';
import { TrialStatus, type TrialRecord } from '../trial.js';

/** What a progress reporter can see of the running experiment. */
export interface RunnerView {
  readonly trials: readonly TrialRecord[];
  readonly metric: string | undefined;
  readonly mode: 'min' | 'max' | undefined;
  readonly experimentPath: string;
  readonly wasInterrupted: boolean;
  resourcesInUse(): { numCpus: number; memory: number };
  capacity(): { numCpus: number; memory: number } | undefined;
}

/** Fields Tune adds to every result, left out of metric columns. */
export const AUTO_FIELDS = new Set([
  'trainingIteration',
  'timeTotalS',
  'timeThisIterS',
  'timestamp',
  'trialId',
  'done',
]);

export function formatValue(v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)
      ? v.toExponential(3)
      : String(Number(v.toPrecision(5)));
  }
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h ${m}m ${s % 60}s` : `${m}min ${s % 60}s`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toFixed(1))} ${units[i]}`;
}

export function statusCounts(trials: readonly TrialRecord[]): string {
  const counts = new Map<string, number>();
  for (const t of trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const order = [TrialStatus.RUNNING, TrialStatus.PENDING, TrialStatus.TERMINATED, TrialStatus.ERROR];
  return order
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(' | ');
}

export function bestTrial(view: RunnerView): { trial: TrialRecord; value: number } | undefined {
  const { metric, mode } = view;
  if (!metric || !mode) return undefined;
  let best: { trial: TrialRecord; value: number } | undefined;
  for (const t of view.trials) {
    const v = t.lastResult?.[metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (!best || (mode === 'max' ? v > best.value : v < best.value)) best = { trial: t, value: v };
  }
  return best;
}

export function configText(config: Record<string, unknown>): string {
  return JSON.stringify(config);
}

export function resourcesText(view: RunnerView): string {
  const used = view.resourcesInUse();
  const cap = view.capacity();
  let text = `${used.numCpus}${cap ? `/${cap.numCpus}` : ''} CPUs`;
  if (used.memory > 0)
    text += `, ${formatBytes(used.memory)}${cap && cap.memory > 0 ? `/${formatBytes(cap.memory)}` : ''} memory`;
  return text;
}

/** The metric columns: the experiment's metric first, then other numbers trials reported. */
export function metricColumns(view: RunnerView, max = 4): string[] {
  const cols: string[] = view.metric ? [view.metric] : [];
  for (const t of view.trials) {
    for (const [k, v] of Object.entries(t.lastResult ?? {})) {
      if (cols.length >= max) return cols;
      if (!AUTO_FIELDS.has(k) && typeof v === 'number' && !cols.includes(k)) cols.push(k);
    }
  }
  return cols;
}

/** A box table (Ray's style): header, rule, rows; columns padded to fit. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '│ ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ') + ' │';
  const rule = (l: string, r: string) => l + '─'.repeat(widths.reduce((a, b) => a + b + 2, 0)) + r;
  return [rule('╭', '╮'), line(header), rule('├', '┤'), ...rows.map(line), rule('╰', '╯')];
}

export function trialRow(t: TrialRecord, configKeys: string[], metrics: string[]): string[] {
  const flat = flatten(t.config);
  const r = t.lastResult;
  const status = t.status === TrialStatus.TERMINATED && t.stoppedEarly ? 'TERMINATED (stopped)' : t.status;
  return [
    t.dirName,
    status,
    ...configKeys.map((k) => formatValue(flat[k])),
    r ? String(r.trainingIteration) : '',
    r ? formatValue(Number(r.timeTotalS.toFixed(2))) : '',
    ...metrics.map((m) => formatValue(r?.[m])),
  ];
}
