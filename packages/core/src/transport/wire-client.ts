import { EventEmitter } from 'node:events';
import { io, type Socket } from 'socket.io-client';
import { encodeHello, PROTOCOL_VERSION, REJOIN_REFUSED, type Role } from '../serialization/handshake.js';
import { AuthenticationError, ProtocolMismatchError, De2Error, NodeDiedError } from '../errors/errors.js';
import { ErrorCode } from '../errors/codes.js';
import type { RefusalData, WireEvents } from './wire-server.js';
import { fromEventArgs, toEventArgs } from './frame-events.js';

export interface WireClientOptions {
  /** HOST:PORT of the head. */
  address: string;
  token: string;
  role: Role;
  nodeId: string;
  de2Version: string;
  /** Give up connecting after this long. @default 10000 */
  connectTimeoutMs?: number;
  /** Come back under `nodeId` to a head that restarted (see RejoinRefusedError). */
  rejoin?: boolean;
}

/** The head does not take this node back under its old id: it must join as a new node. */
export class RejoinRefusedError extends De2Error {
  constructor(message: string) {
    super(ErrorCode.NODE_DIED, message);
  }
}

/** A node's or driver's connection to the head. */
export class WireClient extends EventEmitter<{
  frame: [frame: Uint8Array, payloads: Uint8Array[]];
  close: [reason: string];
}> {
  private readonly socket: Socket<WireEvents, WireEvents>;

  private constructor(socket: Socket<WireEvents, WireEvents>) {
    super();
    this.socket = socket;
    socket.on('m', (...args) => {
      const parts = fromEventArgs(args);
      // Only the head talks on this socket: anything unreadable means a broken peer.
      if (!parts) return this.close();
      this.emit('frame', parts.frame, parts.payloads);
    });
    socket.on('disconnect', (reason) => this.emit('close', reason));
  }

  /** Connects and completes the handshake; rejects with AuthenticationError or ProtocolMismatchError. */
  static connect(options: WireClientOptions): Promise<WireClient> {
    const hello = encodeHello({
      protocolVersion: PROTOCOL_VERSION,
      de2Version: options.de2Version,
      role: options.role,
      nodeId: options.nodeId,
      rejoin: options.rejoin === true,
    });
    const socket: Socket<WireEvents, WireEvents> = io(`ws://${options.address}`, {
      transports: ['websocket'],
      reconnection: false,
      timeout: options.connectTimeoutMs ?? 10_000,
      auth: { token: options.token, hello: Buffer.from(hello).toString('base64') },
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new WireClient(socket)));
      socket.once('connect_error', (error: Error & { data?: RefusalData }) => {
        socket.close();
        reject(connectError(options.address, error));
      });
    });
  }

  send(frame: Uint8Array, payloads: Uint8Array[] = []): void {
    this.socket.emit('m', ...toEventArgs(frame, payloads));
  }

  /** Bytes sent and not yet written to the network: the WebSocket's buffer (socket.io keeps no other). */
  bufferedBytes(): number {
    // Not in socket.io-client's types: its engine's websocket transport holds a `ws` WebSocket.
    const engine = this.socket.io.engine as unknown as { transport?: { ws?: { bufferedAmount?: number } } };
    return engine.transport?.ws?.bufferedAmount ?? 0;
  }

  close(): void {
    this.socket.close();
  }
}

function connectError(address: string, error: Error & { data?: RefusalData }): De2Error {
  if (error.data?.code === ErrorCode.AUTHENTICATION) {
    return new AuthenticationError(
      `the head at ${address} refused the cluster token: pass the token printed by ` +
        '`de2-node start --head` with --token, DE2_TOKEN or ~/.de2/token',
    );
  }
  if (error.data?.code === REJOIN_REFUSED) return new RejoinRefusedError(error.message);
  if (error.data?.code === ErrorCode.PROTOCOL_MISMATCH) {
    return new ProtocolMismatchError(error.message);
  }
  return new NodeDiedError(`cannot reach a de2 head at ${address}: ${error.message}`, { cause: error });
}
