import { expect } from 'chai';
import {
  decodeBatch,
  directionTables,
  encodeBatch,
  WireDecodeError,
} from '../src/serialization/wire-codec.js';
import { toHeadMessages, toNodeMessages } from '../src/serialization/wire-tables.js';
import { joinPayloads, splitPayloads } from '../src/transport/socket-channel.js';
import type { HeadToNode, NodeToHead, TaskSpec } from '../src/protocol/messages.js';

const toHead = directionTables(toHeadMessages);
const toNode = directionTables(toNodeMessages);

function sampleTask(): TaskSpec {
  const buffer = new SharedArrayBuffer(16);
  new Float64Array(buffer).set([1.5, -2]);
  return {
    taskId: 't-1',
    kind: 'actorCall',
    functionHash: 'abc',
    name: 'Counter.inc',
    args: { header: Uint8Array.of(1, 2, 3), buffers: [buffer], refs: ['o-9'], size: 19 },
    refArgIndexes: [0, 2],
    refArgIds: ['o-1', 'o-2'],
    returnIds: ['r-1'],
    ownerId: 'driver-1',
    numCpus: 0.5,
    memory: 1e9,
    resources: { gpu: 1, custom: 2.5 },
    maxRetries: 3,
    retryExceptions: true,
    actorId: 'a-1',
    method: 'inc',
    actorName: 'counter',
    maxRestarts: -1,
    maxTaskRetries: 0,
    maxConcurrency: 4,
    methodNames: ['inc', 'get'],
    scheduling: 'node-soft:n-2',
  };
}

