import { parseArgs } from 'node:util';
import { PROTOCOL_VERSION } from '../serialization/protocol.js';

export const USAGE = `Usage: de2-node <command> [options]

Commands:
  start --head [--port 6379]       start the head node of a new cluster
  start --address HOST:PORT        start a worker node that joins a cluster
  status [--json]                  show the cluster's nodes, resources and demands
  stop [--force]                   stop the nodes this machine started

Options for start:
  --num-cpus N                     CPUs this node offers (default: all)
  --object-store-memory BYTES      object store capacity (default: 30% of RAM)
  --resources JSON                 custom resources, e.g. '{"gpu":1}'
  --token TOKEN                    cluster token (default: DE2_TOKEN or ~/.de2/token)
  --block                          run in the foreground

  -h, --help                       show this help
  -v, --version                    show the de2 and protocol versions
`;

/** Runs the CLI with the given arguments; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
  });
  if (values.version) {
    console.log(`de2-node 0.1.0 (protocol ${PROTOCOL_VERSION})`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') {
    console.log(USAGE);
    return 0;
  }
  console.error(`de2-node: unknown command '${command}'.\n\n${USAGE}`);
  return 2;
}
