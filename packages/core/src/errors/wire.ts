import { ErrorCode } from './codes.js';
import {
  ActorDiedError,
  AlreadyInitializedError,
  AuthenticationError,
  De2Error,
  GetTimeoutError,
  InfeasibleTaskError,
  NotSupportedError,
  RuntimeEnvError,
  NodeDiedError,
  NotInitializedError,
  ObjectLostError,
  ObjectStoreFullError,
  OutOfMemoryError,
  ProtocolMismatchError,
  SerializationError,
  TaskCancelledError,
  TaskError,
  WorkerCrashedError,
  type ErrorContext,
} from './errors.js';

/** The plain-object form of an error, safe to send between threads and nodes. */
export interface WireError {
  code: ErrorCode;
  message: string;
  name: string;
  stack?: string;
  functionName?: string;
  taskId?: string;
  nodeId?: string;
  actorId?: string;
  objectId?: string;
}

/** Where an error happened, as its wire form carries it (everything but code, name and message). */
export type WireContext = Omit<Partial<WireError>, 'code' | 'name' | 'message'>;

/** Codes of the errors de2 itself raises; TASK_ERROR is the user's error and keeps the user's name. */
export type De2ErrorCode = Exclude<ErrorCode, typeof ErrorCode.TASK_ERROR>;

/**
 * The one way to make a de2 error's wire form: the name is derived from the code (the class
 * `fromWire` rebuilds), so the two never disagree. `context` may be another wire error, whose
 * context fields (and stack) are kept while its code, name and message are replaced.
 */
export function wireError(code: De2ErrorCode, message: string, context: WireContext = {}): WireError {
  const { code: _code, name: _name, message: _message, ...kept } = context as Partial<WireError>;
  return { ...kept, code, name: classes[code].name, message };
}

/** Converts any thrown value into its wire form; a non-de2 error becomes a TASK_ERROR. */
export function toWire(error: unknown, functionName = '<unknown>'): WireError {
  if (error instanceof TaskError) {
    return {
      code: error.code,
      name: error.remoteName,
      message: error.remoteMessage,
      ...(error.remoteStack === undefined ? {} : { stack: error.remoteStack }),
      functionName: error.functionName,
      ...contextOf(error),
    };
  }
  if (error instanceof De2Error) {
    return { code: error.code, name: error.name, message: error.message, ...contextOf(error) };
  }
  if (error instanceof Error) {
    return {
      code: ErrorCode.TASK_ERROR,
      name: error.name,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      functionName,
    };
  }
  return { code: ErrorCode.TASK_ERROR, name: 'Error', message: String(error), functionName };
}

function contextOf(e: De2Error): ErrorContext {
  const out: { taskId?: string; nodeId?: string; actorId?: string; objectId?: string } = {};
  if (e.taskId !== undefined) out.taskId = e.taskId;
  if (e.nodeId !== undefined) out.nodeId = e.nodeId;
  if (e.actorId !== undefined) out.actorId = e.actorId;
  if (e.objectId !== undefined) out.objectId = e.objectId;
  return out;
}

const classes = {
  [ErrorCode.WORKER_CRASHED]: WorkerCrashedError,
  [ErrorCode.NODE_DIED]: NodeDiedError,
  [ErrorCode.ACTOR_DIED]: ActorDiedError,
  [ErrorCode.OBJECT_LOST]: ObjectLostError,
  [ErrorCode.GET_TIMEOUT]: GetTimeoutError,
  [ErrorCode.TASK_CANCELLED]: TaskCancelledError,
  [ErrorCode.OUT_OF_MEMORY]: OutOfMemoryError,
  [ErrorCode.SERIALIZATION]: SerializationError,
  [ErrorCode.AUTHENTICATION]: AuthenticationError,
  [ErrorCode.OBJECT_STORE_FULL]: ObjectStoreFullError,
  [ErrorCode.PROTOCOL_MISMATCH]: ProtocolMismatchError,
  [ErrorCode.INFEASIBLE_TASK]: InfeasibleTaskError,
  [ErrorCode.NOT_SUPPORTED]: NotSupportedError,
  [ErrorCode.RUNTIME_ENV]: RuntimeEnvError,
  [ErrorCode.NOT_INITIALIZED]: NotInitializedError,
  [ErrorCode.ALREADY_INITIALIZED]: AlreadyInitializedError,
} as const;

/**
 * Rebuilds the error class from its wire form. `callerStack`, when given, is appended so
 * that the error shows where the caller asked for the value as well as where it failed.
 */
export function fromWire(wire: WireError, callerStack?: string): De2Error {
  const context: ErrorContext = {
    ...(wire.taskId === undefined ? {} : { taskId: wire.taskId }),
    ...(wire.nodeId === undefined ? {} : { nodeId: wire.nodeId }),
    ...(wire.actorId === undefined ? {} : { actorId: wire.actorId }),
    ...(wire.objectId === undefined ? {} : { objectId: wire.objectId }),
  };
  const error =
    wire.code === ErrorCode.TASK_ERROR
      ? new TaskError(wire.functionName ?? '<unknown>', wire, context)
      : new classes[wire.code](wire.message, context);
  if (callerStack) error.stack = `${error.stack ?? ''}\n--- caller ---\n${callerStack}`;
  return error;
}
