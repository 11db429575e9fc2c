// The DE2 assignment's question: how much faster does one fixed grid (24 equal trials) run on
// 1, 2, ... N nodes? Beside it, the same trials in a plain Piscina pool on one node (no de2).
//   npm run bench:scaling -- --local-nodes 3 --cpus-per-node 1   (local nodes through @de2/cloud)
//   npm run bench:scaling -- --local-nodes 2 --cpus-per-node 1 --pin-cpus   (each node on cores of its own)
//   npm run bench:scaling -- --address HOST:PORT [--token T]     (an existing cluster, as it is)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { get, init, nodes, put, remote, shutdown } from '@de2/core';
import { Tuner, grid, withParameters } from '@de2/tune';
import { Piscina } from 'piscina';
import { LocalCluster } from './scaling/local-cluster.js';
import { NetnsCluster } from './scaling/netns-cluster.js';
import { allowedCores, pin, planPins, type PinPlan } from './scaling/pin-cpus.js';
import { writeResults, type Measurement, type ScalingRun, type Transfer } from './scaling/report.js';
import { TRIALS, configs, fitTrial, prepareSplit, type Split } from './scaling/workload.js';

const USAGE = `Usage: npx tsx benchmarks/scaling.ts [options]
  --local-nodes N      start 1..N de2-node processes here (de2-cloud's local provider), measure each count (default 3)
  --cpus-per-node K    CPUs each local node offers (default 1)
  --address HOST:PORT  use a running cluster as it is (one measurement; run again after adding nodes)
  --token TOKEN        its token (default DE2_TOKEN, else ~/.de2/token)
  --trees T            trees per trial (default 20): the size of each of the ${TRIALS} trials
  --data PATH          Covertype file (default: the committed 20,000-row sample)
  --rows R             stratified sample of R rows
  --out DIR            where JSON, markdown and SVG go (default benchmarks/results)
  --skip-piscina       no Piscina baseline
  --pin-cpus           local nodes: pin node i to cores of its own (taskset), the driver to the next
                       core if one is left; the Piscina baseline runs on the cores of the nodes it
                       stands for. Refused when the machine has fewer cores than the nodes' CPUs.
  --netns              local nodes each in a network namespace of its own (root; a bridge and a
                       private 10.213.X.0/24 made for the run and removed after; links shaped to
                       1 Gbit/s, 0.5 ms where the kernel has netem); also times moving the binned
                       data set to each new node
`;

