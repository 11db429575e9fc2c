import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, init, nodes, remote, shutdown, wait } from '@de2/core';
import {
  MAX_PIPELINE_PER_CPU,
  MIN_PIPELINE_PER_CPU,
  PIPELINE_BUDGET_MS,
  PipelineDepth,
} from '../src/scheduler/pipeline-depth.js';
import { Scheduler } from '../src/scheduler/scheduler.js';
import { TaskKind, type TaskSpec } from '../src/protocol/messages.js';

let nextTask = 0;
/** A one-CPU task of function `functionHash`, as a driver would submit it. */
function task(functionHash: string, numCpus = 1): TaskSpec {
  const taskId = `t-${nextTask++}`;
  return {
    taskId,
    kind: TaskKind.task,
    functionHash,
    name: functionHash,
    args: { header: new Uint8Array(0), buffers: [], refs: [], size: 0 },
    refArgIndexes: [],
    refArgIds: [],
    returnIds: [`${taskId}-r`],
    ownerId: 'driver',
    numCpus,
    memory: 0,
    resources: {},
    maxRetries: 0,
    retryExceptions: false,
    actorId: '',
    method: '',
    actorName: '',
    maxRestarts: 0,
    maxTaskRetries: 0,
    maxConcurrency: 1,
    methodNames: [],
    scheduling: '',
  };
}

describe('pipeline depth: how many tasks of a function a node may hold per CPU', () => {
  it('starts at none, grows for quick functions, stays at none for slow ones', () => {
    const depth = new PipelineDepth();
    expect(depth.perCpu('new')).to.equal(0);
    expect(MIN_PIPELINE_PER_CPU).to.equal(0);
    for (let i = 0; i < 30; i++) depth.record('quick', 0.01);
    expect(depth.perCpu('quick')).to.equal(MAX_PIPELINE_PER_CPU);
    depth.record('slow', 50);
    expect(depth.perCpu('slow')).to.equal(MIN_PIPELINE_PER_CPU);
    // In between: about PIPELINE_BUDGET_MS of expected work per CPU.
    for (let i = 0; i < 60; i++) depth.record('medium', PIPELINE_BUDGET_MS / 5);
    expect(depth.perCpu('medium')).to.be.within(4, 5);
  });

  it('ignores runs that were not measured, and follows a function that slows down', () => {
    const depth = new PipelineDepth();
    for (let i = 0; i < 30; i++) depth.record('f', 0.01);
    depth.record('f', 0);
    expect(depth.perCpu('f')).to.equal(MAX_PIPELINE_PER_CPU);
    for (let i = 0; i < 30; i++) depth.record('f', 20);
    expect(depth.perCpu('f')).to.equal(MIN_PIPELINE_PER_CPU);
  });
});

describe('scheduler: pipelining by function', () => {
  /** Runs one task of `functionHash` to the end on `node`, reporting `runMs`. */
  function measure(scheduler: Scheduler, functionHash: string, runMs: number, times: number): void {
    for (let i = 0; i < times; i++) {
      const t = task(functionHash);
      scheduler.enqueue(t);
      const [placed] = scheduler.schedule();
      expect(placed?.task).to.equal(t);
      scheduler.finish(t.taskId, runMs);
    }
  }

  it('holds no slow task beyond those running and 16 quick ones, from one queue in submission order', () => {
    const scheduler = new Scheduler();
    scheduler.addNode('n1', { CPU: 1 });
    measure(scheduler, 'slow', 50, 3);
    measure(scheduler, 'quick', 0.01, 30);
    const queued = [task('slow'), ...Array.from({ length: 20 }, () => task('slow'))];
    queued.push(...Array.from({ length: 20 }, () => task('quick')));
    for (const t of queued) scheduler.enqueue(t);
    const placed = scheduler.schedule().map((p) => p.task.functionHash);
    // One slow task runs, none waits behind it; quick ones pass the slow ones and fill the node.
    expect(placed.filter((f) => f === 'slow')).to.have.length(1);
    expect(placed.filter((f) => f === 'quick')).to.have.length(MAX_PIPELINE_PER_CPU);
    expect(scheduler.schedule()).to.deep.equal([]);
    // A pipelined quick one ends: room for one more quick task but not for a slow one
    // (those wait in the head until a CPU is free).
    const firstQuick = queued.findIndex((t) => t.functionHash === 'quick');
    scheduler.finish(queued[firstQuick]!.taskId, 0.01);
    expect(scheduler.schedule().map((p) => p.task.taskId)).to.deep.equal([
      queued[firstQuick + MAX_PIPELINE_PER_CPU]!.taskId,
    ]);
    // The running slow one ends: the next slow one takes the CPU.
    scheduler.finish(queued[0]!.taskId, 50);
    expect(scheduler.schedule().map((p) => p.task.taskId)).to.deep.equal([queued[1]!.taskId]);
  });

  it('takes many queued tasks out in one pass (a lost owner), the others stay in order', () => {
    const scheduler = new Scheduler();
    scheduler.addNode('n1', { CPU: 1 });
    const queued = Array.from({ length: 6 }, () => task('once'));
    for (const t of queued) scheduler.enqueue(t);
    expect(scheduler.schedule().map((p) => p.task)).to.deep.equal([queued[0]]);
    // The running one is not queued: taking it out too changes nothing.
    scheduler.dequeueAll(new Set([queued[0]!.taskId, queued[1]!.taskId, queued[3]!.taskId]));
    expect(scheduler.dequeue(queued[1]!.taskId)).to.equal(false);
    const next: (TaskSpec | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      scheduler.finish((next.at(-1) ?? queued[0])!.taskId, 0);
      next.push(scheduler.schedule()[0]?.task);
    }
    expect(next).to.deep.equal([queued[2], queued[4], queued[5], undefined]);
  });

  it('does not look through a long queue of slow tasks when none of them can go', () => {
    const scheduler = new Scheduler();
    scheduler.addNode('n1', { CPU: 1 });
    measure(scheduler, 'slow', 50, 3);
    const queued = Array.from({ length: 1000 }, () => task('slow'));
    for (const t of queued) scheduler.enqueue(t);
    expect(scheduler.schedule()).to.have.length(1);
    let looked = 0;
    const prefer = () => {
      looked++;
      return undefined;
    };
    expect(scheduler.schedule(prefer)).to.deep.equal([]);
    scheduler.finish(queued[0]!.taskId, 50);
    expect(scheduler.schedule(prefer).map((p) => p.task)).to.deep.equal([queued[1]]);
    // Tasks looked at (for their preferred node): the one placed, not the 996 behind it.
    expect(looked).to.be.at.most(2);
  });

  it('lets a task that needs the CPU free wait while pipelined ones pass it', () => {
    const scheduler = new Scheduler();
    scheduler.addNode('n1', { CPU: 2 });
    measure(scheduler, 'quick', 0.01, 30);
    const big = task('big', 2);
    const first = task('quick');
    scheduler.enqueue(first);
    scheduler.enqueue(big);
    for (let i = 0; i < 40; i++) scheduler.enqueue(task('quick'));
    const placed = scheduler.schedule().map((p) => p.task.functionHash);
    expect(placed).to.not.include('big');
    expect(placed).to.have.length(2 + 2 * MAX_PIPELINE_PER_CPU);
  });
});

