import { formatWithOptions } from 'node:util';
import type { CoreClient } from '../client/client.js';

/**
 * Sends this thread's console output to the node, which hands it to the driver; the driver
 * prints it with the prefix (like Ray's `(pid=...)`).
 */
export function redirectConsole(client: CoreClient, prefix: () => string): void {
  const send =
    (stream: 'stdout' | 'stderr') =>
    (...args: unknown[]) =>
      client.send({
        type: 'log',
        stream,
        prefix: prefix(),
        text: formatWithOptions({ colors: false }, ...args),
      });
  const out = send('stdout');
  const err = send('stderr');
  Object.assign(console, { log: out, info: out, debug: out, warn: err, error: err });
}
