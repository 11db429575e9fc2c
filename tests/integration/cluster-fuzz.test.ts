import { expect } from 'chai';
import * as flatbuffers from 'flatbuffers';
import { io, type Socket } from 'socket.io-client';
import { get, init, remote, shutdown } from '@de2/core';
import { startTestCluster, type TestCluster } from '../helpers/test-cluster.js';
import { encodeHello, PROTOCOL_VERSION } from '../../packages/core/src/serialization/handshake.js';
import { directionTables, encodeBatch } from '../../packages/core/src/serialization/wire-codec.js';
import { toHeadMessages, toNodeMessages } from '../../packages/core/src/serialization/wire-tables.js';
import * as g from '../../packages/core/src/generated/cluster_generated.js';

const toHead = directionTables(toHeadMessages);
const toNode = directionTables(toNodeMessages);

let seed = 20261127;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/**
 * A well-formed frame that is still out of order (work before registerNode): whatever a
 * mutation or cut leaves of it is either unreadable or out of order, so the head must
 * close the connection every time.
 */
function outOfOrderFrame(nodeId: string): Uint8Array {
  return encodeBatch(toHead.byType, [
    { type: 'subscribe', nodeId, ids: ['a', 'b'] },
    { type: 'taskFinished', nodeId, taskIds: ['t'], runMs: [1], failedIds: [] },
  ]).frame;
}

function unknownType(): Uint8Array {
  const b = new flatbuffers.Builder(64);
  g.HolderGone.startHolderGone(b);
  const table = g.HolderGone.endHolderGone(b);
  const types = g.Batch.createMessagesTypeVector(b, [200 + Math.floor(random() * 50)]);
  const messages = g.Batch.createMessagesVector(b, [table]);
  b.finish(g.Batch.createBatch(b, types, messages));
  return b.asUint8Array();
}

/** One kind of bad input per index: what a broken or hostile peer could send. */
function badMessage(i: number, nodeId: string): { event: string; args: unknown[] } {
  switch (i % 7) {
    case 0:
      return { event: 'm', args: [randomBytes(1 + Math.floor(random() * 300))] };
    case 1: {
      const frame = outOfOrderFrame(nodeId);
      return { event: 'm', args: [frame.slice(0, Math.floor(random() * (frame.length - 1)))] };
    }
    case 2: {
      const frame = outOfOrderFrame(nodeId).slice();
      for (let k = 0; k < 3; k++) frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
      return { event: 'm', args: [frame, randomBytes(8)] };
    }
    case 3:
      return { event: 'm', args: [unknownType()] };
    case 4: // a head-to-node message sent to the head
      return { event: 'm', args: [encodeBatch(toNode.byType, [{ type: 'freeObject', ids: ['x'] }]).frame] };
    case 5: // out of order: work before registering
      return {
        event: 'm',
        args: [
          encodeBatch(toHead.byType, [
            { type: 'taskFinished', nodeId, taskIds: ['t'], runMs: [1], failedIds: [] },
          ]).frame,
        ],
      };
    default: {
      const pick = random();
      if (pick < 0.33) return { event: 'm', args: ['not bytes'] };
      if (pick < 0.66) return { event: 'm', args: [new Uint8Array(0)] }; // a continuation with nothing in it
      return { event: 'nonsense', args: [randomBytes(4)] };
    }
  }
}

function connect(address: string, auth: Record<string, unknown>): Socket {
  return io(`ws://${address}`, { transports: ['websocket'], reconnection: false, auth });
}

/** Sends one bad message on a fresh authenticated connection; resolves once the head closed it. */
async function sendAndExpectClose(address: string, token: string, i: number): Promise<void> {
  const nodeId = `fuzz-${i}`;
  const hello = Buffer.from(
    encodeHello({ protocolVersion: PROTOCOL_VERSION, de2Version: '0.1.0', role: 'node', nodeId }),
  );
  const socket = connect(address, { token, hello: hello.toString('base64') });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
  const { event, args } = badMessage(i, nodeId);
  socket.emit(event, ...args);
  let timer: NodeJS.Timeout | undefined;
  const reason = await Promise.race([
    closed,
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`still open after 20 s (message ${i}, kind ${i % 7})`), 20_000);
    }),
  ]);
  clearTimeout(timer);
  socket.close();
  expect(reason).to.equal('io server disconnect');
}

describe('cluster: malformed input never takes the head down', function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ workers: 1, headCpus: 0, workerCpus: 1 });
  });
  after(async () => {
    await shutdown();
    await cluster?.teardown();
  });

  it('closes each of 1,400 bad connections and then runs a normal task', async () => {
    const total = 1400;
    for (let start = 0; start < total; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, total - start) }, (_, k) =>
          sendAndExpectClose(cluster.address, cluster.token, start + k),
        ),
      );
    }
    // Oversized frames (over socket.io's 64 MiB limit) close the connection too.
    for (let i = 0; i < 2; i++) {
      const hello = encodeHello({
        protocolVersion: PROTOCOL_VERSION,
        de2Version: '0.1.0',
        role: 'node',
        nodeId: `big-${i}`,
      });
      const socket = connect(cluster.address, {
        token: cluster.token,
        hello: Buffer.from(hello).toString('base64'),
      });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const closed = new Promise((resolve) => socket.once('disconnect', resolve));
      socket.emit('m', new Uint8Array(65 * 2 ** 20));
      await closed;
    }
    // Unauthenticated garbage is refused at the handshake.
    for (let i = 0; i < 20; i++) {
      const socket = connect(cluster.address, { token: `guess-${i}`, hello: randomBytes(16) });
      const error = await new Promise<Error & { data?: { code: string } }>((resolve) =>
        socket.once('connect_error', resolve),
      );
      socket.close();
      expect(error.data?.code).to.equal('AUTHENTICATION');
    }
    expect(cluster.head.process.exitCode).to.equal(null);
    expect(cluster.workers[0]!.process.exitCode).to.equal(null);
    expect(cluster.head.output())
      .to.contain("'taskFinished' before registerNode")
      .and.contain('unexpected message type');

    await init({ address: cluster.address, token: cluster.token });
    const add = remote((a: number, b: number) => a + b);
    expect(await get(add.remote(20, 22))).to.equal(42);
  });
});
