// What TypeScript support costs a worker thread: `npm run bench:ts-thread-memory`.
// Child processes start N idle worker threads each, in four ways, and report their resident
// memory: plain threads; threads with de2's module hooks registered (what every de2 worker
// thread now does); the same after importing a .ts module (the hooks load sucrase); and
// idle threads of a process started with `--import tsx` (what every thread of a program run
// through tsx costs: the figure the README quotes for tsx).
// The cost per thread is the growth from 1 to 5 threads, divided by 4.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const hooks = pathToFileURL(path.join(repo, 'packages/core/dist/worker/module-hooks.js')).href;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-bench-tsmem-'));
const helper = path.join(dir, 'helper.ts');
fs.writeFileSync(helper, 'interface P { x: number }\nexport const f = (p: P): number => p.x + 1;\n');
const script = path.join(dir, 'threads.mjs');
fs.writeFileSync(
  script,
  `import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { register } from 'node:module';
const [mode, n] = [process.argv[2], Number(process.argv[3])];
if (isMainThread) {
  let ready = 0;
  for (let i = 0; i < n; i++) {
    new Worker(new URL(import.meta.url), { argv: [mode, n] }).on('message', () => {
      if (++ready < n) return;
      setTimeout(() => { console.log(process.memoryUsage.rss()); process.exit(0); }, 500);
    });
  }
} else {
  if (mode === 'hooks' || mode === 'hooks+ts') register(${JSON.stringify(hooks)});
  if (mode === 'hooks+ts') {
    const { f } = await import(${JSON.stringify(pathToFileURL(helper).href)});
    f({ x: 1 });
  }
  parentPort.postMessage('ready');
  setInterval(() => {}, 1000);
}
`,
);

const rss = (mode: string, n: number): number => {
  const args = mode === 'tsx' ? ['--import', 'tsx', script, mode, String(n)] : [script, mode, String(n)];
  return Number(execFileSync(process.execPath, args, { cwd: repo, encoding: 'utf8' }).trim()) / 2 ** 20;
};
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

console.log(
  `load average: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log('| threads | resident memory, 1 thread | 5 threads | per thread |');
console.log('|---|---|---|---|');
for (const mode of ['plain', 'hooks', 'hooks+ts', 'tsx']) {
  const one = median([0, 1, 2].map(() => rss(mode, 1)));
  const five = median([0, 1, 2].map(() => rss(mode, 5)));
  console.log(
    `| ${mode} | ${one.toFixed(1)} MiB | ${five.toFixed(1)} MiB | ${((five - one) / 4).toFixed(1)} MiB |`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
