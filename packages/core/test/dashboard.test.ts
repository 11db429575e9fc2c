import { expect } from 'chai';
import { createServer } from 'node:net';
import { io } from 'socket.io-client';
import { TaskCancelledError, get, init, remote, shutdown } from '@de2/core';
import { parseCommand, UsageError } from '../src/cli/args.js';
import { BadReportError, ExperimentBoard } from '../src/dashboard/experiments.js';
import { escapeHtml } from '../src/dashboard/pages.js';

function report(trials: { id: string; iteration: number; score?: number; status?: string }[], mode = 'max') {
  return JSON.stringify({
    id: 'e1',
    name: 'exp',
    metric: 'score',
    mode,
    status: 'running',
    trials: trials.map((t) => ({
      id: t.id,
      status: t.status ?? 'RUNNING',
      config: { lr: 0.1 },
      iteration: t.iteration,
      metrics: t.score === undefined ? {} : { score: t.score },
    })),
  });
}

describe('dashboard: experiment board', () => {
  it('keeps one point per reported iteration and the best so far after each report', () => {
    const board = new ExperimentBoard();
    board.apply(report([{ id: 'a', iteration: 0 }]));
    board.apply(report([{ id: 'a', iteration: 1, score: 0.5 }]));
    board.apply(report([{ id: 'b', iteration: 1, score: 0.7 }]));
    board.apply(report([{ id: 'a', iteration: 2, score: 0.6 }]));
    // A status change repeats the last result: no new point.
    board.apply(report([{ id: 'a', iteration: 2, score: 0.6, status: 'TERMINATED' }]));
    const [e] = board.list();
    const a = e!.trials.find((t) => t.id === 'a')!;
    expect(a.status).to.equal('TERMINATED');
    expect(a.points).to.deep.equal([
      { iteration: 1, value: 0.5 },
      { iteration: 2, value: 0.6 },
    ]);
    expect(e!.best.map((b) => [b.report, b.value, b.trialId])).to.deep.equal([
      [1, 0.5, 'a'],
      [2, 0.7, 'b'],
      [3, 0.7, 'b'],
    ]);
  });

  it("replaces a retried trial's points from its checkpoint on, and minimises in min mode", () => {
    const board = new ExperimentBoard();
    for (const [iteration, score] of [
      [1, 3],
      [2, 2],
      [3, 1.5],
      [2, 1.8], // retried from the checkpoint at iteration 1
      [3, 1.2],
    ] as const)
      board.apply(report([{ id: 'a', iteration, score }], 'min'));
    const [e] = board.list();
    expect(e!.trials[0]!.points.map((p) => [p.iteration, p.value])).to.deep.equal([
      [1, 3],
      [2, 1.8],
      [3, 1.2],
    ]);
    expect(e!.best.at(-1)!.value).to.equal(1.2);
  });

  it('refuses malformed reports with a message saying what is wrong', () => {
    const board = new ExperimentBoard();
    expect(() => board.apply('not json')).to.throw(BadReportError, /must be JSON/);
    expect(() => board.apply('{"id":"x","name":"n","status":"running"}')).to.throw(/trials must be an array/);
    expect(() => board.apply('{"id":"x","name":"n","status":"odd","trials":[]}')).to.throw(/status must be/);
    expect(() => board.apply('{"id":"x","name":"n","status":"running","trials":[{"id":1}]}')).to.throw(
      /trial.id must be a string/,
    );
    expect(board.list()).to.deep.equal([]);
  });

  it('remembers the node of a trial whose task the head saw running', () => {
    const board = new ExperimentBoard();
    const json = JSON.parse(report([{ id: 'a', iteration: 1, score: 1 }])) as { trials: object[] };
    json.trials.push({ id: 'b', status: 'PENDING', config: {}, iteration: 0, metrics: {} });
    Object.assign(json.trials[0]!, { taskObjectId: 'obj-a' });
    board.apply(JSON.stringify(json));
    board.locate((id) => (id === 'obj-a' ? 'node-1' : undefined));
    board.locate(() => undefined); // the task ended: the node stays known
    expect(board.list()[0]!.trials.map((t) => [t.id, t.nodeId])).to.deep.equal([
      ['a', 'node-1'],
      ['b', undefined],
    ]);
  });

  it('escapes text for HTML', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).to.equal(
      '&#60;img src=x onerror=&#34;alert(&#39;1&#39;)&#34;&#62;&#38;',
    );
  });
});