describe('pipelining on a node (embedded, 1 CPU)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'de2-pipe-'));
    await init({ numCpus: 1, logToDriver: false });
  });
  afterEach(async () => {
    await shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Holds the only CPU until `file` exists (the test creates it). */
  const hold = remote(async (file: string) => {
    const fs = await import('node:fs');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const end = Date.now() + 60_000;
    while (!fs.existsSync(file) && Date.now() < end) Atomics.wait(pause, 0, 0, 5);
    return 0;
  });

  /**
   * Tasks the node holds besides the running one, once the head has placed the burst: it
   * places a burst all at once, so the first count above 1 is final.
   */
  async function heldByNode(): Promise<number> {
    let held = 0;
    for (let i = 0; i < 1000 && held <= 1; i++) held = (await nodes())[0]!.runningTasks;
    return held;
  }

  it('a node takes many more tasks of a function measured as quick than of a slow one', async () => {
    const quick = remote((x: number) => x + 1);
    const slow = remote((ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        // busy on purpose: a task that takes a while
      }
      return ms;
    });
    // The node reports how long each ran; the head learns each function's run time.
    await get(Array.from({ length: 50 }, (_, i) => quick.remote(i)));
    await get(Array.from({ length: 5 }, () => slow.remote(10)));

    const file = join(dir, 'go');
    const held = hold.remote(file);
    const quickRefs = Array.from({ length: 40 }, (_, i) => quick.remote(i));
    const quickHeld = await heldByNode();
    writeFileSync(file, '');
    expect(await get(quickRefs)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
    await get(held);

    const file2 = join(dir, 'go2');
    const held2 = hold.remote(file2);
    const slowRefs = Array.from({ length: 40 }, () => slow.remote(1));
    const slowHeld = await heldByNode();
    writeFileSync(file2, '');
    await get([held2, ...slowRefs]);

    // One running (the held task); quick ones pipelined behind it on the node's thread,
    // slow ones kept in the head.
    expect(slowHeld).to.equal(1);
    expect(quickHeld).to.be.above(4);
    expect(quickHeld).to.be.at.most(1 + MAX_PIPELINE_PER_CPU);
  });
});

