import type { Channel } from '../protocol/channel.js';
import type { HeadToNode, NodeToHead } from '../protocol/messages.js';
import { decodeBatch, directionTables, encodeBatch, WireDecodeError } from '../serialization/wire-codec.js';
import { toHeadMessages, toNodeMessages } from '../serialization/wire-tables.js';

/** Either end of a socket.io connection: a WireClient (node side) or a WirePeer (head side). */
export interface FrameSocket {
  send(frame: Uint8Array, payloads: Uint8Array[]): void;
  on(event: 'frame', handler: (frame: Uint8Array, payloads: Uint8Array[]) => void): unknown;
  on(event: 'close', handler: (reason: string) => void): unknown;
  close(): void;
  /** Bytes handed to the socket and not yet written to the network (for backpressure). */
  bufferedBytes?(): number;
}

/**
 * Large payloads (a big typed array passed straight to a task) travel in pieces of at most
 * this size: socket.io sends each piece as its own WebSocket message, and the server caps
 * one message at `maxMessageBytes`.
 */
export const PAYLOAD_PIECE_BYTES = 8 * 1024 * 1024;
/** Pieces per socket.io event: with the frame and the manifest, socket.io's limit of 10 attachments. */
const PIECES_PER_EVENT = 8;
/**
 * Most messages in one frame (a submit is about 300 bytes encoded: some MB a frame). A
 * message that lists ids counts one more per id: the 100 subscribes of 10,000 ids each of a
 * `get` of a million refs made one frame, which the head then spent over 10 s on in one go.
 */
const MESSAGES_PER_FRAME = 10_000;

/** How much of a frame's MESSAGES_PER_FRAME a message takes. */
function frameWeight(message: object): number {
  const ids = (message as { ids?: unknown }).ids;
  return Array.isArray(ids) ? 1 + ids.length : 1;
}

/**
 * Most bytes a socket may hold unwritten before the channel stops handing it frames. The
 * connection's heartbeat answers (socket.io's pongs) queue behind whatever the socket holds:
 * a driver that submitted a million tasks had 86 MB queued ahead of its pong, more than the
 * head could read in the 8 s the heartbeat allows, and the head dropped it. Held back here,
 * messages wait as the objects they already are, not as encoded frames.
 */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** How often a channel held back by a full socket looks again. */
const BACKPRESSURE_POLL_MS = 2;

/** Most bytes of pieces held for one batch (4 GiB). */
const MAX_PENDING_BYTES = 4 * 2 ** 30;

/** [manifest, ...pieces]: the manifest (Uint32 per payload) says how many pieces each has. */
export function splitPayloads(payloads: Uint8Array[], pieceBytes = PAYLOAD_PIECE_BYTES): Uint8Array[] {
  const manifest = new Uint32Array(payloads.length);
  const pieces: Uint8Array[] = [];
  payloads.forEach((payload, i) => {
    let count = 0;
    for (let offset = 0; offset < payload.byteLength || count === 0; offset += pieceBytes, count++) {
      pieces.push(payload.subarray(offset, Math.min(payload.byteLength, offset + pieceBytes)));
    }
    manifest[i] = count;
  });
  return [new Uint8Array(manifest.buffer), ...pieces];
}

/** Rebuilds the payloads from [manifest, ...pieces], each into a SharedArrayBuffer (the store keeps those). */
export function joinPayloads(parts: Uint8Array[]): Uint8Array[] {
  const [manifestBytes, ...pieces] = parts;
  if (!manifestBytes || manifestBytes.byteLength % 4 !== 0)
    throw new WireDecodeError('missing payload manifest');
  const counts = new Uint32Array(Uint8Array.from(manifestBytes).buffer);
  let total = 0;
  for (const c of counts) total += c;
  if (total !== pieces.length)
    throw new WireDecodeError(`payload manifest lists ${total} pieces, ${pieces.length} came`);
  const payloads: Uint8Array[] = [];
  let next = 0;
  for (const count of counts) {
    const mine = pieces.slice(next, next + count);
    next += count;
    const size = mine.reduce((sum, p) => sum + p.byteLength, 0);
    const joined = new Uint8Array(new SharedArrayBuffer(size));
    let offset = 0;
    for (const p of mine) {
      joined.set(p, offset);
      offset += p.byteLength;
    }
    payloads.push(joined);
  }
  return payloads;
}

const toHead = directionTables(toHeadMessages);
const toNode = directionTables(toNodeMessages);

/**
 * The runtime's Channel over a socket: messages sent in one turn of the event loop travel
 * as one FlatBuffers batch. A frame that does not decode closes the connection (the peer
 * is broken or hostile); nothing else is affected.
 */
