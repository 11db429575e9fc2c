// The layering of the packages' sources, checked on every `npm run lint` (so in `npm test`):
//  1. no import circle between source files, type-only imports included (a type-only circle
//     costs nothing at run time, but it is the same tangle for a reader and the first step
//     of a real one; ESLint's import plugins skip type imports, so this check is ours);
//  2. each folder of @de2/core's `src/` imports only the folders below it in LAYERS.
// It reads import lines with TypeScript's pre-processor (no type checking): about 0.2 s.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

/**
 * What each folder of packages/core/src may import (besides itself), lowest layers first.
 * An entry is a folder or one file of it (`node/running-table`). Files at the top of `src/`
 * (index.ts, version.ts) may import anything; nothing but them imports index.ts.
 */
const LAYERS = {
  // the vocabulary everything shares
  errors: [],
  generated: [],
  home: ['errors'],
  protocol: ['errors'],
  // one job each, below the roles
  'object-store': ['errors', 'protocol'],
  scheduler: ['errors', 'protocol'],
  'runtime-env': ['errors'],
  serialization: ['errors', 'generated', 'protocol', 'object-store'],
  transport: ['errors', 'home', 'protocol', 'serialization'],
  // the roles
  client: ['errors', 'protocol', 'serialization'],
  head: ['errors', 'protocol', 'scheduler'],
  // the node runs worker threads: it knows the thread boundary's formats (packing, memory budget)
  node: ['errors', 'object-store', 'protocol', 'runtime-env', 'scheduler', 'serialization', 'worker'],
  // a worker thread runs user code, which calls the API; it claims its slot in the node's running table
  worker: [
    'api',
    'client',
    'errors',
    'node/running-table',
    'object-store',
    'protocol',
    'runtime-env',
    'serialization',
  ],
  // wiring roles together
  embedded: ['client', 'head', 'node', 'protocol'],
  dashboard: ['head', 'home', 'protocol', 'transport'],
  cluster: ['client', 'dashboard', 'embedded', 'errors', 'head', 'home', 'node', 'protocol', 'transport'],
  api: [
    'object-store',
    'client',
    'cluster',
    'dashboard',
    'embedded',
    'errors',
    'node/memory-monitor',
    'protocol',
    'runtime-env',
    'serialization',
    'transport',
  ],
  cli: ['cluster', 'errors', 'home', 'node', 'protocol', 'serialization', 'transport'],
};

function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The source file a relative specifier names (`./x.js` is `./x.ts`), or undefined. */
function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const packagesDir = join(root, 'packages');
const files = readdirSync(packagesDir)
  .map((name) => join(packagesDir, name, 'src'))
  .filter(existsSync)
  .flatMap(sourceFiles);

/** @type {Map<string, string[]>} */
const graph = new Map();
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = importedFiles.map((i) => resolveImport(file, i.fileName)).filter((t) => t !== undefined);
  graph.set(file, [...new Set(targets)]);
}

const problems = [];
const rel = (file) => relative(root, file);

// 2. layers of core
const coreSrc = join(packagesDir, 'core', 'src');
const layerOf = (file) => {
  const parts = relative(coreSrc, file).split(sep);
  return parts.length > 1 ? parts[0] : undefined;
};
for (const [file, targets] of graph) {
  if (!file.startsWith(coreSrc + sep)) continue;
  const from = layerOf(file);
  for (const target of targets) {
    const to = layerOf(target);
    if (target === join(coreSrc, 'index.ts')) problems.push(`${rel(file)} imports the public index`);
    if (from === undefined || to === undefined || from === to) continue;
    const allowed = LAYERS[from];
    if (!allowed) {
      problems.push(`${rel(file)}: folder '${from}/' is not in LAYERS (scripts/check-imports.mjs); add it`);
      continue;
    }
    const targetName = relative(coreSrc, target).split(sep).join('/').replace(/\.ts$/, '');
    if (!allowed.includes(to) && !allowed.includes(targetName)) {
      problems.push(`${rel(file)} imports ${rel(target)}: '${from}/' may import only ${allowed.join(', ')}`);
    }
  }
}

// 1. circles (Tarjan's strongly connected components)
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function visit(file) {
  index.set(file, counter);
  low.set(file, counter);
  counter++;
  stack.push(file);
  onStack.add(file);
  for (const next of graph.get(file) ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(file, Math.min(low.get(file), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(file, Math.min(low.get(file), index.get(next)));
    }
  }
  if (low.get(file) === index.get(file)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1) problems.push(`import circle: ${component.map(rel).sort().join(' <-> ')}`);
  }
}
for (const file of graph.keys()) if (!index.has(file)) visit(file);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-imports: ${graph.size} files, no circle, core's layers kept`);
