import type { TrialRecord } from '../trial.js';

/** Nested objects become dotted keys (`model.depth`), as in Ray's results table. */
export function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      Object.getPrototypeOf(v) === Object.prototype
    ) {
      Object.assign(out, flatten(v as Record<string, unknown>, key));
    } else out[key] = v;
  }
  return out;
}

function cell(value: unknown): string {
  if (value === undefined) return '';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const SKIPPED = new Set(['trialId', 'done', 'timestamp', 'timeThisIterS']);

/** One row per trial: id, status, config columns, then the last result's metrics. */
export function resultsCsv(trials: readonly TrialRecord[]): string {
  const configKeys = new Set<string>();
  const metricKeys = new Set<string>();
  const rows = trials.map((t) => {
    const config = flatten(t.config);
    const metrics = flatten((t.lastResult ?? {}) as Record<string, unknown>);
    for (const k of Object.keys(config)) configKeys.add(k);
    for (const k of Object.keys(metrics)) if (!SKIPPED.has(k)) metricKeys.add(k);
    return { t, config, metrics };
  });
  const header = ['trialId', 'status', 'stoppedEarly', 'numFailures', 'error'];
  const lines = [
    [...header, ...[...configKeys].map((k) => `config.${k}`), ...metricKeys].map(cell).join(','),
  ];
  for (const { t, config, metrics } of rows) {
    lines.push(
      [
        t.id,
        t.status,
        t.stoppedEarly,
        t.numFailures,
        t.error ? `${t.error.name}: ${t.error.message}` : undefined,
        ...[...configKeys].map((k) => config[k]),
        ...[...metricKeys].map((k) => metrics[k]),
      ]
        .map(cell)
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}
