import { liveSessions, endSession } from '../home/session-dirs.js';

/**
 * Stops every node this machine started: SIGTERM (a clean shutdown) or, with `force`,
 * SIGKILL. Waits until each process has exited.
 */
export async function stopNodes(force: boolean): Promise<string[]> {
  const lines: string[] = [];
  for (const { dir, record } of liveSessions()) {
    try {
      process.kill(record.pid, force ? 'SIGKILL' : 'SIGTERM');
    } catch {
      continue; // exited meanwhile
    }
    await waitForExit(record.pid, force ? 5_000 : 30_000);
    endSession(dir);
    lines.push(`stopped ${record.role} ${record.nodeId} (pid ${record.pid})`);
  }
  return lines;
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  // The process is not our child, so there is no exit event to wait for: poll its pid.
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 200)) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  process.kill(pid, 'SIGKILL');
}
