/**
 * Lists and packs a job's working dir at `init`: `.gitignore` files (at any depth) and the
 * `excludes` patterns are honoured, `node_modules` and `.git` never travel, and the size
 * limit is checked before anything is read, with an error that names the largest files.
 */
import fs from 'node:fs';
import path from 'node:path';
import ignoreModule, { type Ignore } from 'ignore';
import { RuntimeEnvError } from '../errors/errors.js';
import { writeArchive, type Archive, type PackedFile } from './archive.js';

// `ignore` is CommonJS; its default export is the factory.
const makeIgnore = ignoreModule as unknown as () => Ignore;

/** What always stays behind: installed on each node from the lockfile, or not the project's. */
const ALWAYS_EXCLUDED = ['node_modules', '.git'];

interface Matcher {
  /** The folder (relative, '' for the root) the patterns are relative to. */
  base: string;
  ig: Ignore;
}

function ignored(matchers: Matcher[], rel: string, isDir: boolean): boolean {
  for (const m of matchers) {
    if (m.base !== '' && !rel.startsWith(m.base + '/')) continue;
    const inner = m.base === '' ? rel : rel.slice(m.base.length + 1);
    if (m.ig.ignores(isDir ? `${inner}/` : inner)) return true;
  }
  return false;
}

function readGitignore(root: string, relDir: string): Matcher | undefined {
  const file = path.join(root, ...relDir.split('/').filter(Boolean), '.gitignore');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return { base: relDir, ig: makeIgnore().add(text) };
}

/** The files of `root` that travel, in path order. */
export function listWorkingDir(root: string, excludes: string[]): PackedFile[] {
  const rootMatcher: Matcher = { base: '', ig: makeIgnore().add(excludes) };
  const files: PackedFile[] = [];
  const walk = (relDir: string, matchers: Matcher[]): void => {
    const own = readGitignore(root, relDir);
    const active = own ? [...matchers, own] : matchers;
    const abs = path.join(root, ...relDir.split('/').filter(Boolean));
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch (error) {
      throw unreadable(relDir || '.', error);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (ALWAYS_EXCLUDED.includes(entry.name)) continue;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      let stat: fs.Stats;
      try {
        // Links are followed to files; a linked folder is left out (it may point anywhere, or loop).
        stat = entry.isSymbolicLink()
          ? fs.statSync(path.join(abs, entry.name))
          : fs.lstatSync(path.join(abs, entry.name));
      } catch (error) {
        if (entry.isSymbolicLink()) continue; // a dangling link
        throw unreadable(rel, error);
      }
      if (stat.isDirectory()) {
        if (entry.isSymbolicLink() || ignored(active, rel, true)) continue;
        walk(rel, active);
      } else if (stat.isFile() && !ignored(active, rel, false)) {
        try {
          fs.accessSync(path.join(abs, entry.name), fs.constants.R_OK);
        } catch (error) {
          throw unreadable(rel, error);
        }
        files.push({ path: rel, mode: stat.mode & 0o111 ? 0o755 : 0o644, size: stat.size });
      }
    }
  };
  walk('', [rootMatcher]);
  return files;
}

function unreadable(rel: string, error: unknown): RuntimeEnvError {
  const why = error instanceof Error ? error.message : String(error);
  return new RuntimeEnvError(
    `runtimeEnv.workingDir: cannot read ${rel} (${why}): make it readable, or leave it out with ` +
      `runtimeEnv.excludes: ['${rel}'] or a .gitignore entry`,
  );
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** Lists, checks the size limit, and packs. */
export function packWorkingDir(root: string, excludes: string[], maxBytes: number): Archive {
  const files = listWorkingDir(root, excludes);
  const total = files.reduce((s, f) => s + f.size, 0);
  if (total > maxBytes) {
    const largest = [...files].sort((a, b) => b.size - a.size).slice(0, 5);
    throw new RuntimeEnvError(
      `runtimeEnv.workingDir ${root} holds ${mib(total)} in ${files.length} files, over the limit of ` +
        `${mib(maxBytes)}. Largest: ${largest.map((f) => `${f.path} (${mib(f.size)})`).join(', ')}. ` +
        `Leave files out with runtimeEnv.excludes (e.g. excludes: ['${largest[0]?.path ?? 'data/'}']) or a ` +
        `.gitignore entry, put large data in the object store with put(), or raise runtimeEnv.maxSizeBytes.`,
    );
  }
  return writeArchive(root, files);
}
