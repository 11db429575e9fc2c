import { CPU, MEMORY } from '../scheduler/scheduler.js';
import type { NodeRuntimeOptions } from './node-runtime.js';

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
  extra: Pick<NodeRuntimeOptions, 'pullRemote'> = {},
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
