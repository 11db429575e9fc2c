// The de2 dashboard's pages. Plain browser JavaScript, no framework, nothing from a CDN.
// Everything that comes from the cluster (names, configs, log lines, errors) goes into the
// page as text nodes or SVG attributes, never as HTML, so a task named `<img src=x>` stays text.
// Type-checked (`npm run typecheck`, static/tsconfig.json) against the server's contract in
// src/dashboard/view-types.ts, imported below as JSDoc types from the build.
// @ts-check
/* global io */
'use strict';

/**
 * @typedef {import('../dist/dashboard/view-types.js').DashboardApi} DashboardApi
 * @typedef {import('../dist/dashboard/view-types.js').DashboardActions} DashboardActions
 * @typedef {import('../dist/dashboard/view-types.js').DashboardEvents} DashboardEvents
 * @typedef {import('../dist/dashboard/view-types.js').ClusterState} ClusterState
 * @typedef {import('../dist/dashboard/view-types.js').NodeView} NodeView
 * @typedef {import('../dist/dashboard/view-types.js').ActorView} ActorView
 * @typedef {import('../dist/dashboard/view-types.js').ExperimentState} ExperimentState
 * @typedef {Node | string | number | false | null | undefined} Child
 * @typedef {Record<string, unknown>} Attrs
 */

const SVG = 'http://www.w3.org/2000/svg';

/**
 * The element the page shell always has.
 * @template {HTMLElement} E
 * @param {string} selector
 * @param {new () => E} type
 * @returns {E}
 */
function required(selector, type) {
  const found = document.querySelector(selector);
  if (!(found instanceof type)) throw new Error(`the page has no ${selector}`);
  return found;
}

const csrf = required('meta[name="csrf-token"]', HTMLMetaElement).content;
const app = required('#app', HTMLElement);
const pageName = app.dataset.page;
const params = new URLSearchParams(location.search);

/**
 * An element with attributes and children (strings become text nodes).
 * @param {string} tag
 * @param {Attrs | undefined} attrs
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'onclick') node.addEventListener('click', /** @type {EventListener} */ (v));
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/**
 * @param {string} tag
 * @param {Attrs | undefined} attrs
 * @param {...(Node | string)} children
 * @returns {SVGElement}
 */
function svg(tag, attrs, ...children) {
  const node = /** @type {SVGElement} */ (document.createElementNS(SVG, tag));
  for (const [k, v] of Object.entries(attrs ?? {})) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

/**
 * One answer of the JSON API, typed by its path.
 * @template {keyof DashboardApi} P
 * @param {P} path
 * @param {string} [query] `?node=...` and the like
 * @returns {Promise<DashboardApi[P]>}
 */
async function getJson(path, query = '') {
  const res = await fetch(path + query, { credentials: 'same-origin' });
  if (res.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    throw new Error('not logged in');
  }
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

/**
 * @template {keyof DashboardActions} P
 * @param {P} path
 * @param {DashboardActions[P]} body
 */
async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(body),
  });
  const reply = await res.json().catch(() => ({}));
  if (!res.ok) alert(reply.error ?? `${path}: ${res.status}`);
}

/** @param {number} n */
function bytes(n) {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** @param {unknown} v */
function num(v) {
  if (typeof v !== 'number') return v === undefined ? '' : JSON.stringify(v);
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

/**
 * A usage bar drawn in SVG, with its numbers beside it.
 * @param {number} used
 * @param {number} total
 * @param {(x: number) => string} [format]
 */
function bar(used, total, format = (x) => num(x)) {
  const frac = total > 0 ? Math.min(1, Math.max(0, used / total)) : 0;
  const level = frac > 0.9 ? 'high' : frac > 0.7 ? 'mid' : 'low';
  return el(
    'span',
    { class: 'bar' },
    svg(
      'svg',
      { width: 100, height: 10, viewBox: '0 0 100 10', role: 'img' },
      svg('rect', { class: 'bar-bg', x: 0, y: 0, width: 100, height: 10 }),
      svg('rect', { class: `bar-fill ${level}`, x: 0, y: 0, width: (frac * 100).toFixed(1), height: 10 }),
    ),
    ` ${format(used)} / ${format(total)}`,
  );
}

/**
 * @param {string[]} headers
 * @param {HTMLElement[]} rows
 * @param {Attrs} [attrs]
 */
function table(headers, rows, attrs = {}) {
  return el(
    'table',
    attrs,
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', {}, h)),
      ),
    ),
    el('tbody', {}, rows),
  );
}