describe('wire codec (FlatBuffers batches)', () => {
  it('round-trips node->head messages, object bytes beside the frame', () => {
    const messages: NodeToHead[] = [
      {
        type: 'registerNode',
        nodeId: 'n1',
        address: '10.0.0.2:7000',
        resources: { CPU: 4, memory: 8e9 },
        rejoin: true,
        runningTaskIds: ['t1', 't2'],
        actorIds: ['a1'],
      },
      { type: 'submit', nodeId: 'n1', task: sampleTask() },
      {
        type: 'actorDied',
        nodeId: 'n1',
        actorId: 'a',
        error: { code: 'ACTOR_DIED', message: 'm', name: 'ActorDiedError' },
      },
      { type: 'log', stream: 'stderr', prefix: '(worker 3)', text: 'hello\n' },
      { type: 'taskFinished', nodeId: 'n1', taskIds: ['t-1', 't-2'], runMs: [0.25, 0], failedIds: ['t-2'] },
      { type: 'tasksReturned', nodeId: 'n1', taskIds: ['t-3', 't-4'] },
    ];
    const { frame, payloads } = encodeBatch(toHead.byType, messages);
    expect(payloads).to.have.length(1);
    const back = decodeBatch(toHead.byUnion, frame, payloads) as NodeToHead[];
    expect(back[0]).to.deep.equal(messages[0]);
    const submit = back[1] as Extract<NodeToHead, { type: 'submit' }>;
    const { args, ...rest } = submit.task;
    const { args: sentArgs, ...sentRest } = sampleTask();
    expect(rest).to.deep.equal(sentRest);
    expect([...args.header]).to.deep.equal([...sentArgs.header]);
    expect(args.buffers[0]).to.be.instanceOf(SharedArrayBuffer);
    expect([...new Float64Array(args.buffers[0]!)]).to.deep.equal([1.5, -2]);
    expect(args.refs).to.deep.equal(['o-9']);
    expect((back[2] as { error: { code: string } }).error.code).to.equal('ACTOR_DIED');
    expect(back[3]).to.deep.equal(messages[3]);
    expect(back[4]).to.deep.equal(messages[4]);
    expect(back[5]).to.deep.equal(messages[5]);
  });

  it('round-trips head->node messages with nested tables', () => {
    const messages: HeadToNode[] = [
      {
        type: 'clusterInfoReply',
        reqId: 7,
        nodes: [
          {
            nodeId: 'n1',
            alive: true,
            address: 'a:1',
            resources: { CPU: 2 },
            available: { CPU: 1 },
            objectStoreUsed: 5,
            isDriver: false,
            runningTasks: 2,
            bytesPulled: 1e9,
          },
          {
            nodeId: 'n2',
            alive: false,
            address: 'b:2',
            resources: {},
            available: {},
            objectStoreUsed: 0,
            isDriver: true,
            runningTasks: 0,
            bytesPulled: 0,
          },
        ],
        pendingTasks: 3,
        demands: [{ resources: { CPU: 64 }, count: 1, infeasible: true }],
      },
      {
        type: 'actorReply',
        reqId: 8,
        found: true,
        actor: { actorId: 'a', name: 'x', className: 'C', methodNames: ['m'] },
      },
      { type: 'killActor', actorId: 'a', noRestart: true },
    ];
    const { frame, payloads } = encodeBatch(toNode.byType, messages);
    expect(decodeBatch(toNode.byUnion, frame, payloads)).to.deep.equal(messages);
  });

  it('carries an inline value when there is one and reads its absence as undefined', () => {
    const value = { header: Uint8Array.of(255, 15, 34), buffers: [], refs: ['o-3'], size: 3 };
    const ready: HeadToNode = { type: 'objectReady', id: 'o-1', locations: ['n1'], addresses: ['a:1'] };
    const messages: HeadToNode[] = [{ ...ready, inlineValue: value }, ready];
    const { frame, payloads } = encodeBatch(toNode.byType, messages);
    const [withValue, without] = decodeBatch(toNode.byUnion, frame, payloads) as typeof messages;
    expect(withValue).to.deep.equal(messages[0]);
    expect(without).to.deep.equal({ ...ready, inlineValue: undefined });
  });

  it('refuses messages of the other direction', () => {
    const { frame, payloads } = encodeBatch(toNode.byType, [{ type: 'freeObject', ids: ['x'] }]);
    expect(() => decodeBatch(toHead.byUnion, frame, payloads)).to.throw(
      WireDecodeError,
      'unexpected message type',
    );
  });

  it('rejects random, truncated and mutated frames with WireDecodeError only', () => {
    const { frame, payloads } = encodeBatch(toHead.byType, [
      { type: 'submit', nodeId: 'n', task: sampleTask() },
    ]);
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      let bytes: Uint8Array;
      if (i % 3 === 0) bytes = Uint8Array.from({ length: Math.floor(random() * 200) }, () => random() * 256);
      else if (i % 3 === 1) bytes = frame.slice(0, Math.floor(random() * frame.length));
      else {
        bytes = frame.slice();
        for (let k = 0; k < 4; k++) bytes[Math.floor(random() * bytes.length)] = random() * 256;
      }
      try {
        decodeBatch(toHead.byUnion, bytes, i % 2 ? payloads : []);
      } catch (error) {
        expect(error).to.be.instanceOf(WireDecodeError);
        rejected++;
      }
    }
    expect(rejected).to.be.greaterThan(2000);
  });
});

describe('payload pieces on the wire', () => {
  it('splits large payloads and joins them back byte for byte', async () => {
    const big = Uint8Array.from({ length: 2500 }, (_, i) => i % 251);
    const parts = splitPayloads([big, new Uint8Array(0), Uint8Array.of(7)], 1000);
    expect(parts).to.have.length(1 + 3 + 1 + 1);
    expect(parts.slice(1).every((p) => p.byteLength <= 1000)).to.equal(true);
    const [a, empty, small] = joinPayloads(parts);
    expect(Buffer.compare(Buffer.from(a!), Buffer.from(big))).to.equal(0);
    expect(a!.buffer).to.be.instanceOf(SharedArrayBuffer);
    expect(empty!.byteLength).to.equal(0);
    expect([...small!]).to.deep.equal([7]);
    expect(() => joinPayloads([parts[0]!, ...parts.slice(2)])).to.throw(WireDecodeError, 'manifest');
  });
});
