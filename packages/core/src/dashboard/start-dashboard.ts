import type { Head } from '../head/head.js';
import { DashboardServer } from './server.js';

/** Where the dashboard listens. */
export interface DashboardSettings {
  /** 0 picks a free port. @default 8265 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

export const DEFAULT_DASHBOARD_PORT = 8265;

/** Checks `init({ dashboard })` / CLI values; throws a TypeError saying what is wrong. */
export function checkDashboardSettings(value: unknown): DashboardSettings | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null)
    throw new TypeError('options.dashboard must be true, false or { port?: number, host?: string }');
  const { port, host } = value as Record<string, unknown>;
  if (port !== undefined && (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535))
    throw new TypeError(
      `options.dashboard.port must be a whole number from 0 (any free port) to 65535, got ${String(port)}`,
    );
  if (host !== undefined && (typeof host !== 'string' || host === ''))
    throw new TypeError('options.dashboard.host must be a host name or address such as 127.0.0.1');
  return {
    ...(port === undefined ? {} : { port: port as number }),
    ...(host === undefined ? {} : { host: host as string }),
  };
}

/**
 * Starts the head's dashboard. A port that is taken does not stop the head (as in Ray): the
 * reason is logged and undefined returned.
 */
export async function startDashboard(
  head: Head,
  settings: DashboardSettings,
  o: {
    token: string;
    advertiseHost?: string;
    headNodeId?: string;
    headLogFile?: string;
    log: (line: string) => void;
  },
): Promise<DashboardServer | undefined> {
  const server = new DashboardServer({
    head,
    token: o.token,
    port: settings.port ?? DEFAULT_DASHBOARD_PORT,
    host: settings.host ?? '127.0.0.1',
    log: o.log,
    ...(o.advertiseHost === undefined ? {} : { advertiseHost: o.advertiseHost }),
    ...(o.headNodeId === undefined ? {} : { headNodeId: o.headNodeId }),
    ...(o.headLogFile === undefined ? {} : { headLogFile: o.headLogFile }),
  });
  try {
    await server.listen();
    return server;
  } catch (error) {
    await server.close().catch(() => {});
    const why =
      (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? 'the port is in use'
        : (error as Error).message;
    o.log(
      `dashboard not started on ${settings.host ?? '127.0.0.1'}:${settings.port ?? DEFAULT_DASHBOARD_PORT}: ${why} ` +
        '(pick another with --dashboard-port, 0 for any free port, or turn it off with --no-dashboard)',
    );
    return undefined;
  }
}
