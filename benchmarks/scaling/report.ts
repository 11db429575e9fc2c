// Speedup and efficiency per node count, written as JSON, a markdown table and an SVG chart.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lineChart } from './svg.js';

export interface Measurement {
  nodes: number;
  cpus: number;
  seconds: number;
  /** Sum of the trials' own times over the wall time: trials running at once, on average. */
  parallelism?: number;
}

export interface ScalingRun {
  /** Also the results' file name: scaling-<mode>.* (local-pinned: --pin-cpus). */
  mode: 'local' | 'local-pinned' | 'netns' | 'netns-pinned' | 'cluster';
  date: string;
  machine: string;
  command: string;
  /** --pin-cpus: which cores each node (and the driver) ran on. */
  pinned?: string;
  /** --netns: how the nodes' links were shaped. */
  network?: string;
  /** --netns: moving the binned training set to each node as it joined. */
  transfers?: Transfer[];
  trials: number;
  trees: number;
  trainRows: number;
  cpusPerNode: number;
  de2: Measurement[];
  /** The same trials in one Piscina pool with one node's CPUs, no de2 (mean of `runs`). */
  piscina: (Measurement & { runs?: number[] }) | undefined;
  /** Local runs: one Piscina pool with the CPUs of 2..N nodes, this machine's own ceiling. */
  piscinaThreads: Measurement[];
}

export interface Transfer {
  node: number;
  bytes: number;
  seconds: number;
}

export interface Row extends Measurement {
  speedup: number | undefined;
  efficiency: number | undefined;
}

/** Speedup against the 1-node time (when measured), efficiency = speedup / nodes. */
export function rows(run: ScalingRun): Row[] {
  const one = run.de2.find((m) => m.nodes === 1)?.seconds;
  return [...run.de2]
    .sort((x, y) => x.nodes - y.nodes)
    .map((m) => {
      const speedup = one === undefined ? undefined : one / m.seconds;
      return { ...m, speedup, efficiency: speedup === undefined ? undefined : speedup / m.nodes };
    });
}

/** A cluster run adds to the file of earlier ones (one entry per node count, the newest kept). */
function merge(file: string, run: ScalingRun): ScalingRun {
  if (run.mode !== 'cluster' || !existsSync(file)) return run;
  const old = JSON.parse(readFileSync(file, 'utf8')) as ScalingRun;
  // Only the same grid on nodes of the same size compares.
  if (old.trees !== run.trees || old.trainRows !== run.trainRows || old.cpusPerNode !== run.cpusPerNode)
    return run;
  const byNodes = new Map(old.de2.map((m) => [m.nodes, m]));
  for (const m of run.de2) byNodes.set(m.nodes, m);
  return { ...run, de2: [...byNodes.values()] };
}

const f = (x: number | undefined, digits = 2) => (x === undefined ? '' : x.toFixed(digits));

export function markdown(run: ScalingRun): string {
  const lines = [
    `${run.trials} trials x ${run.trees} trees (maxDepth null) on ${run.trainRows} training rows; ${run.cpusPerNode} CPU(s) per node. ` +
      '"Trials at once": the sum of the trials\' own times over the wall time.',
    `Machine: ${run.machine}. Command: \`${run.command}\`.` +
      (run.pinned ? ` CPU pinning: ${run.pinned}.` : '') +
      (run.network ? ` Each node in a network namespace of its own; links: ${run.network}.` : ''),
    '',
    '| setup | nodes | CPUs | wall time | speedup vs 1 node | efficiency | trials at once |',
    '|---|---|---|---|---|---|---|',
    ...rows(run).map(
      (r) =>
        `| de2 Tune | ${r.nodes} | ${r.cpus} | ${f(r.seconds)} s | ${f(r.speedup)}x | ` +
        `${f(r.efficiency && r.efficiency * 100, 0)}% | ${f(r.parallelism)} |`,
    ),
  ];
  for (const t of run.transfers ?? [])
    lines.push(
      `| moving the binned training set (${f(t.bytes / 2 ** 20)} MiB) to node ${t.node} | | | ${f(t.seconds * 1000, 0)} ms | | | |`,
    );
  const p = run.piscina;
  const one = run.de2.find((m) => m.nodes === 1);
  if (p) {
    const runs = p.runs ? ` (mean of ${p.runs.map((x) => `${f(x)} s`).join(' before and ')} after)` : '';
    lines.push(`| plain Piscina (no de2) | 1 | ${p.cpus} | ${f(p.seconds)} s${runs} | | | |`);
    for (const t of run.piscinaThreads ?? []) {
      const speedup = p.seconds / t.seconds;
      lines.push(
        `| plain Piscina, ${t.cpus} threads | 1 | ${t.cpus} | ${f(t.seconds)} s | ${f(speedup)}x (vs 1 thread) | | |`,
      );
    }
    if (one)
      lines.push(
        '',
        `de2 on 1 node / Piscina on the same CPUs: ${f(one.seconds / p.seconds)}x (the framework's overhead).`,
      );
  }
  return lines.join('\n') + '\n';
}

export function chart(run: ScalingRun): string {
  const measured = rows(run).filter((r) => r.speedup !== undefined);
  const maxNodes = Math.max(1, ...measured.map((r) => r.nodes));
  return lineChart(
    `Speedup of ${run.trials} trials, ${run.cpusPerNode} CPU(s) per node`,
    'nodes',
    'speedup vs 1 node',
    [
      {
        label: 'ideal',
        color: '#888888',
        dashed: true,
        points: Array.from({ length: maxNodes }, (_v, i) => ({ x: i + 1, y: i + 1 })),
      },
      { label: 'de2 Tune', color: '#1f6feb', points: measured.map((r) => ({ x: r.nodes, y: r.speedup! })) },
    ],
  );
}

/** Writes scaling-<mode>.json/.md/.svg into dir; returns the table and the paths. */
export function writeResults(dir: string, fresh: ScalingRun): { table: string; paths: string[] } {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `scaling-${fresh.mode}`);
  const run = merge(`${base}.json`, fresh);
  const table = markdown(run);
  writeFileSync(`${base}.json`, JSON.stringify({ ...run, rows: rows(run) }, null, 2) + '\n');
  writeFileSync(`${base}.md`, table);
  writeFileSync(`${base}.svg`, chart(run));
  return { table, paths: [`${base}.json`, `${base}.md`, `${base}.svg`] };
}
