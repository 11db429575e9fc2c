import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as SocketServer } from 'socket.io';
import type { Head } from '../head/head.js';
import { DashboardAuth } from './auth.js';
import { ClusterModel } from './cluster-model.js';
import { loginPage, PAGES, page, staticFile, type PageName } from './pages.js';
import { tailFile } from './tail-file.js';
import type { ClusterState, DashboardApi, DashboardEvents } from './view-types.js';

export interface DashboardOptions {
  head: Head;
  /** The cluster token: the dashboard admits only its holders. */
  token: string;
  /** Interface to listen on. @default '127.0.0.1' (reach it through an SSH tunnel) */
  host?: string;
  /** 0 picks a free port. @default 8265 */
  port?: number;
  /** Host name to print in the URL when listening on every interface. */
  advertiseHost?: string;
  /** The head's node id and its log file, shown as that node's log. */
  headNodeId?: string;
  headLogFile?: string;
  log?: (line: string) => void;
}

/** Most bytes of a POST body (the buttons send a few ids). */
const MAX_BODY_BYTES = 16 * 1024;
/** Pushes to open pages at most this often while the cluster is busy. */
const PUSH_INTERVAL_MS = 200;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The head's dashboard: pages, a JSON API and live updates (socket.io namespace
 * `/dashboard`) on one port, for holders of the cluster token only.
 */
export class DashboardServer {
  readonly model: ClusterModel;
  private readonly auth: DashboardAuth;
  private readonly http: HttpServer;
  /** The pages send no events; the server pushes `DashboardEvents`. */
  private readonly io: SocketServer<Record<never, never>, DashboardEvents>;
  private readonly pending = new Set<'cluster' | 'experiments'>();
  private pushTimer: NodeJS.Timeout | undefined;
  private lastPush = 0;
  url = '';

  constructor(private readonly options: DashboardOptions) {
    this.auth = new DashboardAuth(options.token);
    this.model = new ClusterModel(options.head, options.log);
    this.http = createServer((req, res) => {
      this.route(req, res).catch((error: unknown) => this.fail(res, error));
    });
    this.io = new SocketServer(this.http, {
      serveClient: false,
      // Refused at the HTTP handshake, before a connection exists: no session, no socket.
      allowRequest: (req, callback) => callback(null, this.auth.admits(req)),
    });
    this.io.use((_socket, next) => next(new Error('there is nothing here: use the /dashboard namespace')));
    // The dashboard namespace admits only holders of the session cookie (checked again per namespace).
    this.io.of('/dashboard').use((socket, next) => {
      if (this.auth.admits(socket.request)) next();
      else next(new Error('unauthorized: open the dashboard page and log in with the cluster token'));
    });
    // A page that just connected gets the state at once: nothing between its first fetch and now is lost.
    this.io.of('/dashboard').on('connection', (socket) => {
      socket.emit('cluster', this.clusterState());
      socket.emit('experiments', this.model.experiments.list());
    });
    this.model.onChange((what) => this.pushSoon(what));
  }

