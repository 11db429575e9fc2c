import type { MessagePort } from 'node:worker_threads';

/**
 * A two-way message pipe between two roles. Messages sent in one turn of the event loop
 * are delivered together (one batch), which is what makes thousands of small task
 * messages cheap. Embedded mode uses `createDirectPair` (no encoding); worker threads use
 * `PortChannel`; a cluster gives the same interface over socket.io.
 */
export interface Channel<Out, In> {
  send(message: Out): void;
  onMessage(handler: (message: In) => void): void;
  onClose(handler: () => void): void;
  close(): void;
}

/** Queues messages and hands them to `deliver` as one batch per microtask. */
abstract class BatchingChannel<Out, In> implements Channel<Out, In> {
  private queue: Out[] = [];
  private scheduled = false;
  protected handler: (message: In) => void = () => {};
  protected closeHandlers: (() => void)[] = [];
  protected closed = false;

  send(message: Out): void {
    if (this.closed) return;
    this.queue.push(message);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0 && !this.closed) this.deliver(batch);
  };

  onMessage(handler: (message: In) => void): void {
    this.handler = handler;
  }

  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  protected receive(batch: readonly In[]): void {
    for (const message of batch) this.handler(message);
  }

  protected abstract deliver(batch: Out[]): void;
  abstract close(): void;
}

class DirectChannel<Out, In> extends BatchingChannel<Out, In> {
  peer!: DirectChannel<In, Out>;

  protected deliver(batch: Out[]): void {
    this.peer.receive(batch);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers) h();
    this.peer.close();
  }
}

/** Two in-process ends: what one sends, the other receives (in order, batched). */
export function createDirectPair<A, B>(): [Channel<A, B>, Channel<B, A>] {
  const a = new DirectChannel<A, B>();
  const b = new DirectChannel<B, A>();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** A channel over a worker_threads MessagePort (structured clone; SharedArrayBuffers are shared). */
export class PortChannel<Out, In> extends BatchingChannel<Out, In> {
  constructor(private readonly port: MessagePort) {
    super();
    port.on('message', (batch: In[]) => this.receive(batch));
    port.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      for (const h of this.closeHandlers) h();
    });
  }

  protected deliver(batch: Out[]): void {
    this.port.postMessage(batch);
  }

  /** Lets the thread exit while the port is open (workers stay alive through Piscina). */
  unref(): void {
    this.port.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    for (const h of this.closeHandlers) h();
  }
}
