// A chaos run: a head and 3 workers, each in a network namespace of its own, run a Tune
// experiment of short trials with known metrics while faults are injected one after another
// in an order and at times drawn from a seed: workers killed (SIGKILL) and started again, one
// stalled (SIGSTOP past the heartbeat timeout, then SIGCONT), one cut off (iptables, both
// ways, past the heartbeat timeout, then healed), and the head killed and started again on its
// port. It checks that every trial ends TERMINATED once with its right metric, that fit()
// ends within a bound, and that no de2 process is left. `npm run chaos`; a short version runs
// in CI (tests/integration/chaos.test.ts).
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, shutdown } from '@de2/core';
import { Tuner, grid } from '@de2/tune';
import { createNetns, netnsUnavailable, type Netns } from '../../tests/helpers/netns.js';
import { startNode, type TestNode } from '../../tests/helpers/test-cluster.js';
import { De2Home } from '../../tests/helpers/de2-node.js';
import { waitForOutput } from '../../tests/helpers/node-output.js';

export type FaultKind = 'kill-worker' | 'stall-worker' | 'partition-worker' | 'restart-head';

export interface ChaosOptions {
  seed: number;
  /** Trials of the experiment. @default 60 */
  trials?: number;
  /** How long each trial works (long enough that the experiment outlasts the faults). @default 3000 */
  trialMs?: number;
  /** Workers killed and started again. @default 2 */
  kills?: number;
  /** fit() must end within this. @default 300000 */
  boundMs?: number;
  /** The head's heartbeat timeout. @default 4000 */
  heartbeatMs?: number;
  log?: (line: string) => void;
}

export interface FaultRecord {
  kind: FaultKind;
  target: string;
  /** ms from the start of fit() */
  at: number;
  /** How long the fault lasted (the process down, the link cut, the node stopped), ms. */
  lastedMs: number;
  /** What the cluster did, as seen from its logs. */
  outcome: string;
  ok: boolean;
}

export interface ChaosReport {
  seed: number;
  trials: number;
  netns: boolean;
  faults: FaultRecord[];
  fitMs: number;
  boundMs: number;
  terminated: number;
  rightMetric: number;
  errors: string[];
  processesLeft: number;
  ok: boolean;
}

