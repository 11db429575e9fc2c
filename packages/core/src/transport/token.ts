import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuthenticationError } from '../errors/errors.js';
import { tokenPath } from '../home/paths.js';

/** A fresh cluster token: 32 random bytes in hex (never starts with '-', which a CLI would take for a flag). */
export function createToken(): string {
  return randomBytes(32).toString('hex');
}

/** Writes the token to ~/.de2/token with mode 0600 (only this user can read it). */
export function saveToken(token: string, path = tokenPath()): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // writeFileSync keeps the mode of an existing file
  return path;
}

/**
 * The token to present: an explicit one, else DE2_TOKEN, else ~/.de2/token; undefined
 * when there is none.
 */
export function findToken(explicit?: string, path = tokenPath()): string | undefined {
  if (explicit) return explicit;
  if (process.env.DE2_TOKEN) return process.env.DE2_TOKEN;
  if (existsSync(path)) return readFileSync(path, 'utf8').trim() || undefined;
  return undefined;
}

/**
 * Reads a token file (`--token-file`); throws an error that names the file when it is
 * missing or empty.
 */
export function readTokenFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AuthenticationError(`cannot read the token file ${path}: ${(error as Error).message}`);
  }
  const token = text.trim();
  if (!token) throw new AuthenticationError(`the token file ${path} is empty`);
  return token;
}

/**
 * The command line with the value of `--token` hidden, as `ps` shows a long-running node
 * that was given one (the token is the cluster's password: every user of the machine can
 * read every process's arguments).
 */
export function argvWithoutToken(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--token') {
      out.push(a, '***');
      i++;
    } else out.push(a.startsWith('--token=') ? '--token=***' : a);
  }
  return out;
}

/** Constant-time comparison, so the time taken does not leak how much of a guess matched. */
export function tokensEqual(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}
