import { mkdirSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sessionsDir } from './paths.js';

/** What a running node writes into its session folder, for `status`, `stop` and 'auto'. */
export interface SessionRecord {
  role: 'head' | 'worker';
  pid: number;
  nodeId: string;
  /** HOST:PORT of the cluster's head (for the head itself, its own advertised address). */
  clusterAddress: string;
  startedAt: string;
  logFile: string;
  /** The head's dashboard, when it serves one. */
  dashboardUrl?: string;
}

export interface Session {
  dir: string;
  record: SessionRecord;
}

/** Creates a new session folder (with logs/) for a node about to start. */
export function createSessionDir(role: SessionRecord['role']): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(sessionsDir(), `session_${stamp}_${role}_${process.pid}`);
  mkdirSync(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  return dir;
}

export function writeSession(dir: string, record: SessionRecord): void {
  writeFileSync(join(dir, 'node.json'), JSON.stringify(record, null, 2));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sessions of nodes started on this machine that are still running, newest first. */
export function liveSessions(): Session[] {
  if (!existsSync(sessionsDir())) return [];
  const sessions: Session[] = [];
  for (const name of readdirSync(sessionsDir()).sort().reverse()) {
    const file = join(sessionsDir(), name, 'node.json');
    if (!existsSync(file)) continue;
    try {
      const record = JSON.parse(readFileSync(file, 'utf8')) as SessionRecord;
      if (isAlive(record.pid)) sessions.push({ dir: join(sessionsDir(), name), record });
    } catch {
      // a half-written or foreign file: not a session we can use
    }
  }
  return sessions;
}

/** Marks a session as ended by removing its record; its logs stay. */
export function endSession(dir: string): void {
  rmSync(join(dir, 'node.json'), { force: true });
}
