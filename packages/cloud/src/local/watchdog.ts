// The watchdog of a local cluster (see watchdog-start.ts), run as its own process:
//   node watchdog.js PARENT_PID STATE_DIR CLUSTER_NAME
// While the cluster's state file exists and its launcher lives, it waits; when the launcher is
// gone it runs `down` for the cluster; when the state file is gone (a normal down) it exits.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './processes.js';

const POLL_MS = 250;

const [parentArg, stateDir, name] = process.argv.slice(2);
const parent = Number(parentArg);
if (!Number.isInteger(parent) || parent <= 0 || stateDir === undefined || name === undefined) {
  console.error('usage: watchdog.js PARENT_PID STATE_DIR CLUSTER_NAME');
  process.exit(2);
}
const statePath = join(stateDir, name, 'state.json');

while (existsSync(statePath)) {
  if (!isAlive(parent)) {
    // Loaded only now: the OpenStack client behind cluster.js is not needed while waiting.
    const { down } = await import('../cluster.js');
    const { validateClusterConfig } = await import('../config.js');
    await down(validateClusterConfig({ name, provider: 'local' }), { stateDir, log: () => {} });
    break;
  }
  await sleep(POLL_MS);
}
