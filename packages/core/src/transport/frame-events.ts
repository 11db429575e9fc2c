/**
 * How a frame and its payloads ride on one socket.io event. socket.io sends every binary
 * attachment as a WebSocket message of its own after a text header, so a frame with no
 * payloads (nearly every control batch) travels as base64 text instead: one WebSocket
 * message and one write, not two. Frames with payloads stay binary (no copies, no inflation).
 */
export function toEventArgs(frame: Uint8Array, payloads: Uint8Array[]): unknown[] {
  if (payloads.length === 0 && frame.byteLength > 0) {
    return [Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString('base64')];
  }
  return [frame, ...payloads];
}

/** The frame and payloads of an event, or undefined when its arguments are not ours. */
export function fromEventArgs(
  args: readonly unknown[],
): { frame: Uint8Array; payloads: Uint8Array[] } | undefined {
  const [first, ...rest] = args;
  if (!rest.every(isBytes)) return undefined;
  if (typeof first === 'string') {
    if (rest.length > 0) return undefined;
    return { frame: Buffer.from(first, 'base64'), payloads: [] };
  }
  return isBytes(first) ? { frame: first, payloads: rest } : undefined;
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}
