/*
 * The code that runs on a worker for each trial attempt. Both pieces travel by source
 * (`toString()`), so they use nothing from this module's scope: the trial task gets the
 * trainable spliced in as source, and loads @de2/core with `await import()` on its node.
 */

import type { ObjectRef } from '@de2/core';

declare const __DE2_TRAINABLE__: (config: unknown, ctx: unknown) => unknown;

/** Placeholder that `trialTaskSource` replaces with the trainable's source. */
export const TRAINABLE_PLACEHOLDER = '__DE2_TRAINABLE__';

/** What a trial task returns to the driver. */
export interface TrialTaskResult {
  readonly returned: unknown;
  readonly stopped: boolean;
}

/**
 * One attempt of one trial. `ctx.report` is an actor call on the experiment's controller
 * and waits for the driver's decision; a STOP decision unwinds the trainable by throwing.
 * Params arrive as top-level arguments so that the runtime resolves each stored value on
 * this node (one shared copy per node) before the task runs.
 */
export async function runTrialTask(
  trialId: string,
  attempt: number,
  config: unknown,
  checkpoint: unknown,
  hasCheckpoint: boolean,
  controller: {
    report: { remote(...args: unknown[]): unknown };
  },
  experiment: string,
  paramKeys: string[],
  ...paramValues: unknown[]
): Promise<TrialTaskResult> {
  const { get } = await import('@de2/core');
  const params: Record<string, unknown> = {};
  paramKeys.forEach((k, i) => (params[k] = paramValues[i]));
  const stopSignal = new Error(`trial ${trialId} was stopped by the Tuner (scheduler or stop criterion)`);
  stopSignal.name = 'TrialStopped';
  let stopped = false;
  const ctx = {
    trialId,
    params,
    checkpoint: hasCheckpoint ? checkpoint : undefined,
    async report(metrics: Record<string, unknown>, options?: { checkpoint?: unknown }): Promise<void> {
      if (stopped) throw stopSignal;
      if (typeof metrics !== 'object' || metrics === null)
        throw new TypeError('ctx.report(metrics): metrics must be an object');
      const has = options !== undefined && options.checkpoint !== undefined;
      const ref = controller.report.remote(
        experiment,
        trialId,
        attempt,
        metrics,
        has ? options.checkpoint : null,
        has,
      );
      const decision = await get(ref as ObjectRef<string>);
      if (decision === 'STOP') {
        stopped = true;
        throw stopSignal;
      }
    },
  };
  const trainable = __DE2_TRAINABLE__;
  try {
    const returned = await trainable(config, ctx);
    return { returned: returned === undefined ? null : returned, stopped };
  } catch (error) {
    if (stopped && error === stopSignal) return { returned: null, stopped: true };
    throw error;
  }
}

/** One experiment's reports waiting for the driver, and its trials waiting for decisions. */
interface Channel {
  queue: unknown[];
  waiting: Map<number, (decision: string) => void>;
  wake: (() => void) | undefined;
}

/**
 * The controller actor, one per de2 session (a named actor shared by every experiment,
 * since starting an actor costs a thread): trials call `report` (which waits for a
 * decision), each experiment's driver long-polls `poll`, handing back the decisions for
 * the reports it processed. Runs with maxConcurrency > 1 so that waiting reports and polls
 * interleave.
 */
export class TuneController {
  private readonly channels = new Map<string, Channel>();
  /** Runs that are over (ids are unique per fit(), so this only grows by one per run). */
  private readonly closed = new Set<string>();
  private seq = 0;

  private channel(experiment: string): Channel {
    let c = this.channels.get(experiment);
    if (!c) {
      c = { queue: [], waiting: new Map(), wake: undefined };
      this.channels.set(experiment, c);
    }
    return c;
  }

  report(
    experiment: string,
    trialId: string,
    attempt: number,
    metrics: unknown,
    checkpoint: unknown,
    hasCheckpoint: boolean,
  ): Promise<string> {
    if (this.closed.has(experiment)) return Promise.resolve('STOP');
    const c = this.channel(experiment);
    const key = this.seq++;
    return new Promise<string>((resolve) => {
      c.waiting.set(key, resolve);
      c.queue.push({ key, trialId, attempt, metrics, checkpoint, hasCheckpoint });
      const wake = c.wake;
      c.wake = undefined;
      if (wake) wake();
    });
  }

  async poll(
    experiment: string,
    decisions: { key: number; decision: string }[],
    waitMs: number,
  ): Promise<unknown[]> {
    if (this.closed.has(experiment)) return [];
    const c = this.channel(experiment);
    for (const d of decisions) {
      const resolve = c.waiting.get(d.key);
      c.waiting.delete(d.key);
      if (resolve) resolve(d.decision);
    }
    if (c.queue.length === 0 && !this.closed.has(experiment)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        c.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const out = c.queue;
    c.queue = [];
    return out;
  }

  /** The experiment is over: wake its poll, stop its remaining trials, forget it. */
  close(experiment: string): void {
    this.closed.add(experiment);
    const c = this.channels.get(experiment);
    if (!c) return;
    this.channels.delete(experiment);
    for (const resolve of c.waiting.values()) resolve('STOP');
    if (c.wake) c.wake();
  }
}
