import { ErrorCode } from './codes.js';

/** Context that an error may carry about where it happened. */
export interface ErrorContext {
  readonly taskId?: string;
  readonly nodeId?: string;
  readonly actorId?: string;
  readonly objectId?: string;
  readonly cause?: unknown;
}

/**
 * Base class of every de2 error: a stable `code` plus context fields (and `cause`). Tune's
 * TuneError, cloud's CloudError and forest's ForestError follow the same pattern: code first,
 * then message, then `cause` in the last argument; `name` is the class's name.
 */
export class De2Error extends Error {
  readonly code: ErrorCode;
  readonly taskId?: string;
  readonly nodeId?: string;
  readonly actorId?: string;
  readonly objectId?: string;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    if (context.taskId !== undefined) this.taskId = context.taskId;
    if (context.nodeId !== undefined) this.nodeId = context.nodeId;
    if (context.actorId !== undefined) this.actorId = context.actorId;
    if (context.objectId !== undefined) this.objectId = context.objectId;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** A user's task or actor method threw; carries the remote error's name, message and stack. */
export class TaskError extends De2Error {
  readonly remoteName: string;
  readonly remoteMessage: string;
  readonly remoteStack: string | undefined;
  /** The remote function or `Class.method` that threw. */
  readonly functionName: string;

  constructor(
    functionName: string,
    remote: { name: string; message: string; stack?: string | undefined },
    context: ErrorContext = {},
  ) {
    super(ErrorCode.TASK_ERROR, `${functionName} failed: ${remote.name}: ${remote.message}`, context);
    this.functionName = functionName;
    this.remoteName = remote.name;
    this.remoteMessage = remote.message;
    this.remoteStack = remote.stack;
    if (remote.stack) this.stack = `${this.name}: ${this.message}\n--- remote stack ---\n${remote.stack}`;
  }
}

function simple<C extends ErrorCode>(code: C) {
  return class extends De2Error {
    constructor(message: string, context: ErrorContext = {}) {
      super(code, message, context);
    }
  };
}

/** The worker thread running a task died (process.exit, native crash) and retries ran out. */
export class WorkerCrashedError extends simple(ErrorCode.WORKER_CRASHED) {}
/** The node running a task or holding an actor died. */
export class NodeDiedError extends simple(ErrorCode.NODE_DIED) {}
/** The actor is dead (killed, crashed past `maxRestarts`, or its node died). */
export class ActorDiedError extends simple(ErrorCode.ACTOR_DIED) {}
/** Every copy of an object is gone and it cannot be rebuilt. */
export class ObjectLostError extends simple(ErrorCode.OBJECT_LOST) {}
/** `get` did not see the value within `timeoutMs`. */
export class GetTimeoutError extends simple(ErrorCode.GET_TIMEOUT) {}
/** The task was cancelled with `cancel()`. */
export class TaskCancelledError extends simple(ErrorCode.TASK_CANCELLED) {}
/** The task went over its `memory` budget; it failed alone. */
export class OutOfMemoryError extends simple(ErrorCode.OUT_OF_MEMORY) {}
/** A value could not be serialized (structured clone); the message names where. */
export class SerializationError extends simple(ErrorCode.SERIALIZATION) {}
/** A node or driver presented no token or the wrong one. */
export class AuthenticationError extends simple(ErrorCode.AUTHENTICATION) {}
/** The object store is full and nothing more can be spilled. */
export class ObjectStoreFullError extends simple(ErrorCode.OBJECT_STORE_FULL) {}
/** The peer speaks another protocol version. */
export class ProtocolMismatchError extends simple(ErrorCode.PROTOCOL_MISMATCH) {}
/** No node of the cluster can ever offer what the task asks for (CPUs, memory, resources). */
export class InfeasibleTaskError extends simple(ErrorCode.INFEASIBLE_TASK) {}
/** The feature exists in the API but not yet in this runtime (for example `init({ address })`). */
export class NotSupportedError extends simple(ErrorCode.NOT_SUPPORTED) {}
/**
 * A job's runtime environment could not be packed (at `init`) or set up on a node (unpacking,
 * installing its npm dependencies): the message says which node, which package and why.
 */
export class RuntimeEnvError extends simple(ErrorCode.RUNTIME_ENV) {}
/** An API call (`get`, `put`, `.remote()`, ...) before `init()`, or after `shutdown()`. */
export class NotInitializedError extends simple(ErrorCode.NOT_INITIALIZED) {}
/** `init()` while de2 is already initialized in this thread: call `shutdown()` first. */
export class AlreadyInitializedError extends simple(ErrorCode.ALREADY_INITIALIZED) {}
