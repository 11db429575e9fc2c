import { readFileSync, rmSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { de2Home } from '../home/paths.js';
import type { Member } from '../head/head-recovery.js';

/** How often a head records that it is alive and who its nodes are. */
const WRITE_EVERY_MS = 2000;

/**
 * The one thing a head keeps on disk for its restart: the ids of its nodes and drivers,
 * and when it was last alive (`~/.de2/head-PORT.json`, beside the token; a restarted head
 * gets a new session folder, so it is not kept there). Everything else a restarted head
 * learns again from what the nodes and drivers report (docs/architecture.md).
 */
interface HeadState {
  port: number;
  aliveAt: number;
  members: Member[];
}

export function headStatePath(port: number): string {
  return join(de2Home(), `head-${port}.json`);
}

/** The nodes of the head that last served `port`, if it was alive within `graceMs`. */
export function nodesToRecover(port: number, graceMs: number, now = Date.now()): Member[] {
  if (port === 0 || graceMs <= 0) return [];
  try {
    const state = JSON.parse(readFileSync(headStatePath(port), 'utf8')) as HeadState;
    if (!Array.isArray(state.members) || !(now - state.aliveAt <= graceMs)) return [];
    return state.members
      .filter((m) => typeof m?.nodeId === 'string')
      .map((m) => ({ nodeId: m.nodeId, isDriver: m.isDriver === true }));
  } catch {
    return []; // none, or unreadable: a fresh cluster
  }
}

/** Writes the head's state every few seconds until stopped; a clean stop removes the file. */
export class HeadStateWriter {
  private readonly timer: NodeJS.Timeout;
  private readonly path: string;
  private stopped = false;

  constructor(
    private readonly port: number,
    private readonly members: () => Member[],
  ) {
    this.path = headStatePath(port);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    this.write();
    this.timer = setInterval(() => this.write(), WRITE_EVERY_MS);
    this.timer.unref();
  }

  /** A member joined or left: written at once (a node that joined just before a crash must be on the list). */
  changed(): void {
    if (!this.stopped) this.write();
  }

  private write(): void {
    const state: HeadState = { port: this.port, aliveAt: Date.now(), members: this.members() };
    try {
      const tmp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(state), { mode: 0o600 });
      renameSync(tmp, this.path); // a head killed mid-write leaves the previous state whole
    } catch {
      // a full or read-only disk costs only the ability to be restarted
    }
  }

  /** A head stopped on purpose: its nodes have nothing to come back to. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    rmSync(this.path, { force: true });
  }
}

/** The grace period in ms: --head-grace-s, else DE2_HEAD_GRACE_S, else the default. */
export function headGraceMs(flag: number | undefined): number | undefined {
  const seconds = flag ?? (process.env.DE2_HEAD_GRACE_S ? Number(process.env.DE2_HEAD_GRACE_S) : undefined);
  return seconds === undefined || !(seconds >= 0) ? undefined : seconds * 1000;
}
