import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudOptions, ClusterView, JoinCheck, JoinTarget, OpenStackClusterConfig } from '@de2/cloud';
import { FakeOpenStack, type FakeOptions } from './fake-openstack.js';

export interface Harness {
  os: FakeOpenStack;
  stateDir: string;
  lines: string[];
  joinCalls: JoinTarget[];
  options: CloudOptions;
  close(): Promise<void>;
}

/**
 * A fake cloud, a temporary state folder, and a join check that reports every ACTIVE VM as a
 * joined node (what the de2-node service on a booted VM does), recording what it was asked.
 */
export async function harness(fake: FakeOptions = {}): Promise<Harness> {
  const os = new FakeOpenStack(fake);
  await os.start();
  const stateDir = await mkdtemp(join(tmpdir(), 'de2-cloud-test-'));
  const lines: string[] = [];
  const joinCalls: JoinTarget[] = [];
  const joinCheck: JoinCheck = async (target): Promise<ClusterView> => {
    joinCalls.push(target);
    return {
      nodes: os
        .liveServers()
        .filter((s) => s.status === 'ACTIVE' && !s.deleting)
        .map((s) => ({ nodeId: s.name, address: `${s.ip}:${target.port}`, alive: true })),
    };
  };
  return {
    os,
    stateDir,
    lines,
    joinCalls,
    options: {
      stateDir,
      env: os.env(),
      log: (l) => lines.push(l),
      pollIntervalMs: 5,
      activeTimeoutMs: 5000,
      joinTimeoutMs: 5000,
      deleteTimeoutMs: 5000,
      joinCheck,
    },
    async close() {
      await os.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export function clusterConfig(overrides: Partial<OpenStackClusterConfig> = {}): OpenStackClusterConfig {
  return {
    provider: 'openstack',
    name: 'covtype',
    workers: 2,
    port: 6379,
    node: { numCpus: 2 },
    head: { flavor: 'ssc.medium' },
    worker: { flavor: 'ssc.small' },
    image: 'Ubuntu 22.04 - 2024.01',
    network: 'uppmax-internal',
    keyPair: 'alice-key',
    securityGroup: 'de2-covtype',
    de2: { kind: 'git', url: 'https://github.com/example/de2.git', ref: 'main' },
    ...overrides,
  };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function caught(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection, but the promise resolved');
}
