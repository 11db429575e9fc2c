import { watch, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A folder where tasks leave marker files (a task cannot call back into the test), and a
 * way to wait for one to appear: it watches the folder, so the test waits for the event.
 */
export class MarkerDir {
  readonly path = mkdtempSync(join(tmpdir(), 'de2-markers-'));

  list(): string[] {
    return readdirSync(this.path);
  }

  /** Resolves with the first marker name that satisfies `match`, now or once it appears. */
  waitFor(match: (name: string) => boolean, timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const watcher = watch(this.path);
      const timer = setTimeout(() => {
        watcher.close();
        reject(new Error(`no marker matched within ${timeoutMs} ms; markers: ${this.list().join(', ')}`));
      }, timeoutMs);
      const check = () => {
        const found = this.list().find(match);
        if (found === undefined) return;
        clearTimeout(timer);
        watcher.close();
        resolve(found);
      };
      watcher.on('change', check);
      check();
    });
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