class SocketChannel<Out extends { type: string }, In> implements Channel<Out, In> {
  private queue: Out[] = [];
  /** Messages at the head of `queue` already sent (a long queue goes out over several turns). */
  private sent = 0;
  private scheduled = false;
  private handler: (message: In) => void = () => {};
  private readonly closeHandlers: (() => void)[] = [];
  private closed = false;
  /** Pieces that arrived in continuation events, waiting for their batch's frame. */
  private pendingPieces: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly socket: FrameSocket,
    private readonly outTables: ReturnType<typeof directionTables>,
    inTables: ReturnType<typeof directionTables>,
    private readonly log: (line: string) => void,
    private readonly peerName: string,
    private readonly maxBufferedBytes = MAX_BUFFERED_BYTES,
  ) {
    socket.on('frame', (frame, payloads) => {
      if (this.closed) return;
      if (frame.byteLength === 0) {
        // A continuation: more pieces of the next batch. One without pieces, or pieces beyond
        // any sane batch, is a broken or hostile peer.
        this.pendingBytes += payloads.reduce((sum, p) => sum + p.byteLength, 0);
        if (payloads.length === 0 || this.pendingBytes > MAX_PENDING_BYTES) {
          this.log(`closing connection from ${this.peerName}: bad continuation`);
          this.close();
          return;
        }
        this.pendingPieces.push(...payloads);
        return;
      }
      this.pendingBytes = 0;
      const [manifest, ...pieces] = payloads;
      // A batch without payloads has no manifest either (see flush).
      const parts = manifest ? [manifest, ...this.pendingPieces, ...pieces] : this.pendingPieces;
      this.pendingPieces = [];
      let messages: In[];
      try {
        messages = decodeBatch(inTables.byUnion, frame, parts.length ? joinPayloads(parts) : []) as In[];
      } catch (error) {
        const why = error instanceof WireDecodeError ? error.message : String(error);
        this.log(`closing connection from ${this.peerName}: ${why}`);
        this.close();
        return;
      }
      for (const message of messages) this.handler(message);
    });
    socket.on('close', () => this.markClosed());
  }

  send(message: Out): void {
    if (this.closed) return;
    this.queue.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === this.sent || this.closed) return;
    if ((this.socket.bufferedBytes?.() ?? 0) > this.maxBufferedBytes) {
      // The peer reads slower than this side writes: wait for the socket to drain.
      this.scheduled = true;
      setTimeout(this.flush, BACKPRESSURE_POLL_MS);
      return;
    }
    // A million submits made in one turn would be one frame over the peer's message limit
    // (socket.io then drops the connection), and encoding them all at once would keep this
    // thread from answering heartbeats: at most MESSAGES_PER_FRAME a frame, one frame a
    // turn, in order (messages sent meanwhile queue behind the rest).
    let end = this.sent;
    for (let weight = 0; end < this.queue.length && weight < MESSAGES_PER_FRAME; end++) {
      weight += frameWeight(this.queue[end]!);
    }
    const batch =
      this.sent === 0 && end === this.queue.length ? this.queue : this.queue.slice(this.sent, end);
    if (end === this.queue.length) {
      this.queue = [];
      this.sent = 0;
    } else {
      this.sent = end;
      this.scheduled = true;
      setImmediate(this.flush);
    }
    this.sendBatch(batch);
  };

  private sendBatch(batch: Out[]): void {
    const { frame, payloads } = encodeBatch(this.outTables.byType, batch);
    if (payloads.length === 0) return this.socket.send(frame, []);
    const [manifest, ...pieces] = splitPayloads(payloads) as [Uint8Array, ...Uint8Array[]];
    // socket.io accepts at most 10 binary attachments per event: send pieces ahead in
    // continuation events (empty frame) and the frame with the manifest and the last ones.
    let next = 0;
    for (; pieces.length - next > PIECES_PER_EVENT; next += PIECES_PER_EVENT) {
      this.socket.send(new Uint8Array(0), pieces.slice(next, next + PIECES_PER_EVENT));
    }
    this.socket.send(frame, [manifest, ...pieces.slice(next)]);
  }

  onMessage(handler: (message: In) => void): void {
    this.handler = handler;
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers) h();
  }

  close(): void {
    this.socket.close();
    this.markClosed();
  }
}

/** The node's end of its connection to the head. */
export function nodeToHeadChannel(
  socket: FrameSocket,
  log: (line: string) => void,
  peer = 'head',
  maxBufferedBytes = MAX_BUFFERED_BYTES,
) {
  return new SocketChannel<NodeToHead, HeadToNode>(socket, toHead, toNode, log, peer, maxBufferedBytes);
}

/** The head's end of its connection to one node (or driver). */
export function headToNodeChannel(
  socket: FrameSocket,
  log: (line: string) => void,
  peer: string,
  maxBufferedBytes = MAX_BUFFERED_BYTES,
) {
  return new SocketChannel<HeadToNode, NodeToHead>(socket, toNode, toHead, log, peer, maxBufferedBytes);
}
