import { readFile } from 'node:fs/promises';
import { parseClusterConfig } from './config.js';

const USAGE = `Usage: de2-cloud <command> [options]

Commands:
  up CLUSTER.yaml               create the head and workers and wait until they joined
  add-workers --count N         add N workers to the running cluster
  status                        VMs next to the nodes the head sees
  down CLUSTER.yaml             delete what up created (safe to run twice)
`;

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, file] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (command === 'validate' && file !== undefined) {
    parseClusterConfig(await readFile(file, 'utf8'));
    console.log(`${file} is valid`);
    return 0;
  }
  console.error(`de2-cloud: '${command}' is not available yet.\n\n${USAGE}`);
  return 2;
}