/**
 * @param {string} title
 * @param {...HTMLElement} content
 */
function section(title, ...content) {
  return el('section', {}, el('h2', {}, title), ...content);
}

/** @param {...HTMLElement} sections */
function render(...sections) {
  app.replaceChildren(...sections);
}

// ---- cluster -------------------------------------------------------------------------

/** @param {NodeView} n */
function nodeRow(n) {
  const state = n.alive ? 'alive' : 'dead';
  const cpu = n.resources.CPU ?? 0;
  const mem = n.resources.memory ?? 0;
  const store = n.resources.objectStoreMemory ?? 0;
  return el(
    'tr',
    { 'data-node-id': n.nodeId, 'data-state': state, class: state },
    el('td', {}, el('a', { href: `/logs?node=${encodeURIComponent(n.nodeId)}` }, n.nodeId)),
    el('td', {}, n.address),
    el('td', { class: 'state' }, state),
    el('td', {}, bar(cpu - (n.available.CPU ?? 0), cpu)),
    el('td', {}, bar(mem - (n.available.memory ?? 0), mem, bytes)),
    el('td', {}, bar(n.objectStoreUsed, store, bytes)),
    el('td', { class: 'num' }, n.tasks.running),
    el('td', { class: 'num' }, n.tasks.finished),
    el('td', { class: 'num' }, n.tasks.failed),
  );
}

/** @param {Omit<ClusterState, 'actors'>} state */
function renderCluster(state) {
  const nodes = state.nodes.filter((n) => !n.isDriver);
  const drivers = state.nodes.filter((n) => n.isDriver && n.alive).length;
  const alive = nodes.filter((n) => n.alive).length;
  const demands = state.demands.map((d) =>
    el(
      'li',
      { class: d.infeasible ? 'infeasible' : '' },
      `${JSON.stringify(d.resources)}: ${d.count} ${d.infeasible ? 'infeasible: no node can ever run it; add one that offers this' : 'pending'}`,
    ),
  );
  render(
    section(
      `Nodes (${alive} alive, ${nodes.length - alive} dead; ${drivers} driver${drivers === 1 ? '' : 's'} connected)`,
      table(
        ['Node', 'Address', 'State', 'CPU', 'Memory', 'Object store', 'Running', 'Finished', 'Failed'],
        nodes.map(nodeRow),
        { id: 'nodes' },
      ),
    ),
    section(
      `Tasks by function (${state.pendingTasks} pending)`,
      table(
        ['Function', 'Running', 'Queued', 'Finished', 'Failed'],
        state.byFunction.map((f) =>
          el(
            'tr',
            { 'data-function': f.name },
            el('td', { class: 'name' }, f.name),
            el('td', { class: 'num' }, f.running),
            el('td', { class: 'num' }, f.queued),
            el('td', { class: 'num' }, f.finished),
            el('td', { class: 'num' }, f.failed),
          ),
        ),
        { id: 'functions' },
      ),
    ),
    section('Resource demands', demands.length ? el('ul', { id: 'demands' }, demands) : el('p', {}, 'None.')),
    section(
      'Running and queued tasks',
      table(
        ['Task', 'Function', 'Kind', 'State', 'Node', ''],
        state.tasks.map((t) =>
          el(
            'tr',
            {},
            el('td', { class: 'id' }, t.taskId),
            el('td', { class: 'name' }, t.name),
            el('td', {}, t.kind),
            el('td', {}, t.state),
            el('td', {}, t.nodeId),
            el(
              'td',
              {},
              t.kind === 'actorCreate'
                ? ''
                : el('button', { onclick: () => post('/api/tasks/cancel', { taskId: t.taskId }) }, 'Cancel'),
            ),
          ),
        ),
        { id: 'tasks' },
      ),
    ),
  );
}