describe('work-conserving scheduling (embedded, 2 CPUs)', () => {
  before(() => init({ numCpus: 2, logToDriver: false }));
  after(() => shutdown());

  it('runs quick tasks on the free CPU instead of queueing them behind a long one', async () => {
    const sleep = remote(async (ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms;
    });
    // The worker threads started (on a loaded 2-core machine that alone can take a second):
    // what is timed below is where the tasks wait, not thread start-up. Another function, so
    // that `sleep` is not measured yet (the case: nothing known, nothing pipelined).
    const warm = remote(() => 0);
    await get([warm.remote(), warm.remote()]);
    const started = Date.now();
    const refs = [sleep.remote(3000), sleep.remote(10), sleep.remote(30)];
    try {
      const { ready } = await wait(refs, { numReturns: 2 });
      const elapsed = Date.now() - started;
      expect(await get(ready)).to.have.members([10, 30]);
      // Queued behind the 3 s task on its thread, the 30 ms one would end after 3 s.
      expect(elapsed).to.be.below(1000);
    } finally {
      await get(refs[0]!); // the next test needs both CPUs
    }
  });

  it('runs pipelined quick tasks on the free thread, not behind a long call of the same function', async () => {
    // Measured as quick (well under 2 ms), so the head pipelines up to 16 per CPU onto the
    // node; one call then runs long. Handed to threads at once, half of the quick ones would
    // wait behind it; from the node's CPU queue, the free thread takes them all.
    const maybeSlow = remote(async (ms: number) => {
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      return ms;
    });
    await get(Array.from({ length: 100 }, () => maybeSlow.remote(0)));
    const long = maybeSlow.remote(2500);
    const quick = Array.from({ length: 30 }, () => maybeSlow.remote(0));
    const started = Date.now();
    const { ready } = await wait([long, ...quick], { numReturns: quick.length });
    const elapsed = Date.now() - started;
    expect(ready.map((r) => r.id)).to.have.members(quick.map((r) => r.id));
    expect(elapsed).to.be.below(1000);
    await get(long);
  });
});

describe('work-conserving threads with nested tasks (embedded, 2 CPUs)', () => {
  before(() => init({ numCpus: 2, logToDriver: false }));
  after(() => shutdown());

  it('a child does not queue behind its running sibling while its parent waits on the other thread', async () => {
    const hold = remote(async (ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms;
    });
    // The parent runs on the second thread (the first holds `hold`), waits for `hold`, then
    // starts a long child (it gets the first thread, idle by then) and a quick one, and
    // waits for the first ready. The quick child must run on the parent's thread, whose task
    // waits: Piscina's least-busy choice sees one task on each thread and takes the first.
    const parent = remote(async (held: unknown[]) => {
      const de2 = await import('@de2/core');
      await de2.get(held[0] as never);
      const child = de2.remote(async (ms: number) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return ms;
      });
      const started = Date.now();
      const refs = [child.remote(2000), child.remote(10)];
      const { ready } = await de2.wait(refs, { numReturns: 1 });
      const elapsed = Date.now() - started;
      await de2.get(refs);
      return { first: await de2.get(ready[0]!), elapsed };
    });
    const held = hold.remote(300);
    const { first, elapsed } = await get(parent.remote([held]));
    expect(first).to.equal(10);
    expect(elapsed).to.be.below(1000);
  });
});

describe('taking tasks back from threads, with crashes (embedded, 2 CPUs)', () => {
  before(() => init({ numCpus: 2, logToDriver: false }));
  after(() => shutdown());

  it('retries a task whose thread died while the other thread runs a long task', async () => {
    const sleep = remote(async (ms: number) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return ms;
    });
    // Quick on average, so that its calls are handed to threads ahead and may be taken back.
    const exitsTwice = remote((c: Int32Array) => {
      if (Atomics.add(c, 0, 1) === 1 || Atomics.load(c, 0) === 3) process.exit(1);
      return Atomics.load(c, 0);
    });
    const warm = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(warm, 0, 100);
    await get(Array.from({ length: 30 }, () => exitsTwice.remote(warm)));
    const long = sleep.remote(1500);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    // Call 1 returns, calls 2 and 3 end their thread (retried on a new one), call 4 returns.
    const results = [await get(exitsTwice.remote(counter)), await get(exitsTwice.remote(counter))];
    expect(results).to.deep.equal([1, 4]);
    await get(long);
  });
});

describe('scheduler: tasks a node gives back', () => {
  it('queues them first, places them only on a free CPU, and skips the node until one of its tasks ends', () => {
    const scheduler = new Scheduler();
    scheduler.addNode('busy', { CPU: 1 });
    for (let i = 0; i < 30; i++) {
      const t = task('quick');
      scheduler.enqueue(t);
      scheduler.schedule();
      scheduler.finish(t.taskId, 0.01);
    }
    const long = task('quick');
    scheduler.enqueue(long);
    const queued = Array.from({ length: 5 }, () => task('quick'));
    for (const t of queued) scheduler.enqueue(t);
    // One takes the CPU, the others are pipelined onto the only node.
    expect(scheduler.schedule().map((p) => p.task)).to.deep.equal([long, ...queued]);
    scheduler.takeBack('busy', queued);
    // The node is stuck: nothing goes back to it, not even pipelined.
    expect(scheduler.schedule()).to.deep.equal([]);
    scheduler.addNode('idle', { CPU: 1 });
    // The idle node takes the first one given back, on its CPU; the rest wait in the head.
    expect(scheduler.schedule().map((p) => [p.task.taskId, p.nodeId])).to.deep.equal([
      [queued[0]!.taskId, 'idle'],
    ]);
    scheduler.finish(long.taskId, 2500);
    expect(scheduler.schedule().map((p) => [p.task.taskId, p.nodeId])).to.deep.equal([
      [queued[1]!.taskId, 'busy'],
    ]);
  });
});