/** mulberry32: the whole run follows from the seed. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function kill(node: TestNode, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (node.process.exitCode !== null || node.process.signalCode !== null) return;
  const exited = once(node.process, 'exit');
  node.process.kill(signal);
  await exited;
}

/** Pids of live processes whose environment names `home` (the run's private DE2_HOME). */
function processesOf(home: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'utf8');
      if (env.split('\0').includes(`DE2_HOME=${home}`)) pids.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? ((line: string) => console.log(line));
  const random = rng(o.seed);
  const trials = o.trials ?? 60;
  const trialMs = o.trialMs ?? 3000;
  const boundMs = o.boundMs ?? 300_000;
  const heartbeatMs = o.heartbeatMs ?? 4000;
  const useNetns = netnsUnavailable() === undefined && spawnSync('iptables', ['--version']).status === 0;
  const home = new De2Home();
  const netns: Netns | undefined = useNetns ? createNetns({ count: 4 }) : undefined;
  const host = (i: number) => netns?.addresses[i] ?? '127.0.0.1';
  const wrap = (i: number) => netns?.exec(i) ?? [];
  const headEnv = { ...home.env, DE2_HEARTBEAT_TIMEOUT_MS: String(heartbeatMs) };
  const all: TestNode[] = [];
  const results = mkdtempSync(join(tmpdir(), 'de2-chaos-'));
  const faults: FaultRecord[] = [];
  let head: TestNode | undefined;
  const workers: TestNode[] = [];
  let report: ChaosReport | undefined;
  try {
    const startHead = async (port: string): Promise<TestNode> => {
      const n = await startNode(
        headEnv,
        ['--head', '--port', port, '--host', host(0), '--num-cpus', '0', '--no-dashboard'],
        /de2 head started at (\S+)/,
        wrap(0),
      );
      all.push(n);
      return n;
    };
    head = await startHead('0');
    const address = /de2 head started at (\S+) /.exec(head.output())![1]!;
    const port = address.split(':')[1]!;
    const token = readFileSync(join(home.dir, 'token'), 'utf8').trim();
    const startWorker = async (i: number): Promise<TestNode> => {
      const n = await startNode(
        home.env,
        ['--address', address, '--token', token, '--host', host(i + 1), '--num-cpus', '2'],
        /joined the cluster/,
        wrap(i + 1),
      );
      all.push(n);
      workers[i] = n;
      return n;
    };
    for (let i = 0; i < 3; i++) await startWorker(i);
    log(
      `chaos seed ${o.seed}: head ${address} and 3 workers ${netns ? `in namespaces (${netns.addresses.join(', ')})` : 'on loopback (no namespaces: no partition)'}, ` +
        `${trials} trials of ${trialMs} ms, heartbeat timeout ${heartbeatMs} ms`,
    );

    await init({ address, token });
    const tuner = new Tuner(
      async (config: { x: number; ms: number }) => {
        const pause = new Int32Array(new SharedArrayBuffer(4));
        const end = Date.now() + config.ms;
        while (Date.now() < end) Atomics.wait(pause, 0, 0, 5);
        return { score: config.x * 3 + 1 };
      },
      {
        paramSpace: { x: grid(Array.from({ length: trials }, (_, i) => i)), ms: trialMs },
        tuneConfig: { metric: 'score', mode: 'max', maxConcurrentTrials: 6 },
        // A trial whose node dies is retried, as Ray Tune's FailureConfig(max_failures) does.
        runConfig: {
          name: `chaos-${o.seed}`,
          storagePath: results,
          progress: 'none',
          failureConfig: { maxFailures: 5 },
        },
      },
    );

    // The faults, in an order drawn from the seed; the head restarts once.
    const plan: FaultKind[] = [
      ...Array.from({ length: o.kills ?? 2 }, () => 'kill-worker' as const),
      'stall-worker',
      ...(netns ? (['partition-worker'] as const) : []),
      'restart-head',
    ];
    for (let i = plan.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [plan[i], plan[j]] = [plan[j]!, plan[i]!];
    }
    const started = Date.now();
    let fitDone = false;
    const fit = tuner.fit().finally(() => (fitDone = true));
    const inject = async (kind: FaultKind): Promise<FaultRecord> => {
      const at = Date.now() - started;
      const i = Math.floor(random() * 3);
      const w = workers[i]!;
      const printed = w.output().length;
      const t0 = Date.now();
      switch (kind) {
        case 'kill-worker': {
          await kill(w);
          await sleep(200 + random() * 800);
          const lastedMs = Date.now() - t0;
          await startWorker(i);
          return {
            kind,
            target: `worker ${i + 1}`,
            at,
            lastedMs,
            outcome: 'started again: joined as a new node',
            ok: true,
          };
        }
        case 'stall-worker':
        case 'partition-worker': {
          if (kind === 'stall-worker') w.process.kill('SIGSTOP');
          else {
            const ns = netns!.names[i + 1]!;
            spawnSync('ip', ['netns', 'exec', ns, 'iptables', '-A', 'INPUT', '-i', 'eth0', '-j', 'DROP']);
            spawnSync('ip', ['netns', 'exec', ns, 'iptables', '-A', 'OUTPUT', '-o', 'eth0', '-j', 'DROP']);
          }
          await sleep(heartbeatMs + 1000 + random() * 2000);
          if (kind === 'stall-worker') w.process.kill('SIGCONT');
          else spawnSync('ip', ['netns', 'exec', netns!.names[i + 1]!, 'iptables', '-F']);
          const lastedMs = Date.now() - t0;
          const dropped = await waitForOutput(
            w,
            /does not take node-\w+ back \(.*\); dropping (.*): nothing/,
            60_000,
            printed,
          ).catch(() => undefined);
          const rejoined = await waitForOutput(
            w,
            /rejoined the head at \S+ as (node-\w+)/,
            60_000,
            printed,
          ).catch(() => undefined);
          return {
            kind,
            target: `worker ${i + 1}`,
            at,
            lastedMs,
            outcome: rejoined
              ? `refused under its old id, back as a new node; dropped ${dropped?.[1] ?? '?'}`
              : 'did not come back as a new node',
            ok: rejoined !== undefined,
          };
        }
        case 'restart-head': {
          const old = head!;
          await kill(old);
          await sleep(200 + random() * 2000);
          head = await startHead(port);
          const lastedMs = Date.now() - t0;
          const expected = await waitForOutput(head, /restarting the head of (\d+) node/, 30_000).catch(
            () => undefined,
          );
          const recovered = await waitForOutput(
            head,
            /restart recovery over: (\d+) node\(s\) and driver\(s\) came back/,
            90_000,
          ).catch(() => undefined);
          return {
            kind,
            target: 'head',
            at,
            lastedMs,
            outcome: recovered
              ? `${recovered[1]} of ${expected?.[1] ?? '?'} members (3 workers, the driver) rejoined under their ids in ${Date.now() - t0} ms`
              : 'the members did not all come back',
            ok: recovered?.[1] === '4' && expected?.[1] === '4',
          };
        }
      }
    };
    for (const kind of plan) {
      if (fitDone) break;
      await sleep(300 + random() * 1500);
      if (fitDone) break;
      const record = await inject(kind);
      faults.push(record);
      log(
        `  +${(record.at / 1000).toFixed(1)} s ${record.kind} (${record.target}, ${record.lastedMs} ms): ${record.outcome}`,
      );
    }
    const bound = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), boundMs).unref());
    const outcome = await Promise.race([fit, bound]);
    const fitMs = Date.now() - started;
    const errors: string[] = [];
    let terminated = 0;
    let rightMetric = 0;
    if (outcome === 'timeout') errors.push(`fit() did not end within ${boundMs} ms`);
    else {
      const seen = new Set<number>();
      for (const r of outcome) {
        const x = (r.config as { x: number }).x;
        if (seen.has(x)) errors.push(`trial x=${x} appears twice`);
        seen.add(x);
        if (r.status === 'TERMINATED') terminated++;
        else errors.push(`trial x=${x} ended ${r.status}: ${r.error?.message ?? ''}`);
        if (r.metrics?.score === x * 3 + 1) rightMetric++;
        else errors.push(`trial x=${x} reported ${JSON.stringify(r.metrics?.score)}, not ${x * 3 + 1}`);
      }
      if (seen.size !== trials) errors.push(`${seen.size} trials, not ${trials}`);
    }
    if (faults.length < plan.length)
      errors.push(`the experiment ended after ${faults.length} of ${plan.length} faults`);
    report = {
      seed: o.seed,
      trials,
      netns: netns !== undefined,
      faults,
      fitMs,
      boundMs,
      terminated,
      rightMetric,
      errors,
      processesLeft: 0,
      ok: false,
    };
  } finally {
    await shutdown().catch(() => {});
    for (const n of all) {
      if (n.process.signalCode === null && n.process.exitCode === null) n.process.kill('SIGCONT');
      await kill(n);
    }
    netns?.cleanup();
    rmSync(results, { recursive: true, force: true });
  }
  const left = processesOf(home.dir);
  await home.cleanup();
  report.processesLeft = left.length;
  if (left.length > 0) report.errors.push(`de2 processes left behind: ${left.join(', ')}`);
  report.ok = report.errors.length === 0 && report.faults.every((f) => f.ok);
  return report;
}

/** The run as a markdown table: one row per fault, then the experiment's outcome. */
export function chaosTable(r: ChaosReport): string {
  const lines = [
    `Seed ${r.seed}: ${r.trials} trials, ${r.netns ? 'namespaces' : 'loopback'}; fit() took ${(r.fitMs / 1000).toFixed(1)} s (bound ${r.boundMs / 1000} s); ` +
      `${r.terminated}/${r.trials} TERMINATED, ${r.rightMetric}/${r.trials} with the right metric; de2 processes left: ${r.processesLeft}; ${r.ok ? 'OK' : 'FAILED'}`,
    '',
    '| at | fault | target | lasted | outcome |',
    '|---|---|---|---|---|',
    ...r.faults.map(
      (f) =>
        `| +${(f.at / 1000).toFixed(1)} s | ${f.kind} | ${f.target} | ${(f.lastedMs / 1000).toFixed(1)} s | ${f.ok ? '' : 'FAILED: '}${f.outcome} |`,
    ),
    ...r.errors.map((e) => `\n- ${e}`),
  ];
  return lines.join('\n');
}