// ---- actors --------------------------------------------------------------------------

/** @param {ActorView[]} actors */
function renderActors(actors) {
  render(
    section(
      `Actors (${actors.filter((a) => a.state !== 'dead').length} alive or pending)`,
      table(
        ['Actor', 'Class', 'Name', 'State', 'Node', 'Restarts', 'Why it died', ''],
        actors.map((a) =>
          el(
            'tr',
            { 'data-actor-id': a.actorId, class: a.state },
            el('td', { class: 'id' }, a.actorId),
            el('td', { class: 'name' }, a.className),
            el('td', {}, a.name),
            el('td', { class: 'state' }, a.state),
            el('td', {}, a.nodeId),
            el('td', { class: 'num' }, a.restarts),
            el('td', { class: 'error' }, a.deathReason),
            el(
              'td',
              {},
              a.state === 'dead'
                ? ''
                : el(
                    'button',
                    {
                      onclick: () =>
                        confirm(`Kill actor ${a.actorId}?`) &&
                        post('/api/actors/kill', { actorId: a.actorId }),
                    },
                    'Kill',
                  ),
            ),
          ),
        ),
        { id: 'actors' },
      ),
    ),
  );
}

// ---- logs ----------------------------------------------------------------------------

/** @param {NodeView[]} nodes */
async function renderLogs(nodes) {
  const nodeId = params.get('node') ?? '';
  const links = nodes
    .filter((n) => !n.isDriver)
    .map((n) =>
      el(
        'li',
        {},
        el('a', { href: `/logs?node=${encodeURIComponent(n.nodeId)}` }, n.nodeId),
        n.alive ? '' : ' (dead)',
      ),
    );
  const parts = [section('Nodes', el('ul', {}, links))];
  if (nodeId) {
    const log = await getJson('/api/logs', `?node=${encodeURIComponent(nodeId)}`);
    parts.push(
      section(
        `Task output on ${nodeId} (last ${log.lines.length} lines)`,
        el(
          'pre',
          { id: 'log', class: 'log' },
          log.lines.map((l) =>
            el('span', { class: l.stream }, `${new Date(l.time).toISOString().slice(11, 19)} ${l.text}\n`),
          ),
        ),
      ),
    );
    if (log.file)
      parts.push(section(`Node log ${log.file.path}`, el('pre', { class: 'log' }, log.file.tail)));
  }
  render(...parts);
}

// ---- experiments ---------------------------------------------------------------------

const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/**
 * A line chart in SVG: one polyline and one circle per point for each series.
 * @param {{ id: string, series: { name: string, points: { x: number, y: number }[] }[],
 *   xLabel: string, yLabel: string, step?: boolean }} chart
 */
