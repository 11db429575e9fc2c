import { expect } from 'chai';
import { io } from 'socket.io-client';
import { WireServer, type WirePeer } from '../src/transport/wire-server.js';
import { WireClient } from '../src/transport/wire-client.js';
import { encodeHello } from '../src/serialization/handshake.js';
import { AuthenticationError, ProtocolMismatchError } from '../src/errors/errors.js';
import { PROTOCOL_VERSION } from '../src/serialization/handshake.js';

describe('wire transport: handshake', () => {
  const token = 'secret-token';
  const logs: string[] = [];
  const peers: WirePeer[] = [];
  let server: WireServer;
  let address: string;

  before(async () => {
    server = new WireServer({
      token,
      port: 0,
      host: '127.0.0.1',
      log: (l) => logs.push(l),
      onPeer: (p) => peers.push(p),
    });
    address = `127.0.0.1:${await server.listen()}`;
  });
  after(() => server.close());

  const base = { role: 'node' as const, nodeId: 'n1', de2Version: '0.1.0' };

  it('admits a token holder and carries binary frames both ways', async () => {
    const client = await WireClient.connect({ ...base, address, token });
    const peer = peers.at(-1)!;
    expect(peer.hello).to.include({ nodeId: 'n1', role: 'node', protocolVersion: PROTOCOL_VERSION });
    const received = new Promise<[Uint8Array, Uint8Array[]]>((resolve) =>
      peer.once('frame', (f, p) => resolve([f, p])),
    );
    client.send(Uint8Array.of(1, 2, 3), [Uint8Array.of(9)]);
    const [frame, payloads] = await received;
    expect([...frame]).to.deep.equal([1, 2, 3]);
    expect(payloads.map((p) => [...p])).to.deep.equal([[9]]);
    const back = new Promise<Uint8Array>((resolve) => client.once('frame', (f) => resolve(f)));
    peer.send(Uint8Array.of(7));
    expect([...(await back)]).to.deep.equal([7]);
    client.close();
  });

  it('refuses a wrong or missing token before reading anything, and logs the peer', async () => {
    const before = peers.length;
    const error = await WireClient.connect({ ...base, address, token: 'wrong' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(AuthenticationError);
    expect((error as AuthenticationError).code).to.equal('AUTHENTICATION');
    expect((error as Error).message).to.contain('refused the cluster token');
    expect(logs.at(-1)).to.match(/refused connection from .*127\.0\.0\.1.*: wrong token/);
    expect(peers.length).to.equal(before);
  });

  it('refuses another protocol version with a message naming both versions', async () => {
    const hello = encodeHello({
      protocolVersion: PROTOCOL_VERSION + 1,
      de2Version: '9.0.0',
      role: 'driver',
      nodeId: 'd',
    });
    const socket = io(`ws://${address}`, {
      transports: ['websocket'],
      reconnection: false,
      auth: { token, hello: Buffer.from(hello).toString('base64') },
    });
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      socket.once('connect_error', resolve),
    );
    socket.close();
    expect(error.data?.code).to.equal('PROTOCOL_MISMATCH');
    expect(error.message)
      .to.contain(`protocol ${PROTOCOL_VERSION}`)
      .and.contain(`protocol ${PROTOCOL_VERSION + 1}`);
    expect(ProtocolMismatchError).to.be.a('function');
  });

  it('closes a connection that sends an unknown event, and keeps serving', async () => {
    const client = await WireClient.connect({ ...base, address, token });
    const closed = new Promise<string>((resolve) => client.once('close', resolve));
    (client as unknown as { socket: { emit: (e: string, v: string) => void } }).socket.emit('bogus', 'x');
    await closed;
    expect(logs.at(-1)).to.contain("unexpected event 'bogus'");
    const again = await WireClient.connect({ ...base, address, token });
    again.close();
  });
});
