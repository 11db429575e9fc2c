// npm run chaos [-- --seeds 1,2,3,4,5] [--trials 60]: one chaos run per seed (see
// chaos/run-chaos.ts), each printed as a table; results in benchmarks/results/chaos.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chaosTable, runChaos, type ChaosReport } from './chaos/run-chaos.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    trials: { type: 'string', default: '60' },
    'trial-ms': { type: 'string', default: '3000' },
  },
});
const seeds = values.seeds ? values.seeds.split(',').map(Number) : [Math.floor(Math.random() * 1e6)];
const reports: ChaosReport[] = [];
for (const seed of seeds) {
  const report = await runChaos({ seed, trials: Number(values.trials), trialMs: Number(values['trial-ms']) });
  reports.push(report);
  console.log(`\n${chaosTable(report)}\n`);
}
const out = new URL('./results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('chaos.json', out), JSON.stringify(reports, null, 2));
const failed = reports.filter((r) => !r.ok).map((r) => r.seed);
console.log(failed.length === 0 ? `all ${reports.length} run(s) OK` : `FAILED seeds: ${failed.join(', ')}`);
process.exitCode = failed.length === 0 ? 0 : 1;
