import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const PAGES = ['cluster', 'actors', 'logs', 'experiments'] as const;
export type PageName = (typeof PAGES)[number];

const TITLES: Record<PageName, string> = {
  cluster: 'Cluster',
  actors: 'Actors',
  logs: 'Logs',
  experiments: 'Experiments',
};

/** Text for HTML (element content and quoted attributes). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function shell(title: string, body: string, head = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · de2 dashboard</title>
<link rel="stylesheet" href="/static/dashboard.css">
${head}
</head>
<body>
${body}
</body>
</html>
`;
}

/**
 * A page: navigation and an empty main element. Everything from the cluster (names,
 * configs, log lines) is filled in by dashboard.js as text nodes, never as HTML.
 */
export function page(name: PageName, csrf: string): string {
  const nav = PAGES.map(
    (p) =>
      `<a href="/${p === 'cluster' ? '' : p}"${p === name ? ' aria-current="page"' : ''}>${TITLES[p]}</a>`,
  ).join('\n');
  return shell(
    TITLES[name],
    `<header><strong>de2</strong><nav>${nav}</nav><span id="live" class="live">connecting…</span></header>
<main id="app" data-page="${name}"></main>`,
    `<meta name="csrf-token" content="${escapeHtml(csrf)}">
<script src="/static/socket.io.js" defer></script>
<script src="/static/dashboard.js" defer></script>`,
  );
}

export function loginPage(next: string, error = ''): string {
  return shell(
    'Log in',
    `<main class="login">
<h1>de2 dashboard</h1>
<p>This dashboard shows the cluster's code, configs and logs, so it asks for the cluster token
(printed by <code>de2-node start --head</code>, and in <code>~/.de2/token</code> on the head).</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>Cluster token <input type="password" name="token" autocomplete="current-password" autofocus required></label>
<button type="submit">Log in</button>
</form>
</main>`,
  );
}

const staticDir = new URL('../../static/', import.meta.url);
const require = createRequire(import.meta.url);
const STATIC: Record<string, { path: string; type: string }> = {
  'dashboard.js': {
    path: fileURLToPath(new URL('dashboard.js', staticDir)),
    type: 'text/javascript; charset=utf-8',
  },
  'dashboard.css': {
    path: fileURLToPath(new URL('dashboard.css', staticDir)),
    type: 'text/css; charset=utf-8',
  },
  // socket.io's browser client, from the package the nodes use: nothing loads from a CDN.
  'socket.io.js': {
    path: require.resolve('socket.io-client/dist/socket.io.js'),
    type: 'text/javascript; charset=utf-8',
  },
};
const cache = new Map<string, { body: Buffer; type: string }>();

/** One of the dashboard's own files (read once), or undefined. */
export function staticFile(name: string): { body: Buffer; type: string } | undefined {
  const file = Object.hasOwn(STATIC, name) ? STATIC[name] : undefined;
  if (!file) return undefined;
  let entry = cache.get(name);
  if (!entry) cache.set(name, (entry = { body: readFileSync(file.path), type: file.type }));
  return entry;
}
