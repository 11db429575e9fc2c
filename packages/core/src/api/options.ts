/** Options of `remote(fn, options)` and `RemoteFunction.options()`. */
export interface RemoteOptions {
  /**
   * Logical CPUs the task holds while it runs; limits how many run at once.
   * @default 1
   */
  numCpus?: number;
  /**
   * Memory budget of the task in bytes: its worker thread's V8 heap plus its ArrayBuffers
   * and typed arrays (not objects it reads from the object store). Over it, the task fails
   * alone with `OutOfMemoryError`. Also reserved as the logical `memory` resource. At least
   * {@link MIN_MEMORY_BUDGET} (a thread needs about 12 MiB for itself); 0 means no budget.
   * @default 0
   */
  memory?: number;
  /** Custom logical resources the task needs, e.g. `{ gpu: 1 }`. @default {} */
  resources?: Record<string, number>;
  /**
   * How many times the task is re-run when its worker thread dies (-1: without limit).
   * @default 3
   */
  maxRetries?: number;
  /** Also retry when the task throws (up to `maxRetries`). @default false */
  retryExceptions?: boolean;
  /** Number of values (and refs) the task returns; above 1 it must return an array. @default 1 */
  numReturns?: number;
  /** Name shown in errors and logs. @default the function's name */
  name?: string;
  /**
   * Where the task may run: `'DEFAULT'` (the node holding most of its arguments, else any
   * node with room), `'SPREAD'` (the least busy node, to spread tasks over the cluster), or
   * `{ nodeId, soft }` (that node; if it is gone or full and `soft`, any node).
   * @default 'DEFAULT'
   */
  schedulingStrategy?: SchedulingStrategy;
}

/** See {@link RemoteOptions.schedulingStrategy}. */
export type SchedulingStrategy = 'DEFAULT' | 'SPREAD' | { nodeId: string; soft?: boolean };

/** Options of `remote(Class, options)` and `ActorClass.options()`. */
export interface ActorOptions {
  /** Name under which `getActor(name)` finds the actor. @default none */
  name?: string;
  /** Logical CPUs the actor holds while it lives. @default 0 */
  numCpus?: number;
  /** Memory budget of the actor's thread in bytes, as {@link RemoteOptions.memory} (0: none). @default 0 */
  memory?: number;
  /** Custom logical resources the actor holds. @default {} */
  resources?: Record<string, number>;
  /** How many times a crashed actor is restarted, re-running its constructor (-1: without limit). @default 0 */
  maxRestarts?: number;
  /** How many times a method call lost in a crash is retried (-1: without limit). @default 0 */
  maxTaskRetries?: number;
  /** How many calls may run at once; async methods interleave only above 1. @default 1 */
  maxConcurrency?: number;
  /** Where the actor may live; see {@link RemoteOptions.schedulingStrategy}. @default 'DEFAULT' */
  schedulingStrategy?: SchedulingStrategy;
}

export interface ResolvedRemoteOptions {
  numCpus: number;
  memory: number;
  resources: Record<string, number>;
  maxRetries: number;
  retryExceptions: boolean;
  numReturns: number;
  name: string;
  scheduling: string;
}

export interface ResolvedActorOptions {
  name: string;
  numCpus: number;
  memory: number;
  resources: Record<string, number>;
  maxRestarts: number;
  maxTaskRetries: number;
  maxConcurrency: number;
  scheduling: string;
}

export function checkNumber(
  options: object,
  key: string,
  min: number,
  integer: boolean,
  allowMinusOne = false,
): void {
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`options.${key} must be a number, got ${typeof value}`);
  }
  if (allowMinusOne && value === -1) return;
  if (value < min || (integer && !Number.isInteger(value)) || !Number.isFinite(value)) {
    throw new RangeError(
      `options.${key} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${value}`,
    );
  }
}

/** The smallest `memory` budget: a worker thread with de2 loaded uses about 12 MiB. */
export const MIN_MEMORY_BUDGET = 32 * 2 ** 20;

