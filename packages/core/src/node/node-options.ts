import { CPU, MEMORY } from '../scheduler/scheduler.js';
import type { ObjectResult } from '../protocol/messages.js';

/** What a node offers and where it keeps its files: the same embedded and on a cluster. */
export interface NodeSettings {
  numCpus: number;
  /** Logical `memory` resource in bytes, and the memory monitor's limit. */
  memory: number;
  objectStoreMemory: number;
  resources: Record<string, number>;
  sessionDir: string;
  spillLimitBytes: number;
  logToDriver: boolean;
}

/** The NodeRuntime options for a node: its logical resources include CPU, memory and the store. */
export function nodeRuntimeOptions(
  nodeId: string,
  address: string,
  s: NodeSettings,
  extra: Pick<NodeRuntimeOptions, 'pullRemote' | 'headInProcess'> = {},
): NodeRuntimeOptions {
  return {
    nodeId,
    address,
    numCpus: s.numCpus,
    resources: {
      ...s.resources,
      [CPU]: s.numCpus,
      [MEMORY]: s.memory,
      objectStoreMemory: s.objectStoreMemory,
    },
    objectStoreMemory: s.objectStoreMemory,
    memoryLimit: s.memory,
    sessionDir: s.sessionDir,
    spillLimitBytes: s.spillLimitBytes,
    logToDriver: s.logToDriver,
    ...extra,
  };
}

/** What a NodeRuntime is built with. */
export interface NodeRuntimeOptions {
  nodeId: string;
  address: string;
  numCpus: number;
  /** Logical resources this node offers (CPU, memory, objectStoreMemory, custom). */
  resources: Record<string, number>;
  objectStoreMemory: number;
  /**
   * Memory limit of the node process in bytes, for the memory monitor (resident memory
   * minus the object store's bytes in memory). 0: no monitor.
   */
  memoryLimit?: number;
  sessionDir: string;
  spillLimitBytes: number;
  logToDriver: boolean;
  /**
   * Fetches an object from the node at `address` (its object-transfer address); set by
   * the cluster transport. Without it, objects held only by other nodes cannot be read.
   */
  pullRemote?: (address: string, id: string) => Promise<ObjectResult | undefined>;
  /** The head lives in this process (embedded) and cannot restart without it: keep no rejoin book. */
  headInProcess?: boolean;
}
