import type { DemandInfo, HeadToNode, NodeInfo, NodeToHead } from '../protocol/messages.js';
import { nodeToHeadChannel } from '../transport/socket-channel.js';
import { WireClient } from '../transport/wire-client.js';
import { DE2_VERSION } from '../version.js';

export interface ClusterStatusReply {
  nodes: NodeInfo[];
  pendingTasks: number;
  demands: DemandInfo[];
}

/**
 * Asks the head for the cluster's state over a short-lived driver connection that offers
 * nothing (it registers with no resources and leaves at once).
 */
export async function queryStatus(
  address: string,
  token: string,
  nodeId: string,
): Promise<ClusterStatusReply> {
  const client = await WireClient.connect({
    address,
    token,
    role: 'driver',
    nodeId,
    de2Version: DE2_VERSION,
  });
  const channel = nodeToHeadChannel(client, () => {});
  try {
    return await new Promise<ClusterStatusReply>((resolve, reject) => {
      channel.onMessage((m: HeadToNode) => {
        if (m.type === 'clusterInfoReply') {
          resolve({
            nodes: m.nodes.filter((n) => n.nodeId !== nodeId),
            pendingTasks: m.pendingTasks,
            demands: m.demands,
          });
        }
      });
      channel.onClose(() => reject(new Error(`the head at ${address} closed the connection`)));
      const messages: NodeToHead[] = [
        { type: 'registerNode', nodeId, address: '', resources: {} },
        { type: 'clusterInfo', reqId: 1, nodeId },
      ];
      for (const m of messages) channel.send(m);
    });
  } finally {
    channel.close();
  }
}
