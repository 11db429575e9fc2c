import { expect } from 'chai';
import { WireServer, type WirePeer } from '../src/transport/wire-server.js';
import { WireClient } from '../src/transport/wire-client.js';
import { headToNodeChannel, nodeToHeadChannel } from '../src/transport/socket-channel.js';
import { splitIdLists } from '../src/protocol/id-chunks.js';

/** Keeps the thread busy: a head that reads its messages slowly. */
function busyFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('wire transport: backpressure', function () {
  this.timeout(60_000);
  const token = 'backpressure-token';

  it('a flood of messages the head reads slowly does not starve the heartbeat', async () => {
    // socket.io answers the head's ping on the same connection as the messages: without
    // backpressure the client writes the whole flood at once and its pong waits behind all of
    // it (a million submits on a cluster: 86 MB, and the head dropped the driver).
    const peers: WirePeer[] = [];
    const server = new WireServer({
      token,
      port: 0,
      host: '127.0.0.1',
      log: () => {},
      onPeer: (p) => peers.push(p),
      pingIntervalMs: 100,
      pingTimeoutMs: 1000,
    });
    const address = `127.0.0.1:${await server.listen()}`;
    try {
      const client = await WireClient.connect({
        role: 'driver',
        nodeId: 'd',
        de2Version: '0.1.0',
        address,
        token,
      });
      const peer = peers[0]!;
      const count = 200_000;
      let read = 0;
      const head = headToNodeChannel(peer, () => {}, 'driver');
      const allRead = new Promise<string>((resolve) =>
        head.onMessage(() => {
          busyFor(0.01); // 2 s for the whole flood, twice the heartbeat's timeout
          if (++read === count) resolve('all read');
        }),
      );
      const dropped = new Promise<string>((resolve) =>
        peer.once('close', (why) => resolve(`dropped: ${why}`)),
      );
      const channel = nodeToHeadChannel(client, () => {});
      const text = 'x'.repeat(250); // about a submit's size
      for (let i = 0; i < count; i++) channel.send({ type: 'log', stream: 'stdout', prefix: '', text });
      expect(await Promise.race([allRead, dropped])).to.equal('all read');
      expect(client.bufferedBytes()).to.equal(0);
      client.close();
    } finally {
      await server.close();
    }
  });

  it('sends a message of 10,000 ids in a frame of its own', async () => {
    const peers: WirePeer[] = [];
    const server = new WireServer({
      token,
      port: 0,
      host: '127.0.0.1',
      log: () => {},
      onPeer: (p) => peers.push(p),
    });
    const address = `127.0.0.1:${await server.listen()}`;
    try {
      const client = await WireClient.connect({
        role: 'driver',
        nodeId: 'd',
        de2Version: '0.1.0',
        address,
        token,
      });
      const peer = peers[0]!;
      let frames = 0;
      peer.on('frame', () => frames++);
      let read = 0;
      const allRead = new Promise<void>((resolve) =>
        headToNodeChannel(peer, () => {}, 'driver').onMessage(() => ++read === 4 && resolve()),
      );
      const channel = nodeToHeadChannel(client, () => {});
      const ids = Array.from({ length: 10_000 }, (_, i) => `object-${i}`);
      for (let i = 0; i < 3; i++) channel.send({ type: 'subscribe', nodeId: 'd', ids });
      channel.send({ type: 'removeRef', holderId: 'd', ids: ['a'] });
      await allRead;
      // One frame each; without the weight by ids all four fit the 10,000 messages of one frame.
      expect(frames).to.equal(4);
      client.close();
    } finally {
      await server.close();
    }
  });

  it('splits long id lists into messages of at most 10,000 ids, in order', () => {
    const ids = Array.from({ length: 25_001 }, (_, i) => `id${i}`);
    const parts = splitIdLists({ type: 'subscribe', nodeId: 'n', ids });
    expect(parts.map((p) => ('ids' in p ? p.ids.length : 0))).to.deep.equal([10_000, 10_000, 5_001]);
    expect(parts.flatMap((p) => ('ids' in p ? p.ids : []))).to.deep.equal(ids);
    const short = { type: 'removeRef' as const, holderId: 'h', ids: ['a'] };
    expect(splitIdLists(short)).to.deep.equal([short]);
  });
});
