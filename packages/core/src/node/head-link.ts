import { ErrorCode } from '../errors/codes.js';
import { fromWire, wireError, type WireError } from '../errors/wire.js';
import type { Channel } from '../protocol/channel.js';
import type { HeadToNode, NodeToHead } from '../protocol/messages.js';
import type { RejoinBook } from './rejoin-book.js';

/**
 * Messages a node does not queue while its head is away: its rejoin report rebuilds what
 * they said (see `rejoin`). Everything else (cancel, kill, log, requests) waits and is sent
 * after the report.
 */
const REBUILT_ON_REJOIN = new Set<NodeToHead['type']>([
  'registerNode',
  'registerFunction',
  'submit',
  'objectAdded',
  'subscribe',
  'addRef',
  'removeRef',
  'holderGone',
  'taskFinished',
  'taskBlocked',
  'taskUnblocked',
  'tasksReturned',
  'nodeStats',
]);

/** What the link to the head needs of the node. */
export interface HeadLinkHost {
  readonly nodeId: string;
  readonly book: RejoinBook;
  storeError(id: string, error: WireError, ownerId: string): void;
}

/**
 * A node's link to its head: sends (batching finished tasks), requests and their replies,
 * and what happens while the head is away (a restart: messages wait) or lost for good
 * (everything that needs it fails with NodeDiedError).
 */
export class HeadLink {
  constructor(
    private channel: Channel<NodeToHead, HeadToNode>,
    private readonly host: HeadLinkHost,
    private readonly onMessage: (m: HeadToNode) => void,
  ) {
    channel.onMessage(onMessage);
  }

  /** A reply to one of `ask`'s requests: true if it was one. */
  reply(m: HeadToNode & { reqId: number }): void {
    const resolve = this.pending.get(m.reqId)?.resolve;
    this.pending.delete(m.reqId);
    resolve?.(m);
  }

  /**
   * Back on a restarted head: sends `report` (what the node runs, hosts, holds and waits
   * for) first, then the requests the old head left unanswered, then what was queued.
   */
  rejoin(channel: Channel<NodeToHead, HeadToNode>, report: () => NodeToHead[]): boolean {
    if (this.headError) return false;
    const queued = this.outbox ?? [];
    this.outbox = undefined;
    this.channel = channel;
    channel.onMessage(this.onMessage);
    for (const m of report()) this.channel.send(m);
    // Requests sent to the old head just before it died got no answer: ask the new one.
    const inOutbox = new Set(queued.map((m) => ('reqId' in m ? m.reqId : -1)));
    for (const [reqId, p] of this.pending) if (!inOutbox.has(reqId)) this.channel.send(p.message);
    for (const m of queued) this.channel.send(m);
    return true;
  }

  private readonly pending = new Map<
    number,
    {
      resolve: (reply: HeadToNode) => void;
      reject: (e: Error) => void;
      /** The request itself: sent again to a restarted head (the first may have died with the old one). */
      message: NodeToHead;
    }
  >();

  /** Set once the head is unreachable: what everything that needs it fails with. */
  private headError: WireError | undefined;

  /** The error everything that needs the head fails with, once it is unreachable. */
  get error(): WireError | undefined {
    return this.headError;
  }

  /**
   * Set while the head is gone but may come back (its grace period): messages that a
   * rejoin report cannot rebuild wait here; the rest is rebuilt from `book` and the node.
   */
  private outbox: NodeToHead[] | undefined;

  private nextReq = 1;

  /** Tasks that ended since the last batch, and how long each ran (see taskFinished). */
  private finishedIds: string[] = [];
  private finishedMs: number[] = [];
  private failedIds: string[] = [];

  send(message: NodeToHead): void {
    if (this.headError) return this.withoutHead(message, this.headError);
    this.host.book.note(message);
    if (this.outbox) {
      if (!REBUILT_ON_REJOIN.has(message.type)) this.outbox.push(message);
      return;
    }
    this.channel.send(message);
  }

  /**
   * The task ended here (`runMs`: how long it ran on its thread, 0 if not measured). Tasks
   * that end together are reported in one message, after their results.
   */
  taskFinished(taskId: string, runMs = 0, failed = false): void {
    if (this.finishedIds.length === 0) queueMicrotask(this.sendFinished);
    this.finishedIds.push(taskId);
    this.finishedMs.push(runMs);
    if (failed) this.failedIds.push(taskId);
  }

  private readonly sendFinished = (): void => {
    const taskIds = this.finishedIds;
    const runMs = this.finishedMs;
    const failedIds = this.failedIds;
    this.finishedIds = [];
    this.finishedMs = [];
    this.failedIds = [];
    this.send({ type: 'taskFinished', nodeId: this.host.nodeId, taskIds, runMs, failedIds });
  };

  /** Sends a request to the head and resolves with its reply (matched by reqId). */
  ask(message: Extract<NodeToHead, { reqId: number }>): Promise<HeadToNode> {
    const reqId = this.nextReq++;
    return new Promise((resolve, reject) => {
      if (this.headError) return reject(fromWire(this.headError));
      const request = { ...message, reqId };
      this.pending.set(reqId, { resolve, reject, message: request });
      this.send(request);
    });
  }

  /**
   * The connection to the head is gone (a cluster's head died): every object this node is
   * waiting for, and every later task or request, fails with NodeDiedError at once rather
   * than hanging.
   */
  lost(message: string, waitingIds: () => string[]): void {
    if (this.headError) return;
    this.headError = wireError(ErrorCode.NODE_DIED, message);
    for (const id of waitingIds()) this.host.storeError(id, this.headError, '');
    for (const { reject } of this.pending.values()) reject(fromWire(this.headError));
    this.pending.clear();
  }

  /**
   * The connection to the head is gone, and the head may come back within its grace period
   * (a restart): tasks, actors and objects here go on; what needs the head waits.
   */
  away(): void {
    if (this.headError || this.outbox) return;
    this.outbox = [];
  }

  private withoutHead(message: NodeToHead, error: WireError): void {
    if (message.type === 'submit')
      for (const id of message.task.returnIds) this.host.storeError(id, error, '');
    else if (message.type === 'subscribe') for (const id of message.ids) this.host.storeError(id, error, '');
  }
}
