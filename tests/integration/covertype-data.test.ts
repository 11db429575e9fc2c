import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  classCounts,
  CovertypeFetchError,
  CovertypeFormatError,
  fetchCovertype,
  type FetchProgress,
  FEATURE_NAMES,
  loadCovertype,
  parseCovertype,
  SAMPLE_PATH,
  stratifiedSample,
  stratifiedSplit,
  takeRows,
} from '../../examples/covertype/index.js';

const SHARED = fileURLToPath(new URL('../../../shared/data/covtype/covtype.20k.data', import.meta.url));

/** The obvious, slow parse: one string per field. The loader must agree with it. */
function naiveRows(text: string): number[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.split(',').map(Number));
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function expectRejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail('expected the call to fail');
}

describe('Covertype data (examples/covertype)', function () {
  let dir: string;
  let text: string;
  let rows: number[][];
  let lines: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'de2-covtype-'));
    text = await readFile(SHARED, 'utf8');
    rows = naiveRows(text);
    lines = text.trim().split('\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('loadCovertype', () => {
    it('loads the committed sample: the same rows as the shared UCI file, gzipped', async () => {
      const data = await loadCovertype(SAMPLE_PATH);
      expect(data.nRows).to.equal(rows.length).and.equal(20_000);
      expect(data.nFeatures).to.equal(54);
      expect(data.featureNames).to.deep.equal(FEATURE_NAMES);
      expect(data.features.length).to.equal(rows.length * 54);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        expect(Array.from(data.features.subarray(r * 54, r * 54 + 54))).to.deep.equal(row.slice(0, 54));
        expect(data.labels[r]).to.equal(row[54]);
      }
      // The class counts that examples/data/README.md states.
      expect(classCounts(data.labels).slice(1)).to.deep.equal([2942, 6022, 2160, 2160, 2396, 2160, 2160]);
    });

    it('recognises gzip by its magic bytes, not by the name', async () => {
      const disguised = join(dir, 'covtype.csv');
      await copyFile(SAMPLE_PATH, disguised);
      const plainNamedGz = join(dir, 'plain.data.gz');
      await writeFile(plainNamedGz, lines.slice(0, 50).join('\n') + '\n');
      const a = await loadCovertype(disguised);
      const b = await loadCovertype(plainNamedGz);
      expect(a.nRows).to.equal(20_000);
      expect(b.nRows).to.equal(50);
      expect(Array.from(b.labels)).to.deep.equal(rows.slice(0, 50).map((r) => r[54]));
    });

    it('loads the Kaggle train.csv format (header, Id first), plain and gzipped, CRLF too', async () => {
      const n = 300;
      const header = ['Id', ...FEATURE_NAMES, 'Cover_Type'].join(',');
      const body = lines.slice(0, n).map((line, i) => `${i + 1},${line}`);
      const csv = [header, ...body].join('\r\n') + '\r\n';
      const plain = join(dir, 'train.csv');
      const gz = join(dir, 'train.csv.gz');
      await writeFile(plain, csv);
      await writeFile(gz, gzipSync(csv));
      for (const path of [plain, gz]) {
        const data = await loadCovertype(path);
        expect(data.nRows).to.equal(n);
        expect(data.featureNames).to.deep.equal(FEATURE_NAMES);
        expect(Array.from(data.features)).to.deep.equal(rows.slice(0, n).flatMap((r) => r.slice(0, 54)));
        expect(Array.from(data.labels)).to.deep.equal(rows.slice(0, n).map((r) => r[54]));
      }
    });

    it('parses a full-size file (581,012 rows of real values) correctly', () => {
      const nRows = 581_012;
      const big = Buffer.from(
        Array.from({ length: nRows }, (_, i) => lines[i % lines.length]).join('\n') + '\n',
      );
      const data = parseCovertype(big, 'big.data');
      expect(data.nRows).to.equal(nRows);
      expect(data.features.length).to.equal(nRows * 54);
      const last = rows[(nRows - 1) % rows.length]!;
      expect(Array.from(data.features.subarray((nRows - 1) * 54))).to.deep.equal(last.slice(0, 54));
      expect(data.labels[nRows - 1]).to.equal(last[54]);
      const expected = classCounts(Int32Array.from({ length: nRows }, (_, i) => rows[i % rows.length]![54]!));
      expect(classCounts(data.labels)).to.deep.equal(expected);
    });

    describe('malformed lines name the file, the line number and the problem', () => {
      /** Writes the first 10 real rows with line `lineNo` (1-based) replaced. */
      async function withLine(name: string, lineNo: number, replace: (fields: string[]) => string[]) {
        const out = lines
          .slice(0, 10)
          .map((line, i) => (i + 1 === lineNo ? replace(line.split(',')).join(',') : line));
        const path = join(dir, name);
        await writeFile(path, out.join('\n') + '\n');
        return path;
      }

      async function formatError(path: string): Promise<CovertypeFormatError> {
        const error = await expectRejection(loadCovertype(path));
        expect(error).to.be.instanceOf(CovertypeFormatError);
        const e = error as CovertypeFormatError;
        expect(e.code).to.equal('COVERTYPE_FORMAT');
        expect(e.file).to.equal(path);
        return e;
      }

      it('a missing column', async () => {
        const path = await withLine('short.data', 3, (f) => f.slice(1));
        const e = await formatError(path);
        expect(e.line).to.equal(3);
        expect(e.message).to.equal(`${path}:3: wrong column count: expected 55 columns, found 54`);
      });

      it('an extra column', async () => {
        const path = await withLine('long.data', 4, (f) => [...f, '1']);
        const e = await formatError(path);
        expect(e.line).to.equal(4);
        expect(e.message).to.contain('expected 55 columns, found 56');
      });

      it('a field that is not a number, and an empty one', async () => {
        const bad = await withLine('nan.data', 5, (f) => f.map((v, i) => (i === 11 ? 'abc' : v)));
        const e = await formatError(bad);
        expect(e.line).to.equal(5);
        expect(e.message).to.equal(`${bad}:5: column 12 (Wilderness_Area2) is not a number: "abc"`);
        const empty = await withLine('empty.data', 2, (f) => f.map((v, i) => (i === 1 ? '' : v)));
        expect((await formatError(empty)).message).to.equal(`${empty}:2: column 2 (Aspect) is empty`);
      });

      it('a label outside 1..7', async () => {
        const path = await withLine('label.data', 7, (f) => [...f.slice(0, 54), '8']);
        const e = await formatError(path);
        expect(e.line).to.equal(7);
        expect(e.message).to.contain(`${path}:7: label out of range: Cover_Type (column 55) is 8`);
        const zero = await withLine('label0.data', 1, (f) => [...f.slice(0, 54), '0']);
        expect((await formatError(zero)).line).to.equal(1);
      });

      it('counts the header in the line numbers of a Kaggle file, and gzip keeps them', async () => {
        const header = ['Id', ...FEATURE_NAMES, 'Cover_Type'].join(',');
        const body = lines.slice(0, 10).map((line, i) => `${i + 1},${line}`);
        body[5] = body[5]!.replace(/,\d+$/, ',x');
        const path = join(dir, 'bad-train.csv.gz');
        await writeFile(path, gzipSync([header, ...body].join('\n')));
        const e = await formatError(path);
        expect(e.line).to.equal(7);
        expect(e.message).to.equal(`${path}:7: column 56 (Cover_Type) is not a number: "x"`);
      });

      it('a header without Cover_Type (Kaggle test.csv) and a blank line in the middle', async () => {
        const header = ['Id', ...FEATURE_NAMES].join(',');
        const test = join(dir, 'test.csv');
        await writeFile(
          test,
          [header, ...lines.slice(0, 3).map((l, i) => `${i + 1},${l.replace(/,\d+$/, '')}`)].join('\n'),
        );
        const e = await formatError(test);
        expect(e.line).to.equal(1);
        expect(e.message).to.contain('expected "Cover_Type"');
        const gap = join(dir, 'gap.data');
        await writeFile(gap, [lines[0], lines[1], '', lines[2]].join('\n') + '\n\n');
        expect((await formatError(gap)).message).to.equal(`${gap}:3: empty line (expected 55 columns)`);
      });

      it('a file that starts like gzip but is not', async () => {
        const path = join(dir, 'broken.gz');
        const gz = gzipSync(lines.slice(0, 100).join('\n'));
        await writeFile(path, gz.subarray(0, gz.length >> 1));
        const e = await formatError(path);
        expect(e.message).to.contain('cannot be decompressed');
      });
    });
  });

  describe('stratified split and sample', () => {
    let labels: Int32Array;
    before(() => {
      labels = Int32Array.from(rows.map((r) => r[54]!));
    });

    it('stratifiedSplit keeps each class share in test and train, and partitions the rows', () => {
      const { train, test } = stratifiedSplit(labels, { testFraction: 0.2, seed: 7 });
      expect(test.length).to.equal(4000);
      expect(train.length).to.equal(16_000);
      const seen = new Uint8Array(labels.length);
      for (const i of [...train, ...test]) seen[i]!++;
      expect(seen.every((c) => c === 1)).to.equal(true);
      const all = classCounts(labels);
      const inTest = classCounts(Int32Array.from(test, (i) => labels[i]!));
      all.forEach((count, label) => {
        if (count > 0) expect(Math.abs(inTest[label]! - count * 0.2)).to.be.lessThan(1);
      });
      expect([...test]).to.deep.equal([...test].sort((a, b) => a - b));
    });

    it('is deterministic for a seed and differs between seeds', () => {
      const a = stratifiedSplit(labels, { testFraction: 0.25, seed: 1 });
      const b = stratifiedSplit(labels, { testFraction: 0.25, seed: 1 });
      const c = stratifiedSplit(labels, { testFraction: 0.25, seed: 2 });
      expect([...a.test]).to.deep.equal([...b.test]);
      expect([...a.test]).to.not.deep.equal([...c.test]);
      expect([...stratifiedSample(500, labels, { seed: 3 })]).to.deep.equal([
        ...stratifiedSample(500, labels, { seed: 3 }),
      ]);
    });

    it('stratifiedSample picks n distinct rows in class proportion; takeRows gathers them', async () => {
      const data = await loadCovertype(SAMPLE_PATH);
      const picked = stratifiedSample(2000, data.labels, { seed: 5 });
      expect(picked.length).to.equal(2000);
      expect(new Set(picked).size).to.equal(2000);
      const all = classCounts(data.labels);
      const got = classCounts(Int32Array.from(picked, (i) => data.labels[i]!));
      all.forEach((count, label) => {
        if (count > 0) expect(Math.abs(got[label]! - count / 10)).to.be.lessThan(1);
      });
      const subset = takeRows(data, picked);
      expect(subset.nRows).to.equal(2000);
      const r = picked[1234]!;
      expect(Array.from(subset.features.subarray(1234 * 54, 1235 * 54))).to.deep.equal(rows[r]!.slice(0, 54));
      expect(subset.labels[1234]).to.equal(rows[r]![54]);
    });

    it('rejects bad options with RangeError naming the option', () => {
      expect(() => stratifiedSplit(labels, { testFraction: 1 })).to.throw(RangeError, 'options.testFraction');
      expect(() => stratifiedSplit(labels, { testFraction: 0.2, seed: -1 })).to.throw(
        RangeError,
        'options.seed',
      );
      expect(() => stratifiedSample(0, labels)).to.throw(RangeError, 'n must be');
      expect(() => stratifiedSample(labels.length + 1, labels)).to.throw(RangeError, 'n must be');
    });
  });

  describe('fetchCovertype (from a local HTTP server)', () => {
    let archive: Buffer;
    let server: http.Server;
    let base: string;
    const hits = new Map<string, number>();

    /** The served archive with some bytes flipped: same size, other sha256. */
    const flipped = () => {
      const copy = Buffer.from(archive);
      for (const at of [100, copy.length >> 1, copy.length - 100]) copy[at] = copy[at]! ^ 0xff;
      return copy;
    };

    before(async () => {
      archive = gzipSync(await readFile(SHARED));
      server = http.createServer((req, res) => {
        const path = req.url ?? '';
        hits.set(path, (hits.get(path) ?? 0) + 1);
        const send = (body: Buffer, announceLength = true) => {
          res.writeHead(200, {
            'content-type': 'application/gzip',
            ...(announceLength ? { 'content-length': body.length } : {}),
          });
          res.end(body);
        };
        switch (path) {
          case '/covtype.data.gz':
            return send(archive);
          case '/moved':
            res.writeHead(302, { location: '/covtype.data.gz' });
            return res.end();
          case '/flipped':
            return send(flipped());
          case '/truncated':
            // A well-formed response that is simply shorter than the archive.
            return send(archive.subarray(0, archive.length - 4096));
          case '/truncated-chunked':
            // The same without a Content-Length, so only the byte count can tell.
            return send(archive.subarray(0, archive.length - 4096), false);
          case '/cut':
            // Announces the full size, then the connection drops halfway.
            res.writeHead(200, { 'content-length': archive.length });
            res.write(archive.subarray(0, archive.length >> 1), () => res.destroy());
            return;
          case '/stall':
            // Sends the headers and a first chunk, then nothing (kept open until the client gives up).
            res.writeHead(200, { 'content-length': archive.length });
            res.write(archive.subarray(0, 1000));
            return;
          default:
            res.writeHead(404);
            return res.end('not here');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const expected = () => ({ size: archive.length, sha256: sha256(archive) });

    async function newCache(): Promise<string> {
      return mkdtemp(join(dir, 'cache-'));
    }

    async function fetchError(cacheDir: string, url: string | string[]): Promise<CovertypeFetchError> {
      const error = await expectRejection(fetchCovertype({ cacheDir, url, ...expected() }));
      expect(error).to.be.instanceOf(CovertypeFetchError);
      // Nothing is left behind, not even the temporary file.
      expect(await readdir(cacheDir)).to.deep.equal([]);
      const e = error as CovertypeFetchError;
      expect(e.message).to.contain(join(cacheDir, 'covtype.data.gz'));
      return e;
    }

    it('downloads, verifies and caches the archive, reporting progress', async () => {
      const cacheDir = join(await newCache(), 'nested');
      const progress: FetchProgress[] = [];
      const url = `${base}/covtype.data.gz`;
      const path = await fetchCovertype({
        cacheDir,
        url,
        ...expected(),
        onProgress: (p) => progress.push(p),
      });
      expect(path).to.equal(join(cacheDir, 'covtype.data.gz'));
      expect(await readdir(cacheDir)).to.deep.equal(['covtype.data.gz']);
      expect(sha256(await readFile(path))).to.equal(sha256(archive));
      expect(progress.length).to.be.greaterThan(1);
      expect(progress.every((p) => p.total === archive.length && p.url === url)).to.equal(true);
      for (let i = 1; i < progress.length; i++)
        expect(progress[i]!.bytes).to.be.greaterThan(progress[i - 1]!.bytes);
      expect(progress[progress.length - 1]!.bytes).to.equal(archive.length);
      expect((await loadCovertype(path)).nRows).to.equal(20_000);

      // The second call finds the verified file and asks the server for nothing.
      const before = hits.get('/covtype.data.gz');
      const again: FetchProgress[] = [];
      expect(
        await fetchCovertype({ cacheDir, url, ...expected(), onProgress: (p) => again.push(p) }),
      ).to.equal(path);
      expect(hits.get('/covtype.data.gz')).to.equal(before);
      expect(again).to.deep.equal([]);
    });

    it('follows a redirect', async () => {
      const cacheDir = await newCache();
      const path = await fetchCovertype({ cacheDir, url: `${base}/moved`, ...expected() });
      expect(sha256(await readFile(path))).to.equal(sha256(archive));
    });

    it('detects flipped bytes by sha256 and keeps nothing', async () => {
      const e = await fetchError(await newCache(), `${base}/flipped`);
      expect(e.code).to.equal('COVERTYPE_CHECKSUM_MISMATCH');
      expect(e.message).to.contain('sha256 check failed').and.contain(sha256(flipped()));
    });

    it('detects a truncated download by its size and keeps nothing', async () => {
      const short = archive.length - 4096;
      const announced = await fetchError(await newCache(), `${base}/truncated`);
      expect(announced.code).to.equal('COVERTYPE_SIZE_MISMATCH');
      expect(announced.message).to.contain(`announces ${short} bytes, expected ${archive.length}`);
      const counted = await fetchError(await newCache(), `${base}/truncated-chunked`);
      expect(counted.code).to.equal('COVERTYPE_SIZE_MISMATCH');
      expect(counted.message).to.contain(`received ${short} bytes`);
    });

    it('detects a connection cut halfway and keeps nothing', async () => {
      const e = await fetchError(await newCache(), `${base}/cut`);
      expect(e.code).to.equal('COVERTYPE_DOWNLOAD_FAILED');
      expect(e.message).to.contain('broke off after');
    });

    it('gives up on a transfer that stalls, and keeps nothing', async () => {
      const cacheDir = await newCache();
      const error = await expectRejection(
        fetchCovertype({ cacheDir, url: `${base}/stall`, ...expected(), idleTimeoutMs: 300 }),
      );
      expect(error).to.be.instanceOf(CovertypeFetchError);
      expect((error as CovertypeFetchError).code).to.equal('COVERTYPE_DOWNLOAD_FAILED');
      expect((error as CovertypeFetchError).message)
        .to.contain('broke off after 1000 of')
        .and.contain('no data for 300 ms');
      expect(await readdir(cacheDir)).to.deep.equal([]);
    });

    it('offline (connection refused): says where to put the file by hand', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const cacheDir = await newCache();
      const e = await fetchError(cacheDir, `http://127.0.0.1:${port}/covtype.data.gz`);
      expect(e.code).to.equal('COVERTYPE_DOWNLOAD_FAILED');
      expect(e.message).to.contain('ECONNREFUSED');
      expect(e.message).to.contain(`copy it to ${join(cacheDir, 'covtype.data.gz')}`);
      expect(e.message).to.contain(sha256(archive));
    });

    it('reports an HTTP error, and falls back to the next URL', async () => {
      const e = await fetchError(await newCache(), `${base}/nothing`);
      expect(e.code).to.equal('COVERTYPE_DOWNLOAD_FAILED');
      expect(e.message).to.contain('HTTP 404');
      const cacheDir = await newCache();
      const path = await fetchCovertype({
        cacheDir,
        url: [`${base}/flipped`, `${base}/covtype.data.gz`],
        ...expected(),
      });
      expect(sha256(await readFile(path))).to.equal(sha256(archive));
    });

    it('refuses a wrong file placed in the cache by hand, and leaves it there', async () => {
      const cacheDir = await newCache();
      const placed = join(cacheDir, 'covtype.data.gz');
      await writeFile(placed, flipped());
      const before = hits.get('/covtype.data.gz');
      const error = await expectRejection(
        fetchCovertype({ cacheDir, url: `${base}/covtype.data.gz`, ...expected() }),
      );
      expect(error).to.be.instanceOf(CovertypeFetchError);
      expect((error as CovertypeFetchError).code).to.equal('COVERTYPE_CHECKSUM_MISMATCH');
      expect((error as CovertypeFetchError).message).to.contain('delete it to download again');
      expect(await readdir(cacheDir)).to.deep.equal(['covtype.data.gz']);
      expect(hits.get('/covtype.data.gz')).to.equal(before);
    });

    it('rejects bad options with TypeError/RangeError naming the option', async () => {
      await expectRejection(fetchCovertype({ cacheDir: '' })).then((e) => {
        expect(e).to.be.instanceOf(TypeError);
        expect((e as Error).message).to.contain('options.cacheDir');
      });
      await expectRejection(fetchCovertype({ cacheDir: dir, url: 'ftp://x/y' })).then((e) => {
        expect(e).to.be.instanceOf(TypeError);
        expect((e as Error).message).to.contain('options.url');
      });
      await expectRejection(fetchCovertype({ cacheDir: dir, size: -1 })).then((e) => {
        expect(e).to.be.instanceOf(RangeError);
        expect((e as Error).message).to.contain('options.size');
      });
    });
  });
});
