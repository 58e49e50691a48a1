/**
 * `npm run bench`: prints the project's speed and memory figures. Set BENCH_ROUND_MS to change
 * the length of each measuring round (default 700 ms).
 */
import { campaignBench } from './campaign-bench.js';
import { guidedBench } from './guided-bench.js';
import { gcBench } from './gc-bench.js';
import { fuzzPathBench } from './fuzz-path-bench.js';
import { faultBench } from './fault-bench.js';
import { hermeticBench } from './hermetic-bench.js';
import { kernelBench } from './kernel-bench.js';
import { storeBench } from './store-bench.js';
import { mergeBench } from './merge-bench.js';
import { reportBench } from './report-bench.js';
import { linearizabilityBench } from './linearizability-bench.js';
import { BUILTIN_CASES } from '../src/examples/registry.js';
import { registerNamedCases } from '../src/search/named-cases.js';

registerNamedCases(BUILTIN_CASES);

const roundMs = Number(process.env.BENCH_ROUND_MS ?? 700);
const sections = [kernelBench, hermeticBench, faultBench, fuzzPathBench, campaignBench, gcBench, guidedBench, linearizabilityBench, storeBench, mergeBench, reportBench];
console.log(`marionette-sim bench — node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
for (const section of sections) {
  for (const line of await section(roundMs)) console.log(line);
}
