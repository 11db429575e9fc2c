import { expect } from 'chai';
import { decodeHello, encodeHello, PROTOCOL_VERSION } from '../src/serialization/handshake.js';

describe('wire handshake (FlatBuffers)', () => {
  it('round-trips a Hello through its FlatBuffers encoding', () => {
    const bytes = encodeHello({
      protocolVersion: PROTOCOL_VERSION,
      de2Version: '0.1.0',
      role: 'driver',
      nodeId: 'n-1',
      rejoin: true,
    });
    expect(bytes).to.be.instanceOf(Uint8Array);
    expect(decodeHello(bytes)).to.deep.equal({
      protocolVersion: PROTOCOL_VERSION,
      de2Version: '0.1.0',
      role: 'driver',
      nodeId: 'n-1',
      rejoin: true,
    });
  });
});
