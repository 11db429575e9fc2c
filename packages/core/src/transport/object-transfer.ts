import type { WireError } from '../errors/wire.js';
import { ErrorCode } from '../errors/codes.js';
import { NodeDiedError } from '../errors/errors.js';
import type { ObjectResult, PeerMessage } from '../protocol/messages.js';
import { decodeBatch, directionTables, encodeBatch, WireDecodeError } from '../serialization/wire-codec.js';
import { peerMessages } from '../serialization/wire-tables.js';
import { WireClient } from './wire-client.js';
import { WireServer, type WirePeer } from './wire-server.js';

const peer = directionTables(peerMessages);
/** The header's error field when there is none (the table has no optional error). */
const NO_ERROR: WireError = { code: ErrorCode.TASK_ERROR, name: '', message: '' };
/** Chunks keep each socket.io message small enough to interleave with control traffic. */
const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

function send(
  socket: { send(frame: Uint8Array, payloads: Uint8Array[]): void },
  m: PeerMessage,
  payloads: Uint8Array[] = [],
) {
  const encoded = encodeBatch(peer.byType, [m]);
  socket.send(encoded.frame, [...encoded.payloads, ...payloads]);
}

function decode(frame: Uint8Array, payloads: Uint8Array[]): PeerMessage[] {
  return decodeBatch(peer.byUnion, frame, payloads) as PeerMessage[];
}

export interface ObjectServerOptions {
  token: string;
  host?: string;
  port?: number;
  log: (line: string) => void;
  /** The object as this node holds it, or undefined if it is not here. */
  read: (id: string) => ObjectResult | undefined;
  chunkBytes?: number;
}

/** Serves this node's objects to other nodes that pull them. */
export class ObjectServer {
  private readonly server: WireServer;
  bytesSent = 0;

  constructor(private readonly options: ObjectServerOptions) {
    this.server = new WireServer({
      token: options.token,
      host: options.host ?? '0.0.0.0',
      port: options.port ?? 0,
      log: options.log,
      onPeer: (p) => this.attach(p),
    });
  }

  listen(): Promise<number> {
    return this.server.listen();
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private attach(p: WirePeer): void {
    p.on('frame', (frame, payloads) => {
      let messages: PeerMessage[];
      try {
        messages = decode(frame, payloads);
      } catch (error) {
        this.options.log(
          `closing object connection from ${p.address}: ${(error as WireDecodeError).message}`,
        );
        p.close();
        return;
      }
      for (const m of messages) {
        if (m.type === 'pullObject') this.serve(p, m.reqId, m.id);
        else {
          this.options.log(`closing object connection from ${p.address}: unexpected '${m.type}'`);
          p.close();
          return;
        }
      }
    });
  }

  private serve(p: WirePeer, reqId: number, id: string): void {
    const result = this.options.read(id);
    const value = result?.value;
    send(p, {
      type: 'objectHeader',
      reqId,
      found: result !== undefined,
      header: value?.header ?? new Uint8Array(0),
      bufferSizes: value?.buffers.map((b) => b.byteLength) ?? [],
      refs: value?.refs ?? [],
      size: value?.size ?? 0,
      error: result?.error ?? NO_ERROR,
    });
    const chunk = this.options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    value?.buffers.forEach((buffer, index) => {
      for (let offset = 0; offset < buffer.byteLength; offset += chunk) {
        const bytes = new Uint8Array(buffer, offset, Math.min(chunk, buffer.byteLength - offset));
        send(p, { type: 'objectChunk', reqId, buffer: index, offset, payload: 0 }, [bytes]);
        this.bytesSent += bytes.byteLength;
      }
    });
  }
}

interface Pending {
  id: string;
  address: string;
  resolve: (result: ObjectResult | undefined) => void;
  reject: (error: Error) => void;
  header?: Extract<PeerMessage, { type: 'objectHeader' }>;
  buffers: SharedArrayBuffer[];
  missing: number;
}

export interface ObjectPullerOptions {
  token: string;
  nodeId: string;
  de2Version: string;
  log: (line: string) => void;
}

/** Pulls objects from the nodes that hold them, one connection per peer, reused. */
export class ObjectPuller {
  private readonly connections = new Map<string, Promise<WireClient>>();
  private readonly pending = new Map<number, Pending>();
  private nextReq = 1;
  bytesReceived = 0;

  constructor(private readonly options: ObjectPullerOptions) {}

  /** The object from the node at `address`; undefined when that node does not have it. */
  async pull(address: string, id: string): Promise<ObjectResult | undefined> {
    const client = await this.connect(address);
    const reqId = this.nextReq++;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { id, address, resolve, reject, buffers: [], missing: 0 });
      send(client, { type: 'pullObject', reqId, id });
    });
  }

  private connect(address: string): Promise<WireClient> {
    let connection = this.connections.get(address);
    if (!connection) {
      connection = WireClient.connect({
        address,
        token: this.options.token,
        role: 'node',
        nodeId: this.options.nodeId,
        de2Version: this.options.de2Version,
      }).then((client) => {
        client.on('frame', (frame, payloads) => this.receive(address, client, frame, payloads));
        client.on('close', () => this.lost(address));
        return client;
      });
      connection.catch(() => this.connections.delete(address));
      this.connections.set(address, connection);
    }
    return connection;
  }

  private receive(address: string, client: WireClient, frame: Uint8Array, payloads: Uint8Array[]): void {
    let messages: PeerMessage[];
    try {
      messages = decode(frame, payloads);
    } catch (error) {
      this.options.log(`closing object connection to ${address}: ${(error as Error).message}`);
      client.close();
      return;
    }
    for (const m of messages) {
      const p = this.pending.get(m.reqId);
      if (!p || m.type === 'pullObject') continue;
      if (m.type === 'objectHeader') {
        if (!m.found) {
          this.pending.delete(m.reqId);
          p.resolve(undefined);
          continue;
        }
        p.header = m;
        // Out-of-band buffers land in SharedArrayBuffers: worker threads read them in place.
        p.buffers = m.bufferSizes.map((size) => new SharedArrayBuffer(size));
        p.missing = m.bufferSizes.reduce((a, b) => a + b, 0);
      } else {
        const bytes = payloads[m.payload];
        const target = p.buffers[m.buffer];
        if (!bytes || !target || m.offset + bytes.byteLength > target.byteLength) {
          this.options.log(`closing object connection to ${address}: chunk out of range`);
          client.close();
          return;
        }
        new Uint8Array(target, m.offset, bytes.byteLength).set(bytes);
        p.missing -= bytes.byteLength;
        this.bytesReceived += bytes.byteLength;
      }
      if (p.header && p.missing === 0) this.complete(m.reqId, p);
    }
  }

  private complete(reqId: number, p: Pending): void {
    this.pending.delete(reqId);
    const h = p.header!;
    // An absent error table decodes as all defaults: a name marks a real error.
    if (h.error.name !== '') {
      p.resolve({ id: p.id, error: h.error });
      return;
    }
    p.resolve({ id: p.id, value: { header: h.header, buffers: p.buffers, refs: h.refs, size: h.size } });
  }

  private lost(address: string): void {
    this.connections.delete(address);
    for (const [reqId, p] of this.pending) {
      if (p.address !== address) continue;
      this.pending.delete(reqId);
      p.reject(new NodeDiedError(`the node at ${address} went away while sending object ${p.id}`));
    }
  }

  close(): void {
    for (const connection of this.connections.values())
      void connection.then(
        (c) => c.close(),
        () => {},
      );
    this.connections.clear();
  }
}
