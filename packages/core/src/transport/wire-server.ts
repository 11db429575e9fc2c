import { createServer, type Server as HttpServer } from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import {
  decodeHello,
  PROTOCOL_VERSION,
  REJOIN_REFUSED,
  type HelloMessage,
} from '../serialization/handshake.js';
import { tokensEqual } from './token.js';
import { fromEventArgs, toEventArgs } from './frame-events.js';
import { ErrorCode } from '../errors/codes.js';

/** socket.io events: one event carries a FlatBuffers frame and its payload bytes (see frame-events.ts). */
export interface WireEvents {
  m: (...args: unknown[]) => void;
}

export interface WireServerOptions {
  token: string;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Largest message accepted (frame + payloads); bigger ones close the connection. @default 64 MiB */
  maxMessageBytes?: number;
  log: (line: string) => void;
  onPeer: (peer: WirePeer) => void;
  /** How often the server pings each peer. @default 2000 */
  pingIntervalMs?: number;
  /** How long a ping may go unanswered before the peer counts as gone. @default 8000 */
  pingTimeoutMs?: number;
  /**
   * Whether a peer that asks to rejoin under its old id may (a restarted head admits only
   * the nodes of the head it replaces, within its grace period). @default none may
   */
  mayRejoin?: (nodeId: string) => boolean;
}

/** Why a connection was refused; sent to the peer in socket.io's connect_error `data`. */
export interface RefusalData {
  code: typeof ErrorCode.AUTHENTICATION | typeof ErrorCode.PROTOCOL_MISMATCH | typeof REJOIN_REFUSED;
  serverProtocolVersion: number;
}

function refusal(message: string, code: RefusalData['code']): Error & { data: RefusalData } {
  return Object.assign(new Error(message), { data: { code, serverProtocolVersion: PROTOCOL_VERSION } });
}

/** One authenticated connection (a node or a driver) as the server sees it. */
export class WirePeer extends EventEmitter<{
  frame: [frame: Uint8Array, payloads: Uint8Array[]];
  close: [reason: string];
}> {
  constructor(
    private readonly socket: Socket<WireEvents, WireEvents>,
    readonly hello: HelloMessage,
    readonly address: string,
  ) {
    super();
  }

  send(frame: Uint8Array, payloads: Uint8Array[] = []): void {
    this.socket.emit('m', ...toEventArgs(frame, payloads));
  }

  /**
   * Bytes sent and not yet written to the network: packets engine.io holds while the previous
   * write is under way, and the WebSocket's buffer. Neither is in socket.io's types.
   */
  bufferedBytes(): number {
    const conn = this.socket.conn as unknown as {
      writeBuffer?: { data?: unknown }[];
      transport?: { socket?: { bufferedAmount?: number } };
    };
    let bytes = conn.transport?.socket?.bufferedAmount ?? 0;
    for (const packet of conn.writeBuffer ?? []) {
      const data = packet.data;
      bytes += typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : 0;
    }
    return bytes;
  }

  /** Closes the connection; `reason` is logged by the caller. */
  close(): void {
    this.socket.disconnect(true);
  }
}

/** The head's socket.io server: admits token holders of our protocol version, nobody else. */
export class WireServer {
  private readonly http: HttpServer;
  private readonly io: Server<WireEvents, WireEvents>;

  constructor(private readonly options: WireServerOptions) {
    const maxMessageBytes = options.maxMessageBytes ?? 64 * 1024 * 1024;
    this.http = createServer();
    this.io = new Server<WireEvents, WireEvents>(this.http, {
      maxHttpBufferSize: maxMessageBytes,
      transports: ['websocket'],
      serveClient: false,
      // Heartbeats: a peer cut off from the network is noticed within ~10 s (a killed process at
      // once, by its closed socket), while a driver busy for a few seconds is not taken for dead.
      pingInterval: options.pingIntervalMs ?? 2000,
      pingTimeout: options.pingTimeoutMs ?? 8000,
    });
    // Runs on the handshake, before the connection exists and before any message is read.
    this.io.use((socket, next) => {
      const peer = socket.handshake.address;
      const auth = socket.handshake.auth as { token?: unknown; hello?: unknown };
      if (!tokensEqual(options.token, auth.token)) {
        options.log(
          `refused connection from ${peer}: ${auth.token === undefined ? 'no token' : 'wrong token'}`,
        );
        next(refusal('the cluster token is missing or wrong', ErrorCode.AUTHENTICATION));
        return;
      }
      let hello: HelloMessage;
      try {
        if (typeof auth.hello !== 'string') throw new Error('no hello');
        hello = decodeHello(Buffer.from(auth.hello, 'base64'));
      } catch {
        options.log(`refused connection from ${peer}: unreadable hello`);
        next(
          refusal(
            'the handshake is unreadable: is the peer a de2 node or driver?',
            ErrorCode.PROTOCOL_MISMATCH,
          ),
        );
        return;
      }
      if (hello.protocolVersion !== PROTOCOL_VERSION) {
        const message =
          `protocol version mismatch: this head speaks de2 protocol ${PROTOCOL_VERSION}, ` +
          `the peer (de2 ${hello.de2Version}) speaks protocol ${hello.protocolVersion}; install the same de2 version on every machine`;
        options.log(`refused connection from ${peer}: ${message}`);
        next(refusal(message, ErrorCode.PROTOCOL_MISMATCH));
        return;
      }
      if (hello.rejoin && !(options.mayRejoin?.(hello.nodeId) ?? false)) {
        const message =
          `this head does not know node ${hello.nodeId} (it was declared dead, or the head restarted ` +
          'without it, or after its grace period): join as a new node';
        options.log(
          `refused rejoin of ${hello.role} ${hello.nodeId} from ${peer}: not in this head's tables`,
        );
        next(refusal(message, REJOIN_REFUSED));
        return;
      }
      socket.data = { hello };
      next();
    });
    this.io.on('connection', (socket) => {
      const hello = (socket.data as { hello: HelloMessage }).hello;
      const peer = new WirePeer(socket, hello, socket.handshake.address);
      socket.onAny((event: string, ...args: unknown[]) => {
        const parts = event === 'm' ? fromEventArgs(args) : undefined;
        if (!parts) {
          options.log(`closing connection from ${peer.address}: unexpected event '${event}'`);
          socket.disconnect(true);
          return;
        }
        peer.emit('frame', parts.frame, parts.payloads);
      });
      socket.on('disconnect', (reason) => peer.emit('close', reason));
      options.onPeer(peer);
    });
  }

  /** Starts listening; resolves with the port (useful with port 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host ?? '0.0.0.0', () => resolve());
    });
    return (this.http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.io.close();
  }
}
