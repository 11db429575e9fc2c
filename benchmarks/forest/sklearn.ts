/** Runs benchmarks/sklearn_forest.py on exactly the rows the de2 side uses. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Table } from './covtype.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../sklearn_forest.py');
const PYTHON = '/usr/bin/python3';

export interface Config {
  nEstimators: number;
  maxDepth: number | null;
}

export interface SklearnResult extends Config {
  fitSeconds: number;
  /** Process CPU time of the fit: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  accuracy: number;
  peakRssMiB: number;
  rssAfterDataMiB: number;
}

/** The scikit-learn version, or null when python3 cannot import sklearn. */
export function sklearnVersion(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function bytes(a: Float32Array | Int32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The train/test rows written once to a temporary folder, then fitted by scikit-learn
 * (n_jobs=1, random_state=0) one python process per `run` call.
 */
export class SklearnRunner {
  /** Folder holding meta.json, train.X.f32, train.y.i32, test.X.f32, test.y.i32. */
  readonly dir: string;

  constructor(train: Table, test: Table) {
    this.dir = mkdtempSync(join(tmpdir(), 'de2-forest-bench-'));
    writeFileSync(join(this.dir, 'meta.json'), JSON.stringify({ nFeatures: train.nFeatures }));
    writeFileSync(join(this.dir, 'train.X.f32'), bytes(train.X));
    writeFileSync(join(this.dir, 'train.y.i32'), bytes(train.y));
    writeFileSync(join(this.dir, 'test.X.f32'), bytes(test.X));
    writeFileSync(join(this.dir, 'test.y.i32'), bytes(test.y));
  }

  async run(configs: Config[]): Promise<SklearnResult[]> {
    const child = spawn(PYTHON, [SCRIPT, this.dir, JSON.stringify(configs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const results: SklearnResult[] = [];
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const o = JSON.parse(buffered.slice(0, nl)) as Partial<SklearnResult>;
        buffered = buffered.slice(nl + 1);
        if (typeof o.fitSeconds === 'number') results.push(o as SklearnResult);
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', res));
    if (code !== 0) throw new Error(`sklearn_forest.py exited with ${code}`);
    return results;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
