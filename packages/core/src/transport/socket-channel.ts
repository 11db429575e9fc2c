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
  private scheduled = false;
  private handler: (message: In) => void = () => {};
  private readonly closeHandlers: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly socket: FrameSocket,
    private readonly outTables: ReturnType<typeof directionTables>,
    inTables: ReturnType<typeof directionTables>,
    private readonly log: (line: string) => void,
    private readonly peerName: string,
  ) {
    socket.on('frame', (frame, payloads) => {
      if (this.closed) return;
      let messages: In[];
      try {
        messages = decodeBatch(inTables.byUnion, frame, payloads) as In[];
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
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0 || this.closed) return;
    const { frame, payloads } = encodeBatch(this.outTables.byType, batch);
    this.socket.send(frame, payloads);
  };

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
export function nodeToHeadChannel(socket: FrameSocket, log: (line: string) => void, peer = 'head') {
  return new SocketChannel<NodeToHead, HeadToNode>(socket, toHead, toNode, log, peer);
}

/** The head's end of its connection to one node (or driver). */
export function headToNodeChannel(socket: FrameSocket, log: (line: string) => void, peer: string) {
  return new SocketChannel<HeadToNode, NodeToHead>(socket, toNode, toHead, log, peer);
}
