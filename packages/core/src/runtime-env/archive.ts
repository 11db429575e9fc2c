/**
 * The packed form of a job's working dir: one gzip stream holding a JSON list of files
 * and their bytes one after another. Files are listed in path order with no times or
 * owners, so the same folder always packs to the same bytes and the same hash, which is
 * what names the copy on every node.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const MAGIC = 'de2-working-dir-1\n';

export interface PackedFile {
  /** Path relative to the working dir, with '/' separators. */
  path: string;
  /** 0o755 for executables, else 0o644. */
  mode: number;
  size: number;
}

export interface Archive {
  /** sha256 of the uncompressed stream: the working dir's identity. */
  hash: string;
  /** gzip of the stream: what travels. */
  bytes: Uint8Array;
  files: PackedFile[];
  /** Sum of the files' sizes. */
  totalBytes: number;
}

/** Packs `files` (read from `root`) into one archive. */
export function writeArchive(root: string, files: PackedFile[]): Archive {
  const manifest = Buffer.from(JSON.stringify(files.map((f) => [f.path, f.mode, f.size])));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(manifest.length);
  const parts: Buffer[] = [Buffer.from(MAGIC), header, manifest];
  for (const f of files) {
    const data = fs.readFileSync(path.join(root, ...f.path.split('/')));
    // A file that changed between listing and reading would corrupt the offsets.
    if (data.length !== f.size)
      throw new Error(`${f.path} changed while it was being packed: run init again`);
    parts.push(data);
  }
  const raw = Buffer.concat(parts);
  const hash = createHash('sha256').update(raw).digest('hex');
  const bytes = zlib.gzipSync(raw, { level: 6 });
  return { hash, bytes, files, totalBytes: files.reduce((s, f) => s + f.size, 0) };
}

/**
 * Writes the archive's files under `dir` (which must exist). Paths that would leave `dir`
 * are refused, so a damaged or forged archive cannot write elsewhere.
 */
export function extractArchive(bytes: Uint8Array, dir: string, expectedHash: string): PackedFile[] {
  const raw = zlib.gunzipSync(bytes);
  const hash = createHash('sha256').update(raw).digest('hex');
  if (hash !== expectedHash)
    throw new Error(`the working dir's archive is damaged (sha256 ${hash}, expected ${expectedHash})`);
  if (raw.subarray(0, MAGIC.length).toString() !== MAGIC) throw new Error('not a de2 working-dir archive');
  let offset = MAGIC.length;
  const manifestLength = raw.readUInt32BE(offset);
  offset += 4;
  const list = JSON.parse(raw.subarray(offset, offset + manifestLength).toString()) as [
    string,
    number,
    number,
  ][];
  offset += manifestLength;
  const root = path.resolve(dir);
  const files: PackedFile[] = [];
  for (const [rel, mode, size] of list) {
    const target = path.resolve(root, ...rel.split('/'));
    if (rel === '' || path.isAbsolute(rel) || !target.startsWith(root + path.sep)) {
      throw new Error(`the working dir's archive holds a path outside it: ${rel}`);
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, raw.subarray(offset, offset + size), { mode: mode & 0o777 });
    offset += size;
    files.push({ path: rel, mode, size });
  }
  return files;
}
