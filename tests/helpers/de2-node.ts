import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const de2NodeBin = fileURLToPath(new URL('../../packages/core/bin/de2-node.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A private ~/.de2 (DE2_HOME) so tests never touch the user's real token or sessions. */
export class De2Home {
  readonly dir = mkdtempSync(join(tmpdir(), 'de2-home-'));
  readonly env: NodeJS.ProcessEnv = { ...process.env, DE2_HOME: this.dir, DE2_TOKEN: '', DE2_ADDRESS: '' };

  /** Runs `de2-node ...args` and resolves with its exit code and output (never rejects on a non-zero exit). */
  async cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [de2NodeBin, ...args], {
        env: { ...this.env, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  /** Stops every node started under this home (SIGKILL) and deletes the folder. */
  async cleanup(): Promise<void> {
    await this.cli(['stop', '--force']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