  /** Starts listening; resolves with the dashboard's URL. */
  async listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 8265, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const { port } = this.http.address() as AddressInfo;
    const shown = host === '0.0.0.0' || host === '::' ? (this.options.advertiseHost ?? '127.0.0.1') : host;
    this.url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}/`;
    return this.url;
  }

  async close(): Promise<void> {
    clearTimeout(this.pushTimer);
    this.model.detach();
    await this.io.close(); // closes the HTTP server too
  }

  private pushSoon(what: 'cluster' | 'experiments'): void {
    this.pending.add(what);
    if (this.pushTimer) return;
    const wait = Math.max(0, this.lastPush + PUSH_INTERVAL_MS - Date.now());
    this.pushTimer = setTimeout(() => this.push(), wait);
  }

  private push(): void {
    this.pushTimer = undefined;
    this.lastPush = Date.now();
    const ns = this.io.of('/dashboard');
    if (ns.sockets.size === 0) return this.pending.clear();
    if (this.pending.has('cluster')) ns.emit('cluster', this.clusterState());
    if (this.pending.has('experiments')) ns.emit('experiments', this.model.experiments.list());
    this.pending.clear();
  }

  private clusterState(): ClusterState {
    return { ...this.model.nodes(), ...this.model.tasks(), actors: this.model.actors() };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    if (path.startsWith('/static/')) return this.sendStatic(res, path.slice('/static/'.length));
    if (path === '/login') return this.login(req, res, url);
    if (path.startsWith('/api/')) {
      if (!this.auth.admits(req))
        throw new HttpError(
          401,
          'the dashboard needs the cluster token: log in at /login or send Authorization: Bearer <token>',
        );
      return req.method === 'POST' ? this.action(req, res, path) : this.api(res, path, url);
    }
    const name = (path === '/' ? 'cluster' : path.slice(1)) as PageName;
    if (!PAGES.includes(name)) throw new HttpError(404, `no page ${path}`);
    const presented = url.searchParams.get('token');
    if (presented !== null) {
      // `?token=` once: the cookie replaces it, and the token leaves the address bar.
      if (!this.auth.tokenMatches(presented))
        return this.sendHtml(res, 401, loginPage(path, 'That token is wrong.'));
      url.searchParams.delete('token');
      res.writeHead(303, { 'Set-Cookie': this.auth.cookieHeader(), Location: url.pathname + url.search });
      return void res.end();
    }
    if (!this.auth.admits(req)) return this.sendHtml(res, 401, loginPage(url.pathname + url.search));
    this.sendHtml(res, 200, page(name, this.auth.csrf));
  }

  private async login(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const next = safeNext(url.searchParams.get('next'));
    if (req.method !== 'POST') return this.sendHtml(res, 200, loginPage(next));
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`)
      throw new HttpError(403, 'cross-site login refused');
    const form = new URLSearchParams(await readBody(req));
    const target = safeNext(form.get('next'));
    if (!this.auth.tokenMatches(form.get('token')))
      return this.sendHtml(res, 401, loginPage(target, 'That token is wrong.'));
    res.writeHead(303, { 'Set-Cookie': this.auth.cookieHeader(), Location: target });
    res.end();
  }

  private api(res: ServerResponse, path: string, url: URL): void {
    // Typed by path: an answer that strays from the contract the page reads is a compile error.
    const reply = <P extends keyof DashboardApi>(_path: P, value: DashboardApi[P]) => sendJson(res, value);
    switch (path) {
      case '/api/nodes':
        return reply(path, this.model.nodes());
      case '/api/tasks':
        return reply(path, this.model.tasks());
      case '/api/actors':
        return reply(path, { actors: this.model.actors() });
      case '/api/objects':
        return reply(path, this.model.objects());
      case '/api/experiments':
        return reply(path, { experiments: this.model.experiments.list() });
      case '/api/logs': {
        const nodeId = url.searchParams.get('node') ?? '';
        const file =
          nodeId === this.options.headNodeId && this.options.headLogFile
            ? { path: this.options.headLogFile, tail: tailFile(this.options.headLogFile, 64 * 1024) }
            : undefined;
        return reply(path, { nodeId, lines: this.model.logTail(nodeId), ...(file ? { file } : {}) });
      }
      default:
        throw new HttpError(
          404,
          `no API ${path}; there are /api/nodes, /api/tasks, /api/actors, /api/objects, /api/experiments, /api/logs?node=ID`,
        );
    }
  }

  /** State-changing requests: POST, our CSRF header, a JSON body. */
  private async action(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (!this.auth.csrfOk(req))
      throw new HttpError(403, 'missing or wrong X-CSRF-Token: use the dashboard page');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      throw new HttpError(400, 'the body must be JSON');
    }
    if (path === '/api/actors/kill') {
      if (typeof body.actorId !== 'string') throw new HttpError(400, 'body.actorId must be a string');
      this.options.head.request({ type: 'killActor', nodeId: '', actorId: body.actorId, noRestart: true });
      this.options.log?.(`dashboard: kill actor ${body.actorId}`);
      return sendJson(res, { ok: true });
    }
    if (path === '/api/tasks/cancel') {
      const record =
        typeof body.taskId === 'string' ? this.options.head.view().tasks.get(body.taskId) : undefined;
      const returnId = record?.task.returnIds[0];
      if (returnId === undefined)
        throw new HttpError(404, 'no such running or pending task (it may have ended)');
      this.options.head.request({ type: 'cancel', nodeId: '', id: returnId, force: body.force === true });
      this.options.log?.(`dashboard: cancel task ${record!.task.taskId}`);
      return sendJson(res, { ok: true });
    }
    throw new HttpError(404, `no action ${path}; there are /api/actors/kill and /api/tasks/cancel`);
  }

  private sendStatic(res: ServerResponse, name: string): void {
    const file = staticFile(name);
    if (!file) throw new HttpError(404, `no file /static/${name}`);
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Cache-Control': 'no-cache' });
    res.end(file.body);
  }

  private sendHtml(res: ServerResponse, status: number, html: string): void {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
    });
    res.end(html);
  }

  private fail(res: ServerResponse, error: unknown): void {
    const status = error instanceof HttpError ? error.status : 500;
    if (status === 500) this.options.log?.(`dashboard: ${(error as Error).stack ?? String(error)}`);
    if (res.headersSent) return void res.end();
    sendJson(res, { error: error instanceof Error ? error.message : String(error) }, status);
  }
}

const SECURITY_HEADERS = {
  // Nothing loads from elsewhere, no inline script runs, and no other site may frame the pages.
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a form POST says `Origin: null` and fails the check.
  'Referrer-Policy': 'same-origin',
};

function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json',
    'Cache-Control': 'no-store',
  });
  res.end(JSON.stringify(value));
}

/** Where to go after logging in: a path on this site only (no `//evil.example`). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
