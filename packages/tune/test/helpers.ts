import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

/** A fresh folder for one test's experiments. */
export function tempDir(prefix = 'de2-tune-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

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
