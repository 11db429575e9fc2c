import * as flatbuffers from 'flatbuffers';
import { Hello, PeerRole } from '../generated/handshake_generated.js';

/**
 * Version of the wire protocol (docs/protocol.md). Peers with a different version are
 * refused at the handshake; de2 patch releases keep it unchanged so they interoperate.
 */
export const PROTOCOL_VERSION = 4;

/** The handshake refusal of a rejoin (connect_error data code): join as a new node. */
export const REJOIN_REFUSED = 'REJOIN_REFUSED';

export const Role = { node: 'node', driver: 'driver' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** What a node or driver says first. */
export interface HelloMessage {
  protocolVersion: number;
  de2Version: string;
  role: Role;
  nodeId: string;
  /** Comes back under its old id to a restarted head (see docs/architecture.md). */
  rejoin?: boolean;
}

export function encodeHello(message: HelloMessage): Uint8Array {
  const builder = new flatbuffers.Builder(128);
  const de2Version = builder.createString(message.de2Version);
  const nodeId = builder.createString(message.nodeId);
  Hello.startHello(builder);
  Hello.addProtocolVersion(builder, message.protocolVersion);
  Hello.addDe2Version(builder, de2Version);
  Hello.addRole(builder, message.role === Role.driver ? PeerRole.Driver : PeerRole.Node);
  Hello.addNodeId(builder, nodeId);
  Hello.addRejoin(builder, message.rejoin === true);
  builder.finish(Hello.endHello(builder));
  return builder.asUint8Array();
}

export function decodeHello(bytes: Uint8Array): HelloMessage {
  const hello = Hello.getRootAsHello(new flatbuffers.ByteBuffer(bytes));
  return {
    protocolVersion: hello.protocolVersion(),
    de2Version: hello.de2Version() ?? '',
    role: hello.role() === PeerRole.Driver ? Role.driver : Role.node,
    nodeId: hello.nodeId() ?? '',
    rejoin: hello.rejoin(),
  };
}
