/**
 * `npm run bench:envelope`: Ray's single-node scalability envelope, in de2, on this machine,
 * beside Ray's published figures. Each case runs in a fresh process (benchmarks/envelope/cases.ts);
 * this parent samples the resident memory of every de2 process every 100 ms.
 *
 *   npm run bench:envelope                                  every case, embedded init({ numCpus: 2 })
 *   npm run bench:envelope -- --cases queued --tasks 200000 one case, fewer tasks
 *   npm run bench:envelope -- --cases queued --cluster      also on a head (0 CPUs) + 1 node (2 CPUs)
 *                                                           + a driver: memory per side
 *   npm run bench:envelope -- --cases queued --cluster-only  only the cluster run
 *   npm run bench:envelope -- --largest put                 the largest array through put (2 copies: 8 GiB)
 *   npm run bench:envelope -- --tsx                         run the cases under tsx, as a TypeScript user would
 *
 * The cases run as JavaScript (cases.ts with its types stripped by esbuild, the compiler
 * tsx uses) unless --tsx: tsx's loader threads add about 60 MiB to a process, which is
 * tooling, not de2.
 *
 * Writes benchmarks/results/envelope.{md,json} (--out DIR to change).
 */
import { transformSync } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startTestCluster } from '../tests/helpers/test-cluster.js';

const root = path.resolve(import.meta.dirname, '..');
const CASES = ['args', 'returns', 'get', 'queued', 'largest'] as const;
const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: CASES.join(',') },
    tasks: { type: 'string', default: '1000000' },
    largest: { type: 'string', default: 'create' },
    cluster: { type: 'boolean', default: false },
    'cluster-only': { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'benchmarks/results') },
  },
});

/**
 * Ray's figures: release/benchmarks/README.md (the envelope) and the times of the same test
 * in release/perf_metrics/scalability/single_node.json (one m4.16xlarge: 64 vCPUs, 256 GiB).
 */
const RAY: Record<(typeof CASES)[number], { envelope: string; seconds: number; what: string }> = {
  args: { envelope: '10000+', seconds: 17.22, what: '10,000 object arguments to one task' },
  returns: { envelope: '3000+', seconds: 5.72, what: '3,000 returns from one task' },
  get: { envelope: '10000+', seconds: 23.49, what: '10,000 objects in one get' },
  queued: { envelope: '1,000,000+', seconds: 184.38, what: '1,000,000 tasks queued on one node' },
  largest: { envelope: '100GiB+', seconds: 29.68, what: 'largest object put and got (100 GiB numpy int8)' },
};

const rssOf = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};

/** Peak RSS of each watched process, of them all together, and their RSS at each mark. */
class Sampler {
  readonly peak = new Map<number, number>();
  peakSum = 0;
  readonly atMark: Record<string, Record<number, number>> = {};
  private readonly timer = setInterval(() => this.sample(), 100);
  constructor(readonly pids: number[]) {}
  sample(): Record<number, number> {
    const now: Record<number, number> = {};
    let sum = 0;
    for (const pid of this.pids) {
      const r = rssOf(pid);
      now[pid] = r;
      sum += r;
      this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, r));
    }
    this.peakSum = Math.max(this.peakSum, sum);
    return now;
  }
  mark(name: string): void {
    this.atMark[name] = this.sample();
  }
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

interface CaseOut {
  seconds: Record<string, number>;
  counts: Record<string, number>;
}

/** How a case's process starts: cases.ts under tsx, or as JavaScript next to the repo's node_modules. */
function caseCommand(): string[] {
  const source = path.join(root, 'benchmarks/envelope/cases.ts');
  if (values.tsx) return ['--import', 'tsx', source];
  const out = path.join(root, 'node_modules/.cache/de2-bench/cases.mjs');
  mkdirSync(path.dirname(out), { recursive: true });
  const { code } = transformSync(readFileSync(source, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: 'node20',
  });
  writeFileSync(out, code);
  return [out];
}
const caseScript = caseCommand();

/** Runs one case in a fresh process; `watch` are other processes of the cluster it joins. */
async function runCase(name: string, extra: string[], watch: number[] = []) {
  const args = [...caseScript, '--case', name, ...extra];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const sampler = new Sampler([child.pid!, ...watch]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
    for (const m of c.toString().matchAll(/^mark (\w+)$/gm)) sampler.mark(m[1]!);
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  sampler.stop();
  const line = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`case ${name} failed (exit ${code}):\n${stderr.slice(-3000)}`);
  return { out: JSON.parse(line) as CaseOut, sampler, driverPid: child.pid! };
}

const MiB = 2 ** 20;
const mib = (b: number) => `${Math.round(b / MiB).toLocaleString('en-US')} MiB`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
const rows: string[] = [];
const raw: Record<string, unknown> = {};
const notes: string[] = [
  `load average at the start: ${load()}`,
  values.tsx
    ? 'cases ran under tsx (its loader threads: about 60 MiB more RSS in the case process)'
    : 'cases ran as JavaScript (cases.ts with its types stripped by esbuild; --tsx to run them under tsx)',
];
const cases = values.cases.split(',') as (typeof CASES)[number][];
for (const c of cases)
  if (!CASES.includes(c)) throw new RangeError(`--cases: unknown case ${c} (${CASES.join(', ')})`);

