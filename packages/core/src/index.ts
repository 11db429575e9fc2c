/**
 * @de2/core: Ray's programming model for Node.js.
 *
 * @example
 * ```ts
 * import { init, remote, get } from '@de2/core';
 * await init();
 * const square = remote((x: number) => x * x);
 * console.log(await get(square.remote(4))); // 16
 * ```
 * @packageDocumentation
 */
export { ErrorCode } from './errors/codes.js';
export {
  De2Error,
  TaskError,
  WorkerCrashedError,
  NodeDiedError,
  ActorDiedError,
  ObjectLostError,
  GetTimeoutError,
  TaskCancelledError,
  OutOfMemoryError,
  SerializationError,
  AuthenticationError,
  ObjectStoreFullError,
  ProtocolMismatchError,
  type ErrorContext,
} from './errors/errors.js';
export { PROTOCOL_VERSION } from './serialization/handshake.js';
export {
  InfeasibleTaskError,
  NotSupportedError,
  RuntimeEnvError,
  NotInitializedError,
  AlreadyInitializedError,
} from './errors/errors.js';
export { init, shutdown, isInitialized, type InitOptions, type RuntimeInfo } from './api/init.js';
export type { RuntimeEnv } from './runtime-env/options.js';
export { workingDir } from './api/runtime-context.js';
export {
  remote,
  put,
  get,
  wait,
  cancel,
  kill,
  getActor,
  nodes,
  clusterResources,
  availableResources,
  type GetOptions,
  type WaitOptions,
} from './api/functions.js';
export { ObjectRef } from './protocol/object-ref.js';
export {
  createObject,
  free,
  MAX_TYPED_ARRAY_LENGTH,
  type ObjectBuilder,
  type TypedArrayConstructor,
} from './api/create-object.js';
export { RemoteFunction } from './api/remote-function.js';
export { ActorClass } from './api/actor.js';
export type { RemoteOptions, ActorOptions } from './api/options.js';
export { MIN_MEMORY_BUDGET } from './api/options.js';
export type { ActorHandle, ActorMethod, RemoteArgs, RemoteReturn } from './api/types.js';
export type { NodeInfo } from './protocol/messages.js';
export type { DashboardSettings } from './dashboard/start-dashboard.js';
