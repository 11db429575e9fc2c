import { expect } from 'chai';
import {
  decodeBatch,
  directionTables,
  encodeBatch,
  WireDecodeError,
} from '../src/serialization/wire-codec.js';
import { TaskSpecTable, toHeadMessages, toNodeMessages } from '../src/serialization/wire-tables.js';
import { clearTemplates, templateCount, TEMPLATES_MAX } from '../src/serialization/spec-templates.js';
import { respec } from '../src/protocol/task-spec.js';
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

/** Every field of a spec read by name (a decoded spec keeps 17 of them in its prototype). */
function fieldsOf(task: TaskSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field] of TaskSpecTable.fields)
    out[field] = (task as unknown as Record<string, unknown>)[field];
  return out;
}

/** The own fields of a spec of one return with ref arguments (protocol/task-spec.ts). */
const PER_CALL = ['taskId', 'args', 'refArgIndexes', 'refArgIds', 'returnId'];

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
    const { args, ...rest } = fieldsOf(submit.task) as unknown as TaskSpec;
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

describe('decoded task specs share a template per function', () => {
  /** Encodes `tasks` as executeTask messages and decodes them as a node would. */
  const roundTrip = (tasks: TaskSpec[]): TaskSpec[] => {
    const messages: HeadToNode[] = tasks.map((task) => ({ type: 'executeTask', task }));
    const { frame, payloads } = encodeBatch(toNode.byType, messages);
    return (
      decodeBatch(toNode.byUnion, frame, payloads) as Extract<HeadToNode, { type: 'executeTask' }>[]
    ).map((m) => m.task);
  };
  const call = (i: number, patch: Partial<TaskSpec> = {}): TaskSpec => ({
    ...sampleTask(),
    taskId: `t-${i}`,
    args: { header: Uint8Array.of(i), buffers: [], refs: [], size: 1 },
    refArgIndexes: [i],
    refArgIds: [`o-${i}`],
    returnIds: [`r-${i}`],
    ...patch,
  });
  /** A field as compared: an args value by its bytes. */
  const comparable = (task: TaskSpec) => {
    const f = fieldsOf(task);
    const args = f.args as TaskSpec['args'];
    return { ...f, args: { ...args, header: [...args.header], buffers: args.buffers.length } };
  };

  beforeEach(() => clearTemplates());

  it('reads every field as sent, holding only the per-call ones itself', () => {
    const sent = [call(1), call(2)];
    const [a, b] = roundTrip(sent);
    expect(comparable(a!)).to.deep.equal(comparable(sent[0]!));
    expect(comparable(b!)).to.deep.equal(comparable(sent[1]!));
    expect(Object.keys(a!).sort()).to.deep.equal([...PER_CALL].sort());
    // Two specs of one function, even from separate frames, share their template.
    const [c] = roundTrip([call(3)]);
    expect(Object.getPrototypeOf(a)).to.equal(Object.getPrototypeOf(b));
    expect(Object.getPrototypeOf(c)).to.equal(Object.getPrototypeOf(a));
    expect(Object.getPrototypeOf(a)).to.not.equal(Object.prototype);
    expect(a!.resources).to.equal(c!.resources);
    expect(a!.methodNames).to.equal(c!.methodNames);
    expect(templateCount()).to.equal(1);
  });

  it('gives specs that differ in a shared field their own template', () => {
    const patches: Partial<TaskSpec>[] = [
      { kind: 'task' },
      { functionHash: 'other' },
      { name: 'other' },
      { ownerId: 'driver-2' },
      { numCpus: 1 },
      { memory: 0 },
      { resources: { gpu: 1 } },
      { resources: { custom: 2.5, gpu: 1 } }, // same content, other order: same template
      { maxRetries: 0 },
      { retryExceptions: false },
      { actorId: 'a-2' },
      { method: 'get' },
      { actorName: '' },
      { maxRestarts: 0 },
      { maxTaskRetries: 1 },
      { maxConcurrency: 1 },
      { methodNames: ['inc'] },
      { methodNames: ['inc\u0000get'] }, // the key's separator in a name: still told apart
      { scheduling: 'SPREAD' },
    ];
    const sent = [call(0), ...patches.map((p, i) => call(i + 1, p))];
    const back = roundTrip(sent);
    back.forEach((task, i) => expect(comparable(task)).to.deep.equal(comparable(sent[i]!)));
    const protos = new Set(back.map((t) => Object.getPrototypeOf(t) as object));
    expect(protos.size).to.equal(sent.length - 1);
    expect(Object.getPrototypeOf(back[8])).to.equal(Object.getPrototypeOf(back[0]));
  });

  it('respec keeps every field of a decoded spec', () => {
    const [a] = roundTrip([call(1)]);
    const copy = respec(a!, { maxRetries: 2 });
    expect(comparable(copy)).to.deep.equal({ ...comparable(a!), maxRetries: 2 });
    expect(Object.getPrototypeOf(copy)).to.equal(Object.getPrototypeOf(a));
    expect(Object.keys(copy).sort()).to.deep.equal([...PER_CALL, 'maxRetries'].sort());
    expect(a!.maxRetries).to.equal(3);
    // And it encodes as it reads.
    const [again] = roundTrip([copy]);
    expect(comparable(again!)).to.deep.equal(comparable(copy));
  });

  it('holds no empty ref lists and no list of one return id', () => {
    const [plain, two] = roundTrip([
      call(1, { refArgIndexes: [], refArgIds: [] }),
      call(2, { returnIds: ['r-2.0', 'r-2.1'] }),
    ]);
    expect(Object.keys(plain!).sort()).to.deep.equal(['args', 'returnId', 'taskId']);
    expect(plain!.returnIds).to.deep.equal(['r-1']);
    expect(plain!.refArgIds).to.deep.equal([]);
    expect(Object.keys(two!)).to.include('returnIds');
    expect(two!.returnIds).to.deep.equal(['r-2.0', 'r-2.1']);
    // A patch of the list (as node-loss.ts may) gives the copy a list of its own.
    const moved = respec(plain!, { returnIds: ['r-9'] });
    expect(moved.returnIds).to.deep.equal(['r-9']);
    expect(plain!.returnIds).to.deep.equal(['r-1']);
    expect(comparable(roundTrip([moved])[0]!)).to.deep.equal(comparable(moved));
  });

  it('keeps at most TEMPLATES_MAX templates', () => {
    const many = Array.from({ length: TEMPLATES_MAX + 10 }, (_, i) => call(i, { actorId: `a-${i}` }));
    for (let i = 0; i < many.length; i += 1000) roundTrip(many.slice(i, i + 1000));
    expect(templateCount()).to.equal(TEMPLATES_MAX);
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
