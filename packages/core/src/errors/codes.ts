/** Stable error codes: these, not classes, cross threads and the wire. */
export const ErrorCode = {
  TASK_ERROR: 'TASK_ERROR',
  WORKER_CRASHED: 'WORKER_CRASHED',
  NODE_DIED: 'NODE_DIED',
  ACTOR_DIED: 'ACTOR_DIED',
  OBJECT_LOST: 'OBJECT_LOST',
  GET_TIMEOUT: 'GET_TIMEOUT',
  TASK_CANCELLED: 'TASK_CANCELLED',
  OUT_OF_MEMORY: 'OUT_OF_MEMORY',
  SERIALIZATION: 'SERIALIZATION',
  AUTHENTICATION: 'AUTHENTICATION',
  OBJECT_STORE_FULL: 'OBJECT_STORE_FULL',
  PROTOCOL_MISMATCH: 'PROTOCOL_MISMATCH',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