function checkMemoryBudget(memory: number | undefined): void {
  if (memory === undefined || memory === 0 || memory >= MIN_MEMORY_BUDGET) return;
  throw new RangeError(
    `options.memory is ${memory} bytes (${(memory / 2 ** 20).toFixed(1)} MiB), below the ` +
      `${MIN_MEMORY_BUDGET / 2 ** 20} MiB a budgeted worker thread needs to start and run a task ` +
      `(about 12 MiB is its own heap and the de2 client); give at least ${MIN_MEMORY_BUDGET} ` +
      `(32 MiB), or 0 for no budget`,
  );
}

export function checkResources(resources: unknown): Record<string, number> {
  if (resources === undefined) return {};
  if (resources === null || typeof resources !== 'object')
    throw new TypeError('options.resources must be an object');
  for (const [k, v] of Object.entries(resources)) {
    if (typeof v !== 'number' || !(v >= 0))
      throw new RangeError(`options.resources.${k} must be a number >= 0`);
  }
  return { ...(resources as Record<string, number>) };
}

function checkName(name: unknown): string {
  if (name !== undefined && typeof name !== 'string') throw new TypeError('options.name must be a string');
  return name ?? '';
}

const unlimited = (n: number) => (n === -1 ? Number.MAX_SAFE_INTEGER : n);

export function resolveRemoteOptions(o: RemoteOptions, defaultName: string): ResolvedRemoteOptions {
  checkNumber(o, 'numCpus', 0, false);
  checkNumber(o, 'memory', 0, true);
  checkMemoryBudget(o.memory);
  checkNumber(o, 'maxRetries', 0, true, true);
  checkNumber(o, 'numReturns', 1, true);
  if (o.retryExceptions !== undefined && typeof o.retryExceptions !== 'boolean') {
    throw new TypeError('options.retryExceptions must be a boolean');
  }
  return {
    numCpus: o.numCpus ?? 1,
    memory: o.memory ?? 0,
    resources: checkResources(o.resources),
    maxRetries: unlimited(o.maxRetries ?? 3),
    retryExceptions: o.retryExceptions ?? false,
    numReturns: o.numReturns ?? 1,
    name: checkName(o.name) || defaultName,
    scheduling: resolveScheduling(o.schedulingStrategy),
  };
}

export function resolveActorOptions(o: ActorOptions): ResolvedActorOptions {
  checkNumber(o, 'numCpus', 0, false);
  checkNumber(o, 'memory', 0, true);
  checkMemoryBudget(o.memory);
  checkNumber(o, 'maxRestarts', 0, true, true);
  checkNumber(o, 'maxTaskRetries', 0, true, true);
  checkNumber(o, 'maxConcurrency', 1, true);
  return {
    name: checkName(o.name),
    numCpus: o.numCpus ?? 0,
    memory: o.memory ?? 0,
    resources: checkResources(o.resources),
    maxRestarts: unlimited(o.maxRestarts ?? 0),
    maxTaskRetries: unlimited(o.maxTaskRetries ?? 0),
    maxConcurrency: o.maxConcurrency ?? 1,
    scheduling: resolveScheduling(o.schedulingStrategy),
  };
}

/** The wire form of a scheduling strategy (TaskSpec.scheduling). */
function resolveScheduling(strategy: SchedulingStrategy | undefined): string {
  if (strategy === undefined || strategy === 'DEFAULT') return '';
  if (strategy === 'SPREAD') return 'SPREAD';
  if (
    typeof strategy === 'object' &&
    strategy !== null &&
    typeof strategy.nodeId === 'string' &&
    strategy.nodeId
  ) {
    if (strategy.soft !== undefined && typeof strategy.soft !== 'boolean') {
      throw new TypeError('options.schedulingStrategy.soft must be a boolean');
    }
    return `${strategy.soft ? 'node-soft' : 'node'}:${strategy.nodeId}`;
  }
  throw new TypeError(
    `options.schedulingStrategy must be 'DEFAULT', 'SPREAD' or { nodeId, soft }, got ${JSON.stringify(strategy)}`,
  );
}