describe('dashboard: CLI flags', () => {
  it('serves it on 127.0.0.1:8265 by default; --dashboard-port 0, --dashboard-host and --no-dashboard change that', () => {
    const start = (args: string[]) => {
      const c = parseCommand(['start', ...args]);
      if (c.kind !== 'start') throw new Error('not start');
      return c.options.dashboard;
    };
    expect(start(['--head'])).to.deep.equal({ port: 8265, host: '127.0.0.1' });
    expect(start(['--head', '--dashboard-port', '0', '--dashboard-host', '0.0.0.0'])).to.deep.equal({
      port: 0,
      host: '0.0.0.0',
    });
    expect(start(['--head', '--no-dashboard'])).to.equal(undefined);
    expect(() => start(['--head', '--dashboard-port', 'x'])).to.throw(UsageError, /--dashboard-port must be/);
    expect(() => start(['--address', 'h:1', '--dashboard-port', '0'])).to.throw(
      UsageError,
      /is for the head/,
    );
    expect(() => start(['--head', '--no-dashboard', '--dashboard-port', '1'])).to.throw(
      UsageError,
      /cannot go with/,
    );
  });
});

describe('dashboard: embedded init({ dashboard })', () => {
  afterEach(() => shutdown());

  it('opens no port unless asked, and refuses bad settings with a TypeError', async () => {
    const info = await init({ numCpus: 1 });
    expect(info.dashboardUrl).to.equal(undefined);
    await shutdown();
    for (const dashboard of [{ port: -1 }, { port: 1.5 }, { host: '' }, 'yes']) {
      const error = await init({ numCpus: 1, dashboard: dashboard as never }).catch((e: unknown) => e);
      expect(error, JSON.stringify(dashboard)).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.match(/options\.dashboard/);
    }
  });

  it('a port in use leaves de2 running without a dashboard, and says so', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const lines: string[] = [];
    const original = console.error;
    console.error = (line: string) => lines.push(line);
    try {
      const info = await init({ numCpus: 1, dashboard: { port } });
      expect(info.dashboardUrl).to.equal(undefined);
      expect(lines.join('\n')).to.match(
        new RegExp(`dashboard not started on 127.0.0.1:${port}: the port is in use`),
      );
      expect(await get(remote((x: number) => x + 1).remote(1))).to.equal(2);
    } finally {
      console.error = original;
      taken.close();
    }
  });

  it('serves the API to token holders; POST buttons need the CSRF value and cancel queued and running tasks', async () => {
    const info = await init({ numCpus: 1, dashboard: { port: 0 } });
    const url = new URL(info.dashboardUrl!);
    const token = url.searchParams.get('token')!;
    const bearer = { Authorization: `Bearer ${token}` };

    // ?token= once: a cookie, and back to the page without the token.
    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).to.equal(303);
    expect(first.headers.get('location')).to.equal('/');
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie)
      .to.match(/HttpOnly/)
      .and.match(/SameSite=Strict/);
    const session = { cookie: cookie.split(';')[0]! };
    const html = await (await fetch(new URL('/', url), { headers: session })).text();
    const csrf = /name="csrf-token" content="([0-9a-f]+)"/.exec(html)![1]!;
    expect((await fetch(new URL('/?token=wrong', url))).status).to.equal(401);
    expect(
      (await fetch(new URL('/api/nodes', url), { headers: { Authorization: 'Bearer wrong' } })).status,
    ).to.equal(401);
    const missing = await fetch(new URL('/api/nope', url), { headers: bearer });
    expect(missing.status).to.equal(404);
    expect(((await missing.json()) as { error: string }).error).to.match(/there are \/api\/nodes/);

    // A login never sends the browser to another site.
    const login = await fetch(new URL('/login', url), {
      method: 'POST',
      body: new URLSearchParams({ token, next: '//evil.example/' }),
      redirect: 'manual',
    });
    expect(login.status).to.equal(303);
    expect(login.headers.get('location')).to.equal('/');

    const flag = new Int32Array(new SharedArrayBuffer(4));
    const spin = remote(
      (f: Int32Array) => {
        Atomics.store(f, 0, 1);
        for (;;); // holds the only CPU until it is cancelled with force
      },
      { name: 'spin' },
    );
    const after = remote(() => 'ran', { name: 'queued' });
    const running = spin.remote(flag);
    while (Atomics.load(flag, 0) === 0) await new Promise((r) => setImmediate(r));
    const queued = after.remote();
    // The live updates (socket.io namespace /dashboard, the session cookie) say when the head has seen each step.
    interface State {
      tasks: { taskId: string; name: string }[];
      byFunction: { name: string; failed: number }[];
    }
    const socket = io(`${url.origin}/dashboard`, { extraHeaders: session, transports: ['websocket'] });
    const state = (predicate: (s: State) => boolean) =>
      new Promise<State>((resolve) => {
        const check = (s: State) => {
          if (!predicate(s)) return;
          socket.off('cluster', check);
          resolve(s);
        };
        socket.on('cluster', check);
      });
    const taskId = async (name: string) =>
      (await state((s) => s.tasks.some((t) => t.name === name))).tasks.find((t) => t.name === name)!.taskId;
    const cancel = (id: string, headers: Record<string, string>) =>
      fetch(new URL('/api/tasks/cancel', url), {
        method: 'POST',
        headers: { ...session, ...headers },
        body: JSON.stringify({ taskId: id, force: true }),
      });
    const failedThree = state((s) => s.byFunction.filter((f) => f.failed === 1).length === 3);
    const queuedId = await taskId('queued');
    expect((await cancel(queuedId, {})).status).to.equal(403);
    expect((await cancel(queuedId, { 'X-CSRF-Token': csrf, Origin: 'http://evil.example' })).status).to.equal(
      403,
    );
    expect((await cancel(queuedId, { 'X-CSRF-Token': csrf })).status).to.equal(200);
    expect(await get(queued).catch((e: unknown) => e)).to.be.instanceOf(TaskCancelledError);
    expect((await cancel(await taskId('spin'), { 'X-CSRF-Token': csrf })).status).to.equal(200);
    expect(await get(running, { timeoutMs: 10_000 }).catch((e: unknown) => e)).to.be.instanceOf(
      TaskCancelledError,
    );

    // A task that throws counts as failed too (the node says so in TaskFinished).
    const boom = remote(
      () => {
        throw new Error('boom');
      },
      { name: 'boom', maxRetries: 0 },
    );
    expect(await get(boom.remote()).catch((e: unknown) => (e as Error).message)).to.match(/boom/);
    const { byFunction } = await failedThree;
    expect(byFunction.filter((f) => f.failed > 0).map((f) => f.name)).to.have.members([
      'spin',
      'queued',
      'boom',
    ]);
    socket.close();

    // Live updates need the session too.
    const stranger = io(`${url.origin}/dashboard`, { transports: ['websocket'], reconnection: false });
    const outcome = await new Promise<string>((resolve) => {
      stranger.on('connect', () => resolve('connected'));
      stranger.on('connect_error', (e) => resolve(`refused: ${e.message}`));
    });
    stranger.close();
    expect(outcome).to.match(/^refused/);
  });
});
