import * as core from '@de2/core';
import type { ActorHandle, ObjectRef, RemoteFunction } from '@de2/core';
import type { Trainable } from '../trainable.js';
import type { SchedulerDecision } from '../schedulers/scheduler.js';
import type { TrialEvents, TrialExecutor, TrialLaunch } from './executor.js';
import { TRAINABLE_PLACEHOLDER, TuneController, runTrialTask, type TrialTaskResult } from './trial-task.js';

interface Report {
  key: number;
  trialId: string;
  attempt: number;
  metrics: Record<string, unknown>;
  checkpoint: unknown;
  hasCheckpoint: boolean;
}

type Core = typeof import('@de2/core');

/** How long one long poll of the controller waits for reports before it returns empty. */
const POLL_WAIT_MS = 200;

/** The session-wide controller actor's name. */
const CONTROLLER_NAME = 'de2-tune-controller';

/** Serializes lookups, so that two Tuners starting at once create one controller. */
let controllerLookup: Promise<unknown> = Promise.resolve();

/**
 * The session's controller actor, found by name or created by the first experiment and
 * then shared (starting an actor costs a thread start; each run has its own channel in it).
 */
function sessionController(): Promise<ActorHandle<TuneController>> {
  const found = controllerLookup.then(async () => {
    try {
      return await core.getActor<TuneController>(CONTROLLER_NAME);
    } catch {
      return core.remote(TuneController, { name: CONTROLLER_NAME, maxConcurrency: 10_000 }).remote();
    }
  });
  controllerLookup = found.catch(() => undefined);
  return found;
}

/** The trainable's source as an expression (method shorthand `f(a) {}` becomes a function). */
function trainableSource(fn: (...args: never[]) => unknown): string {
  const src = fn.toString();
  if (/^(async\s*)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(src)) return src;
  if (/^async\s+/.test(src)) return src.replace(/^async\s+/, 'async function ');
  return `function ${src}`;
}

/** Builds the trial task with the trainable spliced in, so both travel as one source. */
function trialTask(trainable: Trainable): (...args: unknown[]) => Promise<TrialTaskResult> {
  // A replacer function, so `$&`-style patterns in the trainable's source stay as they are.
  const source = runTrialTask
    .toString()
    .replace(TRAINABLE_PLACEHOLDER, () => `(${trainableSource(trainable.fn)})`);
  return new Function(`return (${source});`)() as (...args: unknown[]) => Promise<TrialTaskResult>;
}

/**
 * Runs each trial attempt as a de2 remote task (with the trainable's resources) and relays
 * `ctx.report` through a controller actor that the driver long-polls. Uses only the public
 * core API, so it runs the same embedded and on a cluster.
 */
export class De2Executor implements TrialExecutor {
  private events: TrialEvents | undefined;
  private controller: ActorHandle<TuneController> | undefined;
  private readonly running = new Map<string, { attempt: number; ref: ObjectRef<TrialTaskResult> }>();
  private task: RemoteFunction<(...args: unknown[]) => Promise<TrialTaskResult>> | undefined;
  private paramKeys: string[] = [];
  private paramRefs: unknown[] = [];
  private closed = false;
  private polling: Promise<void> | undefined;
  private failure: unknown;
  private core!: Core;
  private capacity: { numCpus: number; memory: number } | undefined;

  constructor(
    private readonly trainable: Trainable,
    /** Unique per fit(): the controller keeps one channel per experiment run. */
    private readonly channel: string,
  ) {}

  /** The id of the running attempt's task result, by which the head's dashboard finds its node. */
  taskObjectId(trialId: string): string | undefined {
    return this.running.get(trialId)?.ref.id;
  }

  async start(events: TrialEvents): Promise<void> {
    this.events = events;
    this.core = core;
    const { put, remote } = this.core;
    const t = this.trainable;
    if (!t.stored) {
      // withParameters: each value goes into the object store once; every trial gets the ref.
      t.stored = new Map(Object.entries(t.params).map(([k, v]) => [k, put(v)]));
    }
    this.paramKeys = [...t.stored.keys()];
    this.paramRefs = [...t.stored.values()];
    this.task = remote(
      trialTask(t) as (...args: unknown[]) => Promise<TrialTaskResult>,
      {
        numCpus: t.resources.numCpus ?? 1,
        ...(t.resources.memory === undefined ? {} : { memory: t.resources.memory }),
        maxRetries: 0,
      } as never,
    );
    this.controller = await sessionController();
    const total = await this.core.clusterResources();
    this.capacity = { numCpus: total.CPU ?? 1, memory: total.memory ?? 0 };
    this.polling = this.pollLoop();
  }

  private async pollLoop(): Promise<void> {
    const { get } = this.core;
    let decisions: { key: number; decision: SchedulerDecision }[] = [];
    while (!this.closed && this.controller) {
      let reports: Report[];
      try {
        reports = (await get(this.controller.poll.remote(this.channel, decisions, POLL_WAIT_MS))) as Report[];
      } catch (error) {
        if (!this.closed) this.failure = error;
        return;
      }
      decisions = [];
      for (const r of reports) {
        const decision = this.events?.report(
          r.trialId,
          r.attempt,
          r.metrics,
          r.hasCheckpoint ? { value: r.checkpoint } : undefined,
        );
        decisions.push({ key: r.key, decision: decision ?? 'STOP' });
      }
    }
  }

  launch(l: TrialLaunch): void {
    if (!this.task || !this.controller) throw new Error('De2Executor.launch before start');
    const ref = this.task.remote(
      l.trialId,
      l.attempt,
      l.config,
      l.checkpoint ?? null,
      l.checkpoint !== undefined,
      this.controller,
      this.channel,
      this.paramKeys,
      ...this.paramRefs,
    );
    this.running.set(l.trialId, { attempt: l.attempt, ref });
    this.core.get(ref).then(
      (value) => {
        this.forget(l.trialId, l.attempt);
        this.events?.done(l.trialId, l.attempt, value.returned, value.stopped);
      },
      (error: unknown) => {
        this.forget(l.trialId, l.attempt);
        this.events?.failed(l.trialId, l.attempt, error);
      },
    );
  }

  private forget(trialId: string, attempt: number): void {
    if (this.running.get(trialId)?.attempt === attempt) this.running.delete(trialId);
  }

  cancel(trialId: string): void {
    const r = this.running.get(trialId);
    if (!r) return;
    this.running.delete(trialId);
    this.core.cancel(r.ref, { force: true });
  }

  defaultConcurrency(): number {
    const cpus = this.describeCapacity()?.numCpus ?? 1;
    return Math.max(1, Math.floor(cpus / (this.trainable.resources.numCpus ?? 1)));
  }

  describeCapacity(): { numCpus: number; memory: number } | undefined {
    return this.capacity;
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const id of [...this.running.keys()]) this.cancel(id);
    if (this.controller) {
      // Releases any trial still waiting in report(). Not awaited: the actor may run one
      // caller's calls in order, so this can wait behind the last long poll (at most
      // POLL_WAIT_MS); the poll loop ends by itself now that `closed` is set.
      this.core.get(this.controller.close.remote(this.channel)).catch(() => {});
    }
    if (this.failure) throw this.failure;
  }
}
