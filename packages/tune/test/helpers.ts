import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

const made: string[] = [];

/** A fresh folder for one test's experiments; removed once all tests have run. */
export function tempDir(prefix = 'de2-tune-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

// A root-level hook (registered when the first test file imports this module): tests read
// their folders until their own end, and some share one between `it`s.
after(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A writable stream that keeps what is written, for checking progress output. */
export class Capture extends Writable {
  text = '';
  isTTY: boolean;

  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
