import type { HeadToNode, NodeToHead } from '../protocol/messages.js';

export interface FunctionSource {
  source: string;
  name: string;
  runtimeEnv: string;
}

/** The node's functions by hash: registered by its clients, fetched from the head once. */
export class FunctionCache {
  private readonly byHash = new Map<string, FunctionSource>();

  constructor(
    private readonly node: {
      readonly nodeId: string;
      toHead(message: NodeToHead): void;
      ask(message: Extract<NodeToHead, { reqId: number }>): Promise<HeadToNode>;
    },
  ) {}

  register(hash: string, fn: FunctionSource): void {
    if (this.byHash.has(hash)) return;
    this.byHash.set(hash, fn);
    this.node.toHead({ type: 'registerFunction', hash, ...fn });
  }

  async get(hash: string): Promise<FunctionSource> {
    const here = this.byHash.get(hash);
    if (here) return here;
    const reply = await this.node.ask({ type: 'getFunction', reqId: 0, nodeId: this.node.nodeId, hash });
    if (reply.type !== 'functionReply' || !reply.found) throw new Error(`function ${hash} is not registered`);
    const fn = { source: reply.source, name: reply.name, runtimeEnv: reply.runtimeEnv };
    this.byHash.set(hash, fn);
    return fn;
  }

  entries(): IterableIterator<[string, FunctionSource]> {
    return this.byHash.entries();
  }
}
