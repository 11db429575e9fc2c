// The DE2 experiment: grid search of a random forest on the UCI Covertype data with de2 Tune.
// `npm run example` (embedded cluster, committed 20,000-row sample, 16 configurations);
// `npx tsx examples/random-forest.ts --help` for the flags (cluster, full data, ASHA, ...).
import { init, nodes, shutdown } from '@de2/core';
import { ASHAScheduler, Tuner, withParameters, withResources } from '@de2/tune';
import { prepareData } from './random-forest/data.js';
import { GRID_SPECS, defaultMemoryMb, gridConfigs, paramSpace } from './random-forest/grids.js';
import { USAGE, UsageError, parseOptions, type ExampleOptions } from './random-forest/options.js';
import { PeakRss, printSummary } from './random-forest/summary.js';
import { trainForest } from './random-forest/trainable.js';

const MiB = 2 ** 20;
const log = (line: string) => console.log(line);

function options(): ExampleOptions {
  try {
    return parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`random-forest: ${error.message}`);
    process.exit(2);
  }
}

async function main(o: ExampleOptions): Promise<number> {
  const rss = new PeakRss();
  const started = performance.now();
  // The data first: a bad file or --rows fails before any cluster is started.
  const data = await prepareData(o, log);
  log(
    `data: ${data.path}: ${data.fileRows} rows` +
      (data.rows !== data.fileRows ? `, stratified sample of ${data.rows}` : '') +
      `; train ${data.train.y.length} / test ${data.test.y.length} rows (stratified, seed ${o.seed})`,
  );
  log(
    `loaded in ${(data.loadMs / 1000).toFixed(2)} s (${(data.rawBytes / MiB).toFixed(1)} MiB as float32), ` +
      `binned once in ${(data.binMs / 1000).toFixed(2)} s (${(data.binnedBytes / MiB).toFixed(1)} MiB, stored once)`,
  );
  const runtime = await (o.address
    ? init({ address: o.address, ...(o.token ? { token: o.token } : {}) })
    : init({
        ...(o.numCpus ? { numCpus: o.numCpus } : {}),
        ...(o.dashboard ? { dashboard: { port: o.dashboardPort } } : {}),
      }));
  if (runtime.dashboardUrl) log(`dashboard: ${runtime.dashboardUrl} (the link logs in; keep it private)`);
  try {
    const workers = (await nodes()).filter((n) => n.alive && !n.isDriver);
    const cpus = workers.reduce((s, n) => s + (n.resources.CPU ?? 0), 0);
    log(
      `de2 ${o.address ? `cluster at ${o.address}` : 'embedded cluster'}: ${workers.length} node(s), ${cpus} CPUs`,
    );
    const configs = gridConfigs(o.grid, o.includeOomTrial);
    const { step } = GRID_SPECS[o.grid];
    const maxTrees = Math.max(...configs.map((c) => c.nEstimators));
    const memoryMb = o.memoryMb ?? defaultMemoryMb(o.grid, data.train.y.length);
    const trainable = withResources(
      withParameters(trainForest, { train: data.train, test: data.test, step, seed: o.seed }),
      { numCpus: 1, memory: memoryMb * MiB },
    );
    const name = o.name ?? `covertype-rf-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
    log(
      `grid ${o.grid}: ${configs.length} trials, ${o.scheduler.toUpperCase()}, forests of ${step}, ${2 * step}, ${4 * step}... trees, ` +
        `memory budget ${memoryMb} MiB per trial (heap + ArrayBuffers)` +
        (o.maxConcurrent ? `, at most ${o.maxConcurrent} at once` : ''),
    );
    const tuner = new Tuner(trainable, {
      paramSpace: paramSpace(configs),
      tuneConfig: {
        metric: 'accuracy',
        mode: 'max',
        ...(o.maxConcurrent ? { maxConcurrentTrials: o.maxConcurrent } : {}),
        ...(o.scheduler === 'asha'
          ? {
              // Progress is counted in trees: rungs at step, 2 step, 4 step, ... (the reports); half go on.
              scheduler: new ASHAScheduler({
                timeAttr: 'trees',
                maxT: maxTrees,
                gracePeriod: step,
                reductionFactor: 2,
              }),
            }
          : {}),
      },
      runConfig: { name, storagePath: o.storagePath, progress: o.progress },
    });
    rss.markBase();
    const fitStarted = performance.now();
    const results = await tuner.fit();
    const fitMs = performance.now() - fitStarted;
    const code = printSummary({
      results,
      options: o,
      data,
      fitMs,
      totalMs: performance.now() - started,
      peakRss: rss.stop(),
      baseRss: rss.base,
      log,
    });
    if (runtime.dashboardUrl) {
      log(`the dashboard stays up at ${runtime.dashboardUrl}; press Ctrl+C to stop`);
      await new Promise((resolve) => process.once('SIGINT', resolve));
    }
    return code;
  } finally {
    await shutdown();
  }
}

const o = options();
if (o.help) {
  process.stdout.write(USAGE);
} else {
  try {
    process.exitCode = await main(o);
  } catch (error) {
    // de2's and the data module's errors carry a `code` and a message that says what to do:
    // print that, not a stack. Anything else is a bug: let it show in full.
    if (!(error instanceof Error && 'code' in error) && !(error instanceof RangeError)) throw error;
    console.error(`random-forest: ${error.message}`);
    process.exitCode = 1;
  }
}
