/**
 * Issue 12's baseline: retry-queue's logic (the example's own `RetryQueue`) with a hand-written
 * text trace of exactly the lines the world writes, hashed by hand (one-shot SHA-256, the cheapest
 * hash Node offers for a string). No world, no scheduler, no validation: what "the same logic
 * writing the same kind of text trace" costs on its own. The bench checks that this text equals
 * the fuzz path's trace before it measures either.
 */
import { hash } from 'node:crypto';
import { RetryQueue } from '../src/examples/retry-queue.js';
import { encodeTraceText, type TraceFields } from '../src/index.js';
import { BareEnv } from './bare-env.js';

const TICK_NS = 1_000_000;
const LEASE_TICKS = 5;

/** The lines every retry-queue trace under `none` starts with, after `world.init`. */
const HEADER_LINES = [
  'run.name value=retry-queue',
  'run.tag value=example:retry_queue',
  'run.attribute key=lease_ticks value=uint:5',
  'run.attribute key=profile_origin value=string:none',
  ...[
    ['net_drop_rate', 'string:0/1'],
    ['net_min_latency_ticks', 'uint:1'],
    ['net_latency_jitter_ticks', 'uint:0'],
    ['net_path_clog_rate', 'string:0/1'],
    ['net_path_clog_duration_ticks', 'uint:0'],
    ['net_partition_rate', 'string:0/1'],
    ['net_unpartition_rate', 'string:0/1'],
    ['net_partition_stability_min_ticks', 'uint:0'],
    ['net_unpartition_stability_min_ticks', 'uint:0'],
    ['disk_read_error_rate', 'string:0/1'],
    ['disk_write_error_rate', 'string:0/1'],
    ['disk_corrupt_read_rate', 'string:0/1'],
    ['disk_crash_lost_write_rate', 'string:0/1'],
    ['disk_crash_torn_write_rate', 'string:0/1'],
    ['buggify_hook_enable_percent', 'uint:100'],
    ['buggify_hook_salt', 'uint:0'],
  ].map(([key, value]) => `run.attribute key=${key} value=${value}`),
];

/** A {@link BareEnv} that writes trace lines: `event=N name key=value`, text percent-encoded. */
class TracingBareEnv extends BareEnv {
  trace: string;
  private events = 0;

  constructor(seed: number) {
    super(seed);
    this.trace = 'marionette.trace format=text version=0\n';
    this.line(`world.init seed=${seed} start_ns=0 tick_ns=${TICK_NS}`);
    for (const line of HEADER_LINES) this.line(line);
  }

  line(body: string): void {
    this.trace += `event=${this.events++} ${body}\n`;
  }

  override record(name: string, fields?: TraceFields): void {
    let body = name;
    if (fields !== undefined) {
      for (const key in fields) {
        const value = fields[key]!;
        body += ` ${key}=${typeof value === 'string' ? encodeTraceText(value) : String(value)}`;
      }
    }
    this.line(body);
  }
}

/** The trace text of retry-queue (the correct queue) at `seed` under `none`, and its SHA-256, by hand. */
export async function bareTracedRetryQueue(seed: number): Promise<{ text: string; hash: string }> {
  const env = new TracingBareEnv(seed);
  const queue = new RetryQueue(env, 7, { leaseNs: LEASE_TICKS * TICK_NS, acceptStaleCompletions: false });
  queue.leaseTo(1);
  const runForNs = LEASE_TICKS * TICK_NS;
  env.line(`control.run_for duration_ns=${runForNs} until_ns=${env.nowNs + runForNs}`);
  await env.clock.sleep(runForNs);
  queue.expireLeases();
  queue.leaseTo(2);
  const ticks = env.random.intLessThan(3);
  env.line(`random.int bound=3 value=${ticks}`);
  const sleepNs = ticks * TICK_NS;
  env.line(`clock.sleep duration_ns=${sleepNs} wake_ns=${env.nowNs + sleepNs}`);
  await env.clock.sleep(sleepNs);
  queue.complete(1);
  queue.complete(2);
  if (queue.completions > 1) throw new Error(`job 7 completed ${queue.completions} times`);
  env.line('check.pass name=job%20completed%20at%20most%20once');
  return { text: env.trace, hash: hash('sha256', env.trace) };
}

