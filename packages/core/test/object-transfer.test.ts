import { expect } from 'chai';
import { ObjectPuller, ObjectServer } from '../src/transport/object-transfer.js';
import type { ObjectResult } from '../src/protocol/messages.js';

describe('object transfer between nodes', () => {
  const token = 't0ken';
  const objects = new Map<string, ObjectResult>();
  const logs: string[] = [];
  let server: ObjectServer;
  let address: string;
  let puller: ObjectPuller;

  before(async () => {
    server = new ObjectServer({
      token,
      host: '127.0.0.1',
      log: (l) => logs.push(l),
      read: (id) => objects.get(id),
      chunkBytes: 1 << 20,
    });
    address = `127.0.0.1:${await server.listen()}`;
    puller = new ObjectPuller({ token, nodeId: 'n2', de2Version: '0.1.0', log: (l) => logs.push(l) });
  });
  after(async () => {
    puller.close();
    await server.close();
  });

  it('pulls a multi-chunk object into SharedArrayBuffers, byte for byte', async () => {
    const big = new SharedArrayBuffer(5 * (1 << 20) + 123);
    const view = new Uint8Array(big);
    for (let i = 0; i < view.length; i++) view[i] = (i * 31) & 0xff;
    const small = new SharedArrayBuffer(8);
    objects.set('o1', {
      id: 'o1',
      value: { header: Uint8Array.of(1, 2), buffers: [big, small], refs: ['o0'], size: big.byteLength + 10 },
    });
    const before = puller.bytesReceived;
    const result = await puller.pull(address, 'o1');
    expect(result?.value?.buffers).to.have.length(2);
    const got = result!.value!.buffers[0]!;
    expect(got).to.be.instanceOf(SharedArrayBuffer);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(big))).to.equal(0);
    expect([...result!.value!.header]).to.deep.equal([1, 2]);
    expect(result!.value!.refs).to.deep.equal(['o0']);
    expect(puller.bytesReceived - before).to.equal(big.byteLength + 8);
  });

  it('carries stored errors and reports objects the node does not have', async () => {
    objects.set('bad', {
      id: 'bad',
      error: { code: 'TASK_ERROR', name: 'RangeError', message: 'boom', functionName: 'f' },
    });
    const bad = await puller.pull(address, 'bad');
    expect(bad?.error).to.include({ code: 'TASK_ERROR', name: 'RangeError', message: 'boom' });
    expect(await puller.pull(address, 'nope')).to.equal(undefined);
  });

  it('several pulls at once each get their own object', async () => {
    for (let i = 0; i < 5; i++) {
      const b = new SharedArrayBuffer(3 << 20);
      new Uint8Array(b).fill(i + 1);
      objects.set(`p${i}`, {
        id: `p${i}`,
        value: { header: new Uint8Array(0), buffers: [b], refs: [], size: b.byteLength },
      });
    }
    const results = await Promise.all([0, 1, 2, 3, 4].map((i) => puller.pull(address, `p${i}`)));
    results.forEach((r, i) => {
      const bytes = new Uint8Array(r!.value!.buffers[0]!);
      expect(bytes[0]).to.equal(i + 1);
      expect(bytes[bytes.length - 1]).to.equal(i + 1);
    });
  });
});
