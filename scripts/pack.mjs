// `npm run pack -- DIR`: builds every package and writes its npm tarball into DIR, ready for
// `npm install DIR/de2-core-0.1.0.tgz ...` in a project of your own (see the README's
// "Use de2 in your own project"). Tarballs that depend on each other are installed together.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dest = path.resolve(process.argv[2] ?? 'de2-packages');
fs.mkdirSync(dest, { recursive: true });
execFileSync('npx', ['tsc', '-b'], { cwd: root, stdio: 'inherit' });
const out = execFileSync('npm', ['pack', '--workspaces', '--json', '--pack-destination', dest], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
const packed = JSON.parse(out);
for (const p of packed)
  console.log(`${path.join(dest, p.filename)}  (${p.name} ${p.version}, ${p.entryCount} files)`);
console.log(`\nInstall into your project with:\n  npm install ${path.join(dest, '*.tgz')}`);