for (const c of values['cluster-only'] ? [] : cases) {
  const extra =
    c === 'queued' ? ['--tasks', values.tasks] : c === 'largest' ? ['--largest', values.largest] : [];
  console.error(`${c}: running (load ${load()})`);
  const { out, sampler, driverPid } = await runCase(c, extra);
  const seconds = out.seconds.total!;
  let what = RAY[c].what;
  if (c === 'queued')
    what = `${Number(values.tasks).toLocaleString('en-US')} no-op tasks submitted at once, then got`;
  if (c === 'largest')
    what = `a ${mib(out.counts.bytes!)} Uint8Array (2^32 elements, V8's limit), ${values.largest === 'put' ? 'put' : 'createObject + fill + seal'}, got, read by a task`;
  const detail = Object.entries(out.seconds)
    .map(([k, v]) => `${k} ${v.toFixed(2)} s`)
    .join(', ');
  rows.push(
    `| ${c} | ${what} | ${seconds.toFixed(2)} | ${mib(sampler.peakSum)} | ${RAY[c].seconds} | ${RAY[c].envelope} | ${detail} |`,
  );
  raw[c] = {
    ...out,
    peakRssBytes: sampler.peakSum,
    rssAtMarks: sampler.atMark[driverPid] ?? {},
    marks: sampler.atMark,
  };
  if (c === 'queued') {
    const ready = sampler.atMark.ready?.[driverPid] ?? 0;
    const submitted = sampler.atMark.submitted?.[driverPid] ?? 0;
    const n = out.counts.tasks!;
    notes.push(
      `queued, embedded (driver, head and node in one process): RSS ${mib(ready)} before submitting, ` +
        `${mib(submitted)} after submitting (${Math.round((submitted - ready) / n)} bytes a queued task), ` +
        `peak ${mib(sampler.peakSum)} (${Math.round((sampler.peakSum - ready) / n)} bytes a task at the peak)`,
    );
  }
}

if ((values.cluster || values['cluster-only']) && cases.includes('queued')) {
  console.error(`queued on a cluster: head (0 CPUs) + 1 node (2 CPUs) + driver (load ${load()})`);
  const cluster = await startTestCluster({ workers: 1, headCpus: 0, workerCpus: 2 });
  try {
    const head = cluster.head.process.pid!;
    const node = cluster.workers[0]!.process.pid!;
    const { out, sampler, driverPid } = await runCase(
      'queued',
      ['--tasks', values.tasks, '--address', cluster.address, '--token', cluster.token],
      [head, node],
    );
    const n = out.counts.tasks!;
    const side = (label: string, pid: number) => {
      const ready = sampler.atMark.ready?.[pid] ?? 0;
      const submitted = sampler.atMark.submitted?.[pid] ?? 0;
      const peak = sampler.peak.get(pid) ?? 0;
      return (
        `| ${label} | ${mib(ready)} | ${mib(submitted)} | ${mib(peak)} | ` +
        `${Math.round((submitted - ready) / n)} | ${Math.round((peak - ready) / n)} |`
      );
    };
    raw.queuedCluster = {
      ...out,
      marks: sampler.atMark,
      peak: Object.fromEntries(sampler.peak),
      pids: { head, node, driver: driverPid },
    };
    notes.push(
      `queued on a cluster: ${out.seconds.total!.toFixed(1)} s (submit ${out.seconds.submit!.toFixed(1)} s), ` +
        `peak of all de2 processes together ${mib(sampler.peakSum)}. Per process:\n\n` +
        '| process | RSS ready | RSS after submitting | peak RSS | bytes a queued task | bytes a task at the peak |\n' +
        '|---|---:|---:|---:|---:|---:|\n' +
        [
          side('driver (its own node, 0 CPUs)', driverPid),
          side('head (0 CPUs)', head),
          side('node (2 CPUs)', node),
        ].join('\n'),
    );
  } catch (error) {
    // Reported, not thrown: the embedded figures above stand on their own.
    const tail = (t: string) => t.trim().split('\n').slice(-8).join(' / ');
    notes.push(
      `queued on a cluster FAILED: ${(error as Error).message.split('\n').find((l) => /Error/.test(l)) ?? error}; ` +
        `head's last output: ${tail(cluster.head.output())}; node's: ${tail(cluster.workers[0]!.output())}`,
    );
    console.error(notes.at(-1));
  } finally {
    await cluster.teardown();
  }
}

notes.push(`load average at the end: ${load()}`);
const md = [
  `de2's single-node envelope on this machine (${os.cpus().length} x ${os.cpus()[0]?.model.trim()}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}), ${new Date().toISOString().slice(0, 16)} UTC, ` +
    `command: npm run bench:envelope${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
  '',
  "| case | what de2 ran | de2 here, s | peak RSS, all de2 processes | Ray's published time, s (64 vCPUs) | Ray's envelope | de2 steps |",
  '|---|---|---:|---:|---:|---:|---|',
  ...rows,
  '',
  ...notes.map((n) => `- ${n}`),
  '',
].join('\n');
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, 'envelope.md'), md);
writeFileSync(path.join(values.out, 'envelope.json'), JSON.stringify({ raw, notes }, null, 2));
console.log(md);
