// Child processes of bench:ray, each in a process group of its own, so that everything a
// side starts (Ray's GCS, raylets and workers; de2's nodes) is measured and stopped: the
// group's processes and their descendants (Ray's workers, children of a raylet, leave the
// group), peak RSS summed over them, CPU time per process.
import { spawn, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const PAGE = 4096;
const TICKS = 100; // USER_HZ on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** Start time since boot, in ticks: tells a process from a later one with the same pid. */
  start: number;
  name: string;
  rssBytes: number;
  cpuSeconds: number;
}

/** pid, process group, RSS and CPU time (user + system) from /proc/<pid>/stat. */
function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  const close = text.lastIndexOf(')');
  const name = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' '); // f[0] is field 3 (state)
  return {
    pid,
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    start: Number(f[19]),
    name,
    rssBytes: Number(f[21]) * PAGE,
    cpuSeconds: (Number(f[11]) + Number(f[12])) / TICKS,
  };
}

/** Processes of the groups, and every descendant of theirs whatever its group. */
function groupMembers(pgids: ReadonlySet<number>): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) all.push(s);
  }
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const out = all.filter((s) => pgids.has(s.pgid));
  const seen = new Set(out.map((s) => s.pid));
  for (let i = 0; i < out.length; i++) {
    for (const c of children.get(out[i]!.pid) ?? []) {
      if (!seen.has(c.pid)) {
        seen.add(c.pid);
        out.push(c);
      }
    }
  }
  return out;
}

/** Proportional set size (shared pages divided among the processes that map them), in bytes. */
function readPss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples the process groups every `ms`: peak of the summed RSS (what the issue asks for;
 * a page shared by several processes counts in each) and of the summed PSS (each shared page
 * counted once in all), last CPU time of each process.
 */
export class GroupSampler {
  readonly pgids = new Set<number>();
  peakRssBytes = 0;
  peakPssBytes = 0;
  peakProcesses = 0;
  private readonly cpu = new Map<number, { name: string; seconds: number; start: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(ms = 200) {
    this.timer = setInterval(() => this.sample(), ms);
  }

  sample(): void {
    if (this.pgids.size === 0) return;
    const members = groupMembers(this.pgids);
    const rss = members.reduce((s, m) => s + m.rssBytes, 0);
    if (rss > this.peakRssBytes) this.peakRssBytes = rss;
    const pss = members.reduce((s, m) => s + readPss(m.pid), 0);
    if (pss > this.peakPssBytes) this.peakPssBytes = pss;
    this.peakProcesses = Math.max(this.peakProcesses, members.length);
    for (const m of members) this.cpu.set(m.pid, { name: m.name, seconds: m.cpuSeconds, start: m.start });
  }

  /** CPU seconds of every process seen, summed by process name (a worker's title, raylet, node, ...). */
  cpuByName(): Record<string, number> {
    const by: Record<string, number> = {};
    for (const { name, seconds } of this.cpu.values()) by[name] = (by[name] ?? 0) + seconds;
    return by;
  }

  cpuSeconds(): number {
    let s = 0;
    for (const { seconds } of this.cpu.values()) s += seconds;
    return s;
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  /** SIGKILLs every process seen that is still the same process (pid and start time). */
  killSeen(): void {
    for (const [pid, { start }] of this.cpu) {
      if (readStat(pid)?.start !== start) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** Every process group this benchmark started and has not stopped yet (for Ctrl-C and errors). */
export const liveGroups = new Set<number>();

/** SIGKILLs the group's remaining processes (only this group: the id it was started with). */
export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
  liveGroups.delete(pgid);
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  peakRssBytes: number;
  peakPssBytes: number;
  peakProcesses: number;
  cpuSeconds: number;
  cpuByName: Record<string, number>;
}

export interface RunOptions extends Pick<SpawnOptions, 'env' | 'cwd'> {
  /** Kill the group once the leader exits (anything it left behind). @default true */
  killAfter?: boolean;
  /** Prefix for the child's stderr lines echoed here; undefined: not echoed. */
  echo?: string;
}

/** Runs a command in a new process group and measures the group while it runs. */
export async function runMeasured(cmd: string, args: string[], o: RunOptions = {}): Promise<ChildResult> {
  const sampler = new GroupSampler();
  const t0 = performance.now();
  const child = spawn(cmd, args, { ...o, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pgid = child.pid!;
  sampler.pgids.add(pgid);
  liveGroups.add(pgid);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (o.echo !== undefined)
      for (const line of c.toString().split('\n')) if (line) console.error(`${o.echo}${line}`);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  sampler.stop();
  if (o.killAfter !== false) {
    killGroup(pgid);
    sampler.killSeen(); // descendants outside the group (Ray's workers)
  }
  return {
    code,
    stdout,
    stderr,
    wallSeconds,
    peakRssBytes: sampler.peakRssBytes,
    peakPssBytes: sampler.peakPssBytes,
    peakProcesses: sampler.peakProcesses,
    cpuSeconds: sampler.cpuSeconds(),
    cpuByName: sampler.cpuByName(),
  };
}

/** The last line of the child's stdout that is a JSON object. */
export function lastJson<T>(r: ChildResult, what: string): T {
  const line = r.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.code !== 0 || line === undefined) {
    throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`);
  }
  return JSON.parse(line) as T;
}
