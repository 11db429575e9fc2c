import fs from 'node:fs';
import path from 'node:path';
import type { SerializedValue } from '../protocol/messages.js';

/**
 * Spilled objects: one file per object under `<sessionDir>/spill/`, laid out as
 * [u32 header length][u32 buffer count][u64 length per buffer][header][buffers...].
 * Restoring reads the buffers straight into new SharedArrayBuffers.
 */
export class SpillDirectory {
  private used = 0;
  private readonly dir: string;

  constructor(
    sessionDir: string,
    /** Most bytes that may be on disk at once. */
    readonly limitBytes: number,
  ) {
    this.dir = path.join(sessionDir, 'spill');
  }

  get usedBytes(): number {
    return this.used;
  }

  canTake(bytes: number): boolean {
    return this.used + bytes <= this.limitBytes;
  }

  write(id: string, value: SerializedValue): string {
    fs.mkdirSync(this.dir, { recursive: true });
    const file = path.join(this.dir, `${id.replace(/[^\w.-]/g, '_')}.obj`);
    const meta = Buffer.alloc(8 + 8 * value.buffers.length);
    meta.writeUInt32LE(value.header.byteLength, 0);
    meta.writeUInt32LE(value.buffers.length, 4);
    value.buffers.forEach((b, i) => meta.writeBigUInt64LE(BigInt(b.byteLength), 8 + 8 * i));
    const fd = fs.openSync(file, 'w');
    try {
      fs.writeSync(fd, meta);
      fs.writeSync(fd, value.header);
      for (const b of value.buffers) writeAll(fd, new Uint8Array(b));
    } finally {
      fs.closeSync(fd);
    }
    this.used += value.size;
    return file;
  }

  /** Reads a value back; `allocate` gives the memory of each buffer (the store's pool). */
  read(
    file: string,
    refs: string[],
    allocate: (bytes: number) => SharedArrayBuffer = (n) => new SharedArrayBuffer(n),
    afterRead: (sab: SharedArrayBuffer) => void = () => {},
  ): SerializedValue {
    const fd = fs.openSync(file, 'r');
    try {
      const head = Buffer.alloc(8);
      fs.readSync(fd, head, 0, 8, 0);
      const headerLength = head.readUInt32LE(0);
      const count = head.readUInt32LE(4);
      const lengths = Buffer.alloc(8 * count);
      fs.readSync(fd, lengths, 0, lengths.length, 8);
      let position = 8 + lengths.length;
      const header = new Uint8Array(headerLength);
      fs.readSync(fd, header, 0, headerLength, position);
      position += headerLength;
      let size = headerLength;
      const buffers: SharedArrayBuffer[] = [];
      for (let i = 0; i < count; i++) {
        const length = Number(lengths.readBigUInt64LE(8 * i));
        const sab = allocate(length);
        readAll(fd, new Uint8Array(sab), position);
        afterRead(sab);
        position += length;
        size += length;
        buffers.push(sab);
      }
      return { header, buffers, refs, size };
    } finally {
      fs.closeSync(fd);
    }
  }

  remove(file: string, size: number): void {
    this.used -= size;
    fs.rmSync(file, { force: true });
  }
}

const CHUNK = 1 << 30; // fs calls take at most 2 GiB at once

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;)
    off += fs.writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off));
}

function readAll(fd: number, into: Uint8Array, position: number): void {
  for (let off = 0; off < into.length;) {
    const n = fs.readSync(fd, into, off, Math.min(CHUNK, into.length - off), position + off);
    if (n === 0) throw new Error('spill file is truncated');
    off += n;
  }
}
