import { PROTOCOL_VERSION } from '../serialization/handshake.js';
import { parseCommand, UsageError } from './args.js';
import { headStartedText, startInBackground, workerStartedText } from './start.js';
import { DE2_VERSION, runNodeProcess } from './node-process.js';
import { stopNodes } from './stop.js';
import { formatStatus, queryStatus, statusNodeId } from './status.js';
import { resolveAddress } from '../cluster/connect-driver.js';
import { findToken } from '../transport/token.js';
import { tokenPath } from '../home/paths.js';
import { liveSessions } from '../home/session-dirs.js';

export const USAGE = `Usage: de2-node <command> [options]

Commands:
  start --head [--port 6379]       start the head node of a new cluster (port 0: any free port)
  start --address HOST:PORT        start a worker node that joins a cluster
  status [--json]                  show the cluster's nodes, resources and demands
  stop [--force]                   stop the nodes this machine started

Options for start:
  --num-cpus N                     CPUs this node offers (default: all)
  --object-store-memory BYTES      object store capacity (default: 30% of RAM)
  --memory BYTES                   memory for tasks and actors: the logical 'memory' resource, and
                                   the limit at which (95%) the node ends its newest task with
                                   OutOfMemoryError (default: RAM or cgroup limit, minus the store)
  --resources JSON                 custom resources, e.g. '{"gpu":1}'
  --token-file FILE                file holding the cluster token (default: DE2_TOKEN, else
                                   ~/.de2/token; a head with none creates one and saves it there;
                                   a restarted head keeps it, so its nodes can rejoin)
  --token TOKEN                    the token itself (visible in ps while the command runs; the
                                   node it starts does not keep it in its arguments)
  --new-token                      head: make a fresh token even if ~/.de2/token holds one (every
                                   node and driver of the old cluster is then refused)
  --head-grace-s S                 how long a node keeps its tasks, actors and objects while its
                                   head is gone, waiting for it to restart (default 60)
  --max-lineage-bytes N            head: most bytes of finished tasks' specs kept to rebuild
                                   results lost with a node (Ray's max_lineage_bytes; default
                                   1073741824; 0: none; also DE2_MAX_LINEAGE_BYTES)
  --host HOST                      address to listen on (default 0.0.0.0)
  --object-port PORT               port other nodes pull objects from (default: any free
                                   port; open it between the machines, e.g. 6380)
  --block                          run in the foreground instead of in the background
  --dashboard-port PORT            head: port of the dashboard (default 8265; 0: any free port)
  --dashboard-host HOST            head: address the dashboard listens on (default 127.0.0.1;
                                   reach it through an SSH tunnel)
  --no-dashboard                   head: serve no dashboard

Options for status:
  --address HOST:PORT              the cluster to ask (default: DE2_ADDRESS, else this machine's)
  --json                           machine-readable output

  -h, --help                       show this help
  -v, --version                    show the de2 and protocol versions
`;

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`de2-node: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  switch (command.kind) {
    case 'help':
      console.log(USAGE);
      return 0;
    case 'version':
      console.log(`de2-node ${DE2_VERSION} (protocol ${PROTOCOL_VERSION})`);
      return 0;
    case 'start': {
      if (command.options.block) return runNodeProcess(command.options);
      try {
        const ready = await startInBackground(argv, command.options);
        console.log(command.options.head ? headStartedText(ready) : workerStartedText(ready));
        return 0;
      } catch (error) {
        console.error(`de2-node: the node did not start: ${(error as Error).message}`);
        return 1;
      }
    }
    case 'stop': {
      const lines = await stopNodes(command.force);
      console.log(lines.length > 0 ? lines.join('\n') : 'no de2 nodes are running on this machine');
      return 0;
    }
    case 'status':
      return status(command.address, command.token, command.json);
  }
}

async function status(
  address: string | undefined,
  token: string | undefined,
  json: boolean,
): Promise<number> {
  let target: string;
  try {
    target = resolveAddress(address ?? 'auto');
  } catch (error) {
    console.error(`de2-node status: ${(error as Error).message}`);
    return 1;
  }
  const found = findToken(token);
  if (found === undefined) {
    console.error(
      `de2-node status: no cluster token: pass --token, set DE2_TOKEN, or put it in ${tokenPath()}`,
    );
    return 1;
  }
  try {
    const reply = await queryStatus(target, found, statusNodeId());
    // The dashboard's URL is known on the head's machine (its session record).
    const dashboardUrl = liveSessions().find(
      (s) => s.record.role === 'head' && s.record.clusterAddress === target,
    )?.record.dashboardUrl;
    console.log(
      json
        ? JSON.stringify({ address: target, ...(dashboardUrl ? { dashboardUrl } : {}), ...reply }, null, 2)
        : formatStatus(target, reply, new Date(), dashboardUrl),
    );
    return 0;
  } catch (error) {
    console.error(`de2-node status: ${(error as Error).message}`);
    return 1;
  }
}
