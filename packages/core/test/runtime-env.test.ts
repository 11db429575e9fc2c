import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { RuntimeEnvError, get, getActor, init, remote, shutdown, workingDir } from '@de2/core';
import { extractArchive } from '../src/runtime-env/archive.js';
import { packWorkingDir } from '../src/runtime-env/pack.js';

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-project-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('runtime environments', function () {
  this.timeout(60_000);
  const made: string[] = [];
  const make = (files: Record<string, string>): string => {
    const dir = project(files);
    made.push(dir);
    return dir;
  };
  after(async () => {
    await shutdown();
    for (const d of made) fs.rmSync(d, { recursive: true, force: true });
  });

  describe('packing the working dir', () => {
    it('honours .gitignore files at any depth and excludes, never ships node_modules or .git, and packs the same folder to the same hash', () => {
      const dir = make({
        'main.ts': 'x',
        '.gitignore': '*.log\nbuild/\n',
        'app.log': 'no',
        'build/out.js': 'no',
        'src/a.ts': 'a',
        'src/.gitignore': 'local.json\n',
        'src/local.json': 'no',
        'other/local.json': 'yes: the nested rule is for src/ only',
        'data/big.csv': 'no: excluded',
        'node_modules/x/index.js': 'no',
        'src/node_modules/y/index.js': 'no',
        '.git/HEAD': 'no',
      });
      const a = packWorkingDir(dir, ['data/'], 2 ** 20);
      expect(a.files.map((f) => f.path)).to.deep.equal([
        '.gitignore',
        'main.ts',
        'other/local.json',
        'src/.gitignore',
        'src/a.ts',
      ]);
      const b = packWorkingDir(dir, ['data/'], 2 ** 20);
      expect(b.hash).to.equal(a.hash);
      fs.writeFileSync(path.join(dir, 'src/a.ts'), 'changed');
      expect(packWorkingDir(dir, ['data/'], 2 ** 20).hash).to.not.equal(a.hash);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-unpacked-'));
      made.push(out);
      extractArchive(a.bytes, out, a.hash);
      expect(fs.readFileSync(path.join(out, 'src/a.ts'), 'utf8')).to.equal('a');
    });

    it('refuses an archive whose hash does not match or whose paths leave the folder', () => {
      const dir = make({ 'a.txt': 'a' });
      const a = packWorkingDir(dir, [], 2 ** 20);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'de2-unpacked-'));
      made.push(out);
      expect(() => extractArchive(a.bytes, out, '0'.repeat(64))).to.throw(/damaged/);
      // A forged archive with a path that climbs out: refused even with its own (matching) hash.
      const raw = zlib.gunzipSync(a.bytes).toString('latin1').replace('"a.txt"', '"../at"');
      const forged = zlib.gzipSync(Buffer.from(raw, 'latin1'));
      const hash = createHash('sha256').update(Buffer.from(raw, 'latin1')).digest('hex');
      expect(() => extractArchive(forged, out, hash)).to.throw(/outside/);
      expect(fs.existsSync(path.join(out, '..', 'at'))).to.equal(false);
    });
  });

  describe('init options', () => {
    it('says what to fix for a missing, wrong or unsupported option', async () => {
      const message = async (runtimeEnv: unknown) => {
        const e = await init({ runtimeEnv: runtimeEnv as never }).catch((error: unknown) => error);
        expect(e).to.be.instanceOf(RuntimeEnvError);
        return (e as Error).message;
      };
      expect(await message({})).to.match(/workingDir is required/);
      expect(await message({ workingDir: '/no/such/folder' })).to.match(/does not exist/);
      expect(await message({ workingDir: '.', pip: ['numpy'] })).to.match(
        /runtimeEnv.pip is not supported: use a package.json with a package-lock.json/,
      );
      expect(await message({ workingDir: '.', env: { N: 1 } })).to.match(/env.N must be a string/);
      const noLock = make({ 'package.json': JSON.stringify({ dependencies: { lodash: '^4' } }) });
      expect(await message({ workingDir: noLock })).to.match(/no package-lock.json.*npm install/);
    });

    it('DE2_RUNTIME_ENV sets runtimeEnv for a program that does not, and bad JSON there says how to write it', async () => {
      const dir = make({ 'a.txt': 'a' });
      process.env.DE2_RUNTIME_ENV = JSON.stringify({ workingDir: dir });
      try {
        expect((await init({ numCpus: 1 })).workingDir).to.equal(dir);
        await shutdown();
        process.env.DE2_RUNTIME_ENV = '{workingDir: .}';
        const e = await init({ numCpus: 1 }).catch((error: unknown) => error);
        expect(e).to.be.instanceOf(RuntimeEnvError);
        expect((e as Error).message).to.include(`DE2_RUNTIME_ENV='{"workingDir":"."}'`);
      } finally {
        delete process.env.DE2_RUNTIME_ENV;
      }
    });

    it('plain init() joins the cluster at DE2_ADDRESS, and address "local" ignores it', async () => {
      const saved = { address: process.env.DE2_ADDRESS, token: process.env.DE2_TOKEN };
      process.env.DE2_ADDRESS = '127.0.0.1:1';
      process.env.DE2_TOKEN = 'not-a-real-token';
      try {
        const e = await init().catch((error: unknown) => error);
        expect((e as Error).message).to.match(/127\.0\.0\.1:1.*came from DE2_ADDRESS/);
        const info = await init({ address: 'local', numCpus: 1 });
        expect(info.address).to.equal(undefined);
        await shutdown();
      } finally {
        process.env.DE2_ADDRESS = saved.address ?? '';
        process.env.DE2_TOKEN = saved.token ?? '';
      }
    });
  });

  it('without a runtime environment, a task that names a .ts module by absolute path imports it', async () => {
    const dir = make({ 'helper.ts': 'export const f = (x: number): number => x + 1;\n' });
    await init({ numCpus: 1 });
    const task = remote(async (d: string) =>
      ((await import(d + '/helper.ts')) as { f: (x: number) => number }).f(1),
    );
    expect(await get(task.remote(dir))).to.equal(2);
    await shutdown();
  });

  describe('embedded: the same options resolve against the driver folder', () => {
    it('tasks and actors import .ts modules by relative path, find their data files, see env and workingDir()', async () => {
      const dir = make({
        'lib/score.ts': [
          "import { readFileSync } from 'node:fs';",
          "import { double } from './double.js'; // TypeScript's convention: ./double.ts on disk",
          'interface W { w: number }',
          "const weights: W = JSON.parse(readFileSync(new URL('./weights.json', import.meta.url), 'utf8'));",
          'export enum Kind { A = 1 }',
          'export const score = (x: number): number => double(x) * weights.w + Kind.A;',
        ].join('\n'),
        'lib/double.ts': 'export const double = (x: number): number => 2 * x;\n',
        'lib/weights.json': '{ "w": 5 }',
      });
      const info = await init({ numCpus: 2, runtimeEnv: { workingDir: dir, env: { DE2_TEST_VAR: 'on' } } });
      expect(info.workingDir).to.equal(dir);
      expect(workingDir()).to.equal(dir);
      const task = remote(async (x: number) => {
        const { score } = (await import('./lib/score.ts' as string)) as { score: (x: number) => number };
        const core = await import('@de2/core');
        return { score: score(x), dir: core.workingDir(), v: process.env.DE2_TEST_VAR };
      });
      expect(await get(task.remote(3))).to.deep.equal({ score: 31, dir, v: 'on' });
      const Scorer = remote(
        class Scorer {
          async score(x: number) {
            const m = (await import('./lib/score.ts' as string)) as { score: (x: number) => number };
            return m.score(x);
          }
        },
      );
      const s = Scorer.options({ name: 'scorer' }).remote();
      expect(await get(s.score.remote(1))).to.equal(11);
      expect(await get((await getActor<{ score(x: number): number }>('scorer')).score.remote(2))).to.equal(
        21,
      );
      await shutdown();
      expect(process.env.DE2_TEST_VAR).to.equal(undefined);
    });
  });
});