function lineChart({ id, series, xLabel, yLabel, step = false }) {
  const W = 600;
  const H = 260;
  const m = { l: 60, r: 130, t: 10, b: 36 };
  const all = series.flatMap((s) => s.points);
  const root = svg('svg', { id, class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img' });
  if (all.length === 0) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no results yet'));
    return root;
  }
  let [x0, x1] = [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))];
  let [y0, y1] = [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - (Math.abs(y0) * 0.05 || 1), y1 + (Math.abs(y1) * 0.05 || 1)];
  /** @param {number} x */
  const sx = (x) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  /** @param {number} y */
  const sy = (y) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  /** @param {number} x @param {number} y @param {string} anchor @param {string} text @param {Attrs} [extra] */
  const label = (x, y, anchor, text, extra = {}) =>
    svg('text', { class: 'label', x, y, 'text-anchor': anchor, ...extra }, text);
  root.append(
    svg('line', { class: 'axis', x1: m.l, y1: H - m.b, x2: W - m.r, y2: H - m.b }),
    svg('line', { class: 'axis', x1: m.l, y1: m.t, x2: m.l, y2: H - m.b }),
    label(m.l, H - m.b + 14, 'middle', num(x0)),
    label(W - m.r, H - m.b + 14, 'middle', num(x1)),
    label((m.l + W - m.r) / 2, H - 4, 'middle', xLabel),
    label(12, (m.t + H - m.b) / 2, 'middle', yLabel, { transform: `rotate(-90 12 ${(m.t + H - m.b) / 2})` }),
  );
  // Three values on the y axis, with faint grid lines.
  for (const f of [0, 0.5, 1]) {
    const y = y0 + f * (y1 - y0);
    root.append(label(m.l - 4, sy(y) + 4, 'end', num(y)));
    if (f > 0) root.append(svg('line', { class: 'grid', x1: m.l, y1: sy(y), x2: W - m.r, y2: sy(y) }));
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    /** @type {string[]} */
    const pts = [];
    s.points.forEach((p, j) => {
      const previous = s.points[j - 1];
      if (step && previous) pts.push(`${sx(p.x)},${sy(previous.y)}`);
      pts.push(`${sx(p.x)},${sy(p.y)}`);
    });
    const g = svg('g', { class: 'series', 'data-series': s.name });
    g.append(svg('polyline', { points: pts.join(' '), fill: 'none', stroke: color, 'stroke-width': 1.5 }));
    for (const p of s.points) {
      g.append(
        svg(
          'circle',
          { class: 'point', cx: sx(p.x), cy: sy(p.y), r: 2.5, fill: color },
          svg('title', {}, `${s.name}: ${num(p.y)} at ${num(p.x)}`),
        ),
      );
    }
    if (i < 16) g.append(svg('text', { x: W - m.r + 8, y: m.t + 12 + i * 14, fill: color }, s.name));
    root.append(g);
  });
  return root;
}

/** `a.b=1, c="x"`: nested configs flattened with dots, as Tune's table shows them. */
/**
 * @param {Record<string, unknown>} config
 * @param {string} [prefix]
 * @returns {string}
 */
function configText(config, prefix = '') {
  return Object.entries(config)
    .map(([k, v]) =>
      v !== null && typeof v === 'object' && !Array.isArray(v)
        ? configText(/** @type {Record<string, unknown>} */ (v), `${prefix}${k}.`)
        : `${prefix}${k}=${JSON.stringify(v)}`,
    )
    .join(', ');
}

/** @param {Record<string, unknown>} metrics */
function metricsText(metrics) {
  const skip = new Set(['trainingIteration', 'timeThisIterS', 'timestamp', 'trialId', 'done']);
  return Object.entries(metrics)
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => `${k}=${num(v)}`)
    .join(', ');
}

