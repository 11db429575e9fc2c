import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where de2 keeps its per-user state: the cluster token and the session folders of the
 * nodes this machine started. `DE2_HOME` moves it (tests use a temporary folder).
 */
export function de2Home(): string {
  return process.env.DE2_HOME ?? join(homedir(), '.de2');
}

export const tokenPath = (): string => join(de2Home(), 'token');
export const sessionsDir = (): string => join(de2Home(), 'sessions');
