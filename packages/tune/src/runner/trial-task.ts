/*
 * The code that runs on a worker for each trial attempt. Both pieces travel by source
 * (`toString()`), so they use nothing from this module's scope: the trial task gets the
 * trainable spliced in as source, and loads @de2/core with `await import()` on its node.
 */

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
      const ref = controller.report.remote(trialId, attempt, metrics, has ? options.checkpoint : null, has);
      const decision = await get(ref as Parameters<typeof get>[0]);
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

/**
 * The per-experiment controller actor: trials call `report` (which waits for a decision),
 * the driver long-polls `poll`, handing back the decisions for the reports it processed.
 * Runs with maxConcurrency > 1 so that waiting reports and the poll interleave.
 */
export class TuneController {
  private queue: unknown[] = [];
  private readonly waiting = new Map<number, (decision: string) => void>();
  private seq = 0;
  private wake: (() => void) | undefined;

  report(
    trialId: string,
    attempt: number,
    metrics: unknown,
    checkpoint: unknown,
    hasCheckpoint: boolean,
  ): Promise<string> {
    const key = this.seq++;
    return new Promise<string>((resolve) => {
      this.waiting.set(key, resolve);
      this.queue.push({ key, trialId, attempt, metrics, checkpoint, hasCheckpoint });
      const wake = this.wake;
      this.wake = undefined;
      if (wake) wake();
    });
  }

  async poll(decisions: { key: number; decision: string }[], waitMs: number): Promise<unknown[]> {
    for (const d of decisions) {
      const resolve = this.waiting.get(d.key);
      this.waiting.delete(d.key);
      if (resolve) resolve(d.decision);
    }
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const out = this.queue;
    this.queue = [];
    return out;
  }
}