const { values: a } = parseArgs({
  options: {
    'local-nodes': { type: 'string' },
    'cpus-per-node': { type: 'string' },
    address: { type: 'string' },
    token: { type: 'string' },
    trees: { type: 'string' },
    data: { type: 'string' },
    rows: { type: 'string' },
    out: { type: 'string' },
    'skip-piscina': { type: 'boolean' },
    'pin-cpus': { type: 'boolean' },
    netns: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
if (a.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
function int(flag: string, v: string | undefined, def: number | undefined): number | undefined {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < 1)
    throw new RangeError(`--${flag} must be a positive integer, got "${v}"`);
  return Number(v);
}
const localNodes = int('local-nodes', a['local-nodes'], 3)!;
const cpusPerNode = int('cpus-per-node', a['cpus-per-node'], 1)!;
const trees = int('trees', a.trees, 20)!;
const rows = int('rows', a.rows, undefined);
const outDir = path.resolve(a.out ?? path.join(import.meta.dirname, 'results'));
if (a['pin-cpus'] && a.address)
  throw new RangeError('--pin-cpus pins local nodes: it does not go with --address');
const allCores = allowedCores();
// Checked before anything starts: too few cores is an error that says what to run instead.
if (a.netns && a.address) throw new RangeError('--netns starts local nodes: it does not go with --address');
const netnsProblem = a.netns ? NetnsCluster.unavailable() : undefined;
if (netnsProblem) {
  console.error(`--netns: ${netnsProblem}`);
  process.exit(2);
}
let pins: PinPlan | undefined;
try {
  pins = a['pin-cpus'] ? planPins(localNodes, cpusPerNode, allCores) : undefined;
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
if (pins) console.log(pins.summary);
/** The driver's cores for the de2 runs: its own core, else all of them (shared with the nodes). */
const pinDriver = () => pins && pin(process.pid, pins.driver ?? allCores);

// Tune's experiment folders (nothing here reads them again), removed when the run ends.
const tuneDir = mkdtempSync(path.join(os.tmpdir(), 'de2-scaling-tune-'));
process.on('exit', () => rmSync(tuneDir, { recursive: true, force: true }));

/** Runs the 24 trials through de2 Tune on whatever cluster the driver is connected to. */
async function runGrid(
  split: Split,
  nTrees: number,
  trials = TRIALS,
): Promise<{ seconds: number; busy: number }> {
  const t0 = performance.now();
  const results = await new Tuner(withParameters(fitTrial, { train: split.train, test: split.test }), {
    paramSpace: { trial: grid(configs(nTrees).slice(0, trials)) },
    tuneConfig: { metric: 'accuracy', mode: 'max' },
    runConfig: { storagePath: tuneDir, progress: 'none' },
  }).fit();
  const seconds = (performance.now() - t0) / 1000;
  if (results.numErrors > 0)
    throw new Error(`scaling: ${results.numErrors} trials failed: ${results.errors[0]?.message}`);
  // Sum of the trials' own times: divided by the wall time, how many ran at once on average.
  const busy = [...results].reduce((s, r) => s + ((r.metrics?.timeTotalS as number | undefined) ?? 0), 0);
  return { seconds, busy };
}

/** The cluster's task nodes now (the driver's own node runs no tasks). */
async function taskNodes(): Promise<{ n: number; cpus: number }> {
  const list = (await nodes()).filter((x) => x.alive && !x.isDriver);
  return { n: list.length, cpus: list.reduce((s, x) => s + (x.resources.CPU ?? 0), 0) };
}

/**
 * Rejects as soon as the cluster lists fewer than `n` task nodes (asked every second): with a
 * node gone, its trials are retried on the others and the figure would belong to fewer nodes.
 */
function watchNodes(n: number): { lost: Promise<never>; stop: () => void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const lost = new Promise<never>((_resolve, reject) => {
    const poll = async (): Promise<void> => {
      const now = await taskNodes().catch((e: unknown) => reject(e as Error));
      if (stopped || now === undefined) return;
      if (now.n < n)
        reject(new Error(`scaling: a node left the cluster during the run (${now.n} of ${n} left)`));
      else timer = setTimeout(() => void poll(), 1000);
    };
    timer = setTimeout(() => void poll(), 1000);
  });
  lost.catch(() => {}); // observed through the race in measureDe2
  return {
    lost,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function measureDe2(split: Split, label: string, expected?: number): Promise<Measurement> {
  const { n, cpus } = await taskNodes();
  // Local nodes: de2-cloud's up/addWorkers return once the head lists every node.
  if (expected !== undefined && n !== expected)
    throw new Error(`scaling: the head lists ${n} task nodes, expected ${expected}`);
  const watch = watchNodes(n);
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, watch.lost]);
  let timed: { seconds: number; busy: number };
  try {
    // Warm-up: every worker thread loads @de2/forest and the trial code once, outside the timing.
    await guard(runGrid(split, 1, Math.min(TRIALS, cpus)));
    timed = await guard(runGrid(split, trees));
  } finally {
    watch.stop();
  }
  const { seconds, busy } = timed;
  const parallelism = busy / seconds;
  console.log(
    `${label}: ${n} node(s), ${cpus} CPUs: ${seconds.toFixed(2)} s, ${parallelism.toFixed(2)} trials at once on average`,
  );
  return { nodes: n, cpus, seconds, parallelism };
}

/**
 * Time to move the binned training set from the driver's node to node `n` (the newest): one
 * `put`, then a task on that node that reads every byte of it.
 */
const measuredNodes = new Set<string>();
async function timeTransfer(split: Split, n: number): Promise<Transfer> {
  const list = (await nodes()).filter((x) => x.alive && !x.isDriver && !measuredNodes.has(x.nodeId));
  const node = list[0]!;
  measuredNodes.add(node.nodeId);
  const bytes = split.train.bins.byteLength + split.train.y.byteLength + split.train.edges.byteLength;
  const touch = remote((d: { bins: Uint8Array }) => {
    let s = 0;
    for (let i = 0; i < d.bins.length; i += 64) s += d.bins[i]!;
    return s;
  }).options({ schedulingStrategy: { nodeId: node.nodeId } });
  // Once with a tiny object: the node's thread has the function, so only the move is timed.
  await get(touch.remote(put({ bins: new Uint8Array(64) })));
  const ref = put(split.train);
  const t0 = performance.now();
  await get(touch.remote(ref));
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `moved the binned training set (${(bytes / 2 ** 20).toFixed(2)} MiB) to node ${n} at ${node.address}: ${(seconds * 1000).toFixed(0)} ms`,
  );
  return { node: n, bytes, seconds };
}

/** Typed arrays copied once into shared memory: Piscina's threads then read them without copies. */
function shareSplit(split: Split): Split {
  const share = <T extends Uint8Array | Float64Array | Int32Array>(x: T): T => {
    const c = new (x.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(x.byteLength));
    c.set(x as never);
    return c;
  };
  const one = (d: Split['train']) => ({
    bins: share(d.bins),
    edges: share(d.edges),
    edgeOffsets: share(d.edgeOffsets),
    y: share(d.y),
  });
  return { train: one(split.train), test: one(split.test) };
}

async function measurePiscina(split: Split, threads: number): Promise<Measurement> {
  // Pinned: the pool's threads (started below, they inherit this) run on the cores of the
  // nodes it stands for, so it is the ceiling of exactly those cores.
  if (pins) pin(process.pid, pins.nodes.slice(0, threads / cpusPerNode).flat());
  const shared = shareSplit(split);
  const pool = new Piscina({
    filename: new URL('./scaling/piscina-worker.ts', import.meta.url).href,
    minThreads: threads,
    maxThreads: threads,
  });
  const run = (nTrees: number, count: number) =>
    Promise.all(
      configs(nTrees)
        .slice(0, count)
        .map((trial) => pool.run({ trial, ...shared })),
    );
  await run(1, threads);
  const t0 = performance.now();
  await run(trees, TRIALS);
  const seconds = (performance.now() - t0) / 1000;
  await pool.destroy();
  pinDriver();
  console.log(`Piscina, 1 process, ${threads} threads (no de2): ${seconds.toFixed(2)} s`);
  return { nodes: 1, cpus: threads, seconds };
}

function redact(args: string[]): string[] {
  return args.map((x, i) =>
    args[i - 1] === '--token' ? '<token>' : x.replace(/^--token=.*/, '--token=<token>'),
  );
}

function machine(): string {
  const cpus = os.cpus();
  return `${os.hostname()}: ${cpus.length} x ${cpus[0]?.model ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at start`;
}

const split = await prepareSplit(a.data, rows);
console.log(
  `${TRIALS} trials x ${trees} trees (maxDepth null), ${split.train.y.length} training rows; ${machine()}`,
);
const run: ScalingRun = {
  mode: a.address ? 'cluster' : a.netns ? (pins ? 'netns-pinned' : 'netns') : pins ? 'local-pinned' : 'local',
  date: new Date().toISOString(),
  machine: a.address ? `driver ${machine()}` : machine(),
  // The token admits anyone to the cluster: never written into the results.
  command: `npm run bench:scaling -- ${redact(process.argv.slice(2)).join(' ')}`.trim(),
  ...(pins ? { pinned: pins.summary } : {}),
  trials: TRIALS,
  trees,
  trainRows: split.train.y.length,
  cpusPerNode,
  de2: [],
  transfers: [],
  piscina: undefined,
  piscinaThreads: [],
};

if (a.address) {
  await init({ address: a.address, ...(a.token ? { token: a.token } : {}) });
  try {
    run.de2.push(await measureDe2(split, `cluster ${a.address}`));
    const per = run.de2[0]!.cpus / run.de2[0]!.nodes;
    run.cpusPerNode = per;
    console.log(
      `Measured the ${run.de2[0]!.nodes} node(s) that are up. To measure one more, add a node of ${per} CPUs:\n` +
        `  npx de2-cloud add-workers --count 1   # a de2-cloud cluster (node.numCpus in cluster.yaml)\n` +
        `  npx de2-node start --address ${a.address} --token <token> --num-cpus ${per}   # or by hand, on another machine\n` +
        `then run this command again; results for each node count are kept in ${outDir}/scaling-cluster.json.`,
    );
  } finally {
    await shutdown();
  }
} else {
  // Piscina before and after the de2 runs: the machine's load drifts, the mean of the two is compared.
  const before = a['skip-piscina'] ? undefined : await measurePiscina(split, cpusPerNode);
  // One cluster, grown by one node between measurements: node n offers the same K CPUs as node 1.
  const cluster = a.netns
    ? new NetnsCluster(localNodes, cpusPerNode, (line) => console.log(`  netns: ${line}`))
    : new LocalCluster(cpusPerNode, (line) => console.log(`  de2-cloud: ${line}`));
  // The nodes run in their own process groups (as de2-cloud starts them): Ctrl-C must stop them.
  // A signal often arrives twice (to the process group, and relayed by npm/tsx): later ones
  // must not end the process while the nodes are being stopped (that takes at most ~15 s).
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local nodes`);
    cluster
      .stop()
      .catch((e: unknown) => console.error((e as Error).message))
      .finally(() => process.exit(130));
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const; // Ctrl-C, kill, a closed terminal
  for (const signal of signals) process.on(signal, onSignal);
  try {
    pinDriver();
    await cluster.startHead();
    if (pins) pin(cluster.pids[0]!, pins.nodes[0]!);
    await init({ address: cluster.address, token: cluster.token });
    if (cluster instanceof NetnsCluster) run.network = cluster.shaping;
    for (let n = 1; n <= localNodes; n++) {
      if (n > 1) {
        await cluster.addNode();
        if (pins) pin(cluster.pids[n - 1]!, pins.nodes[n - 1]!);
      }
      if (a.netns) (run.transfers ??= []).push(await timeTransfer(split, n));
      run.de2.push(await measureDe2(split, 'de2', n));
    }
  } finally {
    await shutdown().catch(() => {});
    await cluster.stop();
    for (const signal of signals) process.off(signal, onSignal);
  }
  // What this machine itself allows: the same trials in one Piscina pool with as many threads
  // as n nodes offer. If these do not speed up either, the cores are the limit, not de2.
  if (!a['skip-piscina']) {
    for (let n = 2; n <= localNodes; n++)
      run.piscinaThreads.push(await measurePiscina(split, n * cpusPerNode));
  }
  if (before) {
    const after = await measurePiscina(split, cpusPerNode);
    run.piscina = {
      ...before,
      seconds: (before.seconds + after.seconds) / 2,
      runs: [before.seconds, after.seconds],
    };
  }
}

const files = writeResults(outDir, run);
console.log(`\n${files.table}\nwritten: ${files.paths.join(', ')}`);
