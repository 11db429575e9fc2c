/**
 * Peak RSS of fitting @de2/forest, alone in its own process so nothing else in the
 * benchmark counts. Reads the rows forest.ts wrote for scikit-learn (train and test, as
 * sklearn_forest.py does), fits, scores, prints one JSON line.
 * Usage: npx tsx benchmarks/forest/rss-child.ts DIR nEstimators
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RandomForestClassifier } from '@de2/forest';

const [dir, trees] = process.argv.slice(2);
if (!dir) throw new Error('usage: rss-child.ts DIR nEstimators');
const nEstimators = Number(trees ?? 100);
const { nFeatures } = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { nFeatures: number };
const f32 = (name: string): Float32Array => {
  const b = readFileSync(join(dir, name));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const i32 = (name: string): Int32Array => {
  const b = readFileSync(join(dir, name));
  return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const X = f32('train.X.f32');
const y = i32('train.y.i32');
const Xt = f32('test.X.f32');
const yt = i32('test.y.i32');
const rssAfterDataMiB = process.memoryUsage().rss / 2 ** 20;
const t0 = performance.now();
const rf = new RandomForestClassifier({ nEstimators, seed: 0 }).fit(X, y, nFeatures);
const fitSeconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({
    nEstimators,
    trainRows: y.length,
    rssAfterDataMiB,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    fitSeconds,
    accuracy: rf.score(Xt, yt, nFeatures),
  }),
);
