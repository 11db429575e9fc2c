import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LocalNodeError } from '../errors.js';
import type { ProviderContext } from '../provider.js';

/**
 * Starts the watchdog of a local cluster brought up with `stopWithProcess`: a detached process
 * that takes the cluster down once this process is gone, even if it was killed (SIGKILL, or a
 * launcher that escalates Ctrl-C to it), and exits by itself once the cluster was taken down.
 */
export function startWatchdog(ctx: ProviderContext): void {
  const script = fileURLToPath(new URL('./watchdog.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [script, String(process.pid), ctx.options.stateDir, ctx.config.name],
    { detached: true, stdio: 'ignore' },
  );
  if (child.pid === undefined) throw new LocalNodeError('could not start the watchdog of the local nodes');
  child.unref();
}