/** @param {ExperimentState} e */
function renderExperiment(e) {
  const best = e.best.at(-1);
  const shown = e.trials.slice(0, 16);
  return el(
    'article',
    { class: 'experiment', 'data-experiment-id': e.id },
    el('h2', {}, `${e.name} (${e.status})`),
    el(
      'p',
      {},
      `${e.trials.length} trials; metric ${e.metric ?? '(none)'}${e.mode ? ` (${e.mode})` : ''}`,
      best ? `; best so far ${num(best.value)} (trial ${best.trialId})` : '',
      e.path ? `; results in ${e.path}` : '',
    ),
    el(
      'div',
      { class: 'charts' },
      el(
        'figure',
        {},
        lineChart({
          id: `chart-${e.id}`,
          series: shown.map((t) => ({
            name: t.id,
            points: t.points.map((p) => ({ x: p.iteration, y: p.value })),
          })),
          xLabel: 'iteration',
          yLabel: e.metric ?? '',
        }),
        el(
          'figcaption',
          {},
          `${e.metric ?? 'metric'} over iterations${e.trials.length > shown.length ? ` (first ${shown.length} trials)` : ''}`,
        ),
      ),
      el(
        'figure',
        {},
        lineChart({
          id: `best-${e.id}`,
          series: [{ name: 'best so far', points: e.best.map((b) => ({ x: b.report, y: b.value })) }],
          xLabel: 'results reported',
          yLabel: e.metric ?? '',
          step: true,
        }),
        el('figcaption', {}, `best ${e.metric ?? 'metric'} so far`),
      ),
    ),
    table(
      ['Trial', 'Status', 'Node', 'Config', 'Iteration', 'Metrics', 'Error'],
      e.trials.map((t) =>
        el(
          'tr',
          { 'data-trial-id': t.id, class: t.status.toLowerCase() },
          el('td', { class: 'id' }, t.id),
          el('td', { class: 'status' }, t.status),
          el('td', { class: 'node' }, t.nodeId ?? ''),
          el('td', { class: 'config' }, configText(t.config)),
          el('td', { class: 'num iteration' }, t.iteration),
          el('td', { class: 'metrics' }, metricsText(t.metrics)),
          el('td', { class: 'error' }, t.error ?? ''),
        ),
      ),
      { class: 'trials' },
    ),
  );
}

/** @param {ExperimentState[]} experiments */
function renderExperiments(experiments) {
  if (experiments.length === 0) {
    return render(
      section(
        'Experiments',
        el(
          'p',
          {},
          'No Tune experiment has reported to this head yet. Run one with init() pointed at this cluster.',
        ),
      ),
    );
  }
  render(...experiments.map(renderExperiment));
}

// ---- wiring --------------------------------------------------------------------------

const live = required('#live', HTMLElement);
/**
 * Live updates: the server pushes `DashboardEvents` on the `/dashboard` namespace.
 * @param {DashboardEvents['cluster']} [onCluster]
 * @param {DashboardEvents['experiments']} [onExperiments]
 */
function connect(onCluster, onExperiments) {
  /** @type {import('socket.io-client').Socket<DashboardEvents, Record<never, never>>} */
  const socket = io('/dashboard', { withCredentials: true });
  /** @param {string} text @param {boolean} on */
  const show = (text, on) => {
    live.textContent = text;
    live.className = on ? 'live on' : 'live';
  };
  socket.on('connect', () => show('live', true));
  socket.on('disconnect', () => show('reconnecting…', false));
  socket.on('connect_error', (e) => show(`not connected: ${e.message}`, false));
  if (onCluster) socket.on('cluster', onCluster);
  if (onExperiments) socket.on('experiments', onExperiments);
}

async function main() {
  if (pageName === 'cluster') {
    const [nodes, tasks] = await Promise.all([getJson('/api/nodes'), getJson('/api/tasks')]);
    renderCluster({ ...nodes, ...tasks });
    connect(renderCluster);
  } else if (pageName === 'actors') {
    renderActors((await getJson('/api/actors')).actors);
    connect((s) => renderActors(s.actors));
  } else if (pageName === 'logs') {
    await renderLogs((await getJson('/api/nodes')).nodes);
    let busy = false;
    connect(async (s) => {
      if (busy) return;
      busy = true;
      await renderLogs(s.nodes).finally(() => (busy = false));
    });
  } else if (pageName === 'experiments') {
    renderExperiments((await getJson('/api/experiments')).experiments);
    connect(undefined, renderExperiments);
  }
  app.dataset.ready = 'true';
}

main().catch((e) => render(el('p', { class: 'error' }, String(e instanceof Error ? e.message : e))));
