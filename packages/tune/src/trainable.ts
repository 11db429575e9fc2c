/** What a trainable gets besides its config. */
export interface TrialContext<P extends Record<string, unknown> = Record<string, unknown>> {
  readonly trialId: string;
  /** What `withParameters` stored: resolved on the trial's node, shared, never copied per trial. */
  readonly params: P;
  /** The last checkpoint when the trial is retried or resumed, else undefined. */
  readonly checkpoint: unknown;
  /**
   * Reports one iteration's metrics (and optionally a checkpoint) to the driver. When a
   * scheduler or stop criterion ends the trial, this throws a `TrialStopped` signal that
   * unwinds the trainable: let it propagate.
   */
  report(metrics: Record<string, unknown>, options?: { checkpoint?: unknown }): Promise<void>;
}

/**
 * A trainable function: `async (config, ctx) => metrics | void`. It is shipped by source,
 * so it may not use variables of the enclosing scope and loads modules with `await import()`.
 */
// `any` so that trainables with typed config and params are accepted (parameters are contravariant).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TrainableFn<C = any, P extends Record<string, unknown> = any> = (
  config: C,
  ctx: TrialContext<P>,
) => unknown;

/** Logical resources of each trial (default 1 CPU). */
export interface TrialResources {
  /** @default 1 */
  numCpus?: number;
  /** Heap budget in bytes: a trial that goes over it ends in ERROR (OutOfMemoryError), alone. */
  memory?: number;
}

export const TRAINABLE = Symbol.for('de2.tune.trainable');

/** A trainable with resources and/or stored parameters attached. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Trainable<C = any> {
  readonly [TRAINABLE]: true;
  readonly fn: TrainableFn<C>;
  readonly resources: Readonly<TrialResources>;
  readonly params: Readonly<Record<string, unknown>>;
  /** Refs of `params` once stored (filled on first use, shared by every Tuner using it). */
  stored: Map<string, unknown> | undefined;
}

export function isTrainable(value: unknown): value is Trainable {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRAINABLE] === true
  );
}

export function toTrainable(value: unknown, what = 'trainable'): Trainable {
  if (isTrainable(value)) return value;
  if (typeof value === 'function') {
    return { [TRAINABLE]: true, fn: value as TrainableFn, resources: {}, params: {}, stored: undefined };
  }
  throw new TypeError(
    `${what} must be a function (config, ctx) => metrics, or from withResources/withParameters`,
  );
}

/** Runs each trial with these logical resources (like `tune.with_resources`). */
export function withResources<C>(
  trainable: TrainableFn<C> | Trainable<C>,
  resources: TrialResources,
): Trainable<C> {
  const t = toTrainable(trainable);
  if (typeof resources !== 'object' || resources === null) throw new TypeError('resources must be an object');
  const { numCpus, memory } = resources;
  if (numCpus !== undefined && !(typeof numCpus === 'number' && numCpus > 0)) {
    throw new RangeError('resources.numCpus must be a number greater than 0');
  }
  if (memory !== undefined && !(Number.isInteger(memory) && memory > 0)) {
    throw new RangeError('resources.memory must be a positive integer (bytes)');
  }
  return { ...t, resources: { ...t.resources, ...resources }, stored: t.stored };
}

/**
 * Stores each value of `params` once in the object store (`put`) and hands every trial the
 * same stored object as `ctx.params` (like `tune.with_parameters`): no per-trial copy of a
 * large data set.
 */
export function withParameters<C>(
  trainable: TrainableFn<C> | Trainable<C>,
  params: Record<string, unknown>,
): Trainable<C> {
  const t = toTrainable(trainable);
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new TypeError('params must be an object of named values');
  }
  return { ...t, params: { ...t.params, ...params }, stored: undefined };
}
