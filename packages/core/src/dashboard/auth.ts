import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { tokensEqual } from '../transport/token.js';

export const COOKIE_NAME = 'de2_dashboard';

/**
 * Who may use the dashboard: holders of the cluster token. The browser gets a session
 * value derived from the token (not the token itself) in an HttpOnly, SameSite=Strict
 * cookie; state-changing requests also carry a CSRF value that only the dashboard's own
 * pages know.
 */
export class DashboardAuth {
  readonly session: string;
  readonly csrf: string;

  constructor(private readonly token: string) {
    this.session = createHmac('sha256', token).update('de2 dashboard session').digest('hex');
    this.csrf = createHmac('sha256', token).update('de2 dashboard csrf').digest('hex');
  }

  tokenMatches(presented: unknown): boolean {
    return tokensEqual(this.token, presented);
  }

  /** The request carries the session cookie, or `Authorization: Bearer <token>` (scripts). */
  admits(req: IncomingMessage): boolean {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (bearer) return this.tokenMatches(bearer[1]);
    return tokensEqual(this.session, cookies(req.headers.cookie)[COOKIE_NAME]);
  }

  /** A POST from one of our pages: the CSRF header matches and the Origin, if sent, is ours. */
  csrfOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return false;
    return tokensEqual(this.csrf, req.headers['x-csrf-token']);
  }

  cookieHeader(): string {
    return `${COOKIE_NAME}=${this.session}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

export function cookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}
