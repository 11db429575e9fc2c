import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { CoreClient } from '../client/client.js';
import { Head } from '../head/head.js';
import { NodeRuntime } from '../node/node-runtime.js';
import { heapGrowingPercent } from '../node/heap-growth.js';
import { createDirectPair } from '../protocol/channel.js';
import type { ClientToNode, HeadToNode, NodeToClient, NodeToHead } from '../protocol/messages.js';
import { nodeRuntimeOptions, type NodeSettings } from '../node/node-options.js';

export type EmbeddedOptions = NodeSettings;

export interface EmbeddedCluster {
  nodeId: string;
  client: CoreClient;
  /** The embedded head (absent for a driver of a cluster). */
  head?: Head;
  shutdown(): Promise<void>;
}

/**
 * The embedded mode: head, node and driver client in this process, wired with in-process
 * channels carrying the same messages a cluster sends over sockets.
 */
export function startEmbedded(o: EmbeddedOptions): EmbeddedCluster {
  heapGrowingPercent(); // a bad DE2_HEAP_GROWING_PERCENT fails here, before the head starts
  const nodeId = `node-${randomBytes(4).toString('hex')}`;
  // One node, whose loss is this process's end: no result could ever be rebuilt (lineage.ts).
  const head = new Head({ infeasibleTimeoutMs: 0, maxLineageBytes: 0 });
  const [nodeEnd, headEnd] = createDirectPair<NodeToHead, HeadToNode>();
  head.connect(headEnd);
  const node = new NodeRuntime(nodeRuntimeOptions(nodeId, 'embedded', o, { headInProcess: true }), nodeEnd);
  const [clientEnd, nodeSide] = createDirectPair<ClientToNode, NodeToClient>();
  node.connectClient(nodeSide);
  const client = new CoreClient(clientEnd, { isDriver: true, threadId, inProcessNode: true });
  return {
    nodeId,
    client,
    head,
    async shutdown() {
      client.close();
      await node.shutdown();
      nodeEnd.close();
    },
  };
}
