import { shellQuote } from '../../harness/case-reference.js';
import { resumeCommand } from '../../search/campaign/resume-command.js';
import { bugReplayCommand } from '../../search/replay/replay-command.js';
import type { Argv } from 'yargs';
import { parseSeed } from '../../kernel/parse-seed.js';
import { DEFAULT_WORKER_MEMORY_MB, runCampaign, type CampaignSummary } from '../../search/campaign/run-campaign.js';
import { DEFAULT_DB_PATH, type CoverageRow } from '../../search/store/failure-store.js';
import { withDbOption } from '../db-option.js';
import type { Output } from '../output.js';
import { formatDuration, parseDuration } from '../parse-duration.js';
import { parseProfileOption } from '../parse-profile-option.js';
import { formatProgress } from '../progress-line.js';
import { EXIT, UsageError } from '../../search/usage-error.js';

interface FuzzArgs {
  readonly case?: string;
  readonly seeds?: number;
  readonly duration?: string;
  readonly startSeed?: string;
  readonly workers?: number;
  readonly profile: string;
  readonly db: string;
  readonly resume?: number;
  readonly seedTimeout: string;
  readonly auditEvery: number;
  readonly keepTraces: number;
  readonly minimize: boolean;
  readonly workerMemory: number;
  readonly json?: boolean;
  readonly guided?: boolean;
  readonly shard?: string;
}

/** Exit code of a campaign a signal interrupted (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** `mar fuzz <case> [--seeds N | --duration 8h] ...`: a swarm campaign over a piscina pool. */
export function fuzzCommand(output: Output) {
  return {
    command: 'fuzz [case]',
    describe: 'Run a fuzz campaign: many seeds over worker threads, failures stored in SQLite',
    builder: (yargs: Argv) =>
      withDbOption(yargs)
        .positional('case', { type: 'string', describe: 'built-in case name or path/to/module.ts#export' })
        .option('seeds', { type: 'number', describe: 'how many seeds to run' })
        .option('duration', { type: 'string', describe: 'how long to run, e.g. 90s, 30m, 8h' })
        .option('start-seed', { type: 'string', describe: 'first seed (default 0)' })
        .option('workers', { type: 'number', describe: 'worker threads (default: number of cores)' })
        .option('profile', { type: 'string', default: 'swarm', describe: 'fault profile: none, smoke, swarm or a JSON profile' })
        .option('resume', { type: 'number', describe: 'finish the remaining seeds of an interrupted campaign' })
        .option('seed-timeout', { type: 'string', default: '30s', describe: 'per-seed time limit; a seed past it is a timeout failure' })
        .option('audit-every', { type: 'number', default: 64, describe: 'run one passing seed in N twice to audit determinism (0: never)' })
        .option('keep-traces', { type: 'number', default: 5, describe: 'keep full traces for the first N seeds of each signature' })
        .option('minimize', { type: 'boolean', default: true, describe: 'minimize each new signature (--no-minimize to skip)' })
        .option('worker-memory', { type: 'number', default: DEFAULT_WORKER_MEMORY_MB, describe: 'heap limit of each worker in MB; a seed that exhausts it is a WorkerOutOfMemory failure' })
        .option('guided', {
          type: 'boolean',
          describe: 'coverage-guided search: runs that reach new coverage join a corpus of choice tapes that later runs mutate (a resumed campaign keeps its mode)',
        })
        .option('shard', {
          type: 'string',
          describe: 'run shard I of N (I/N, 0 <= I < N): only the seeds start + j with j mod N == I, as a campaign of its own; mar merge joins the shards',
        })
        .option('json', { type: 'boolean', describe: 'print one JSON summary and nothing else on stdout' }),
    handler: async (args: FuzzArgs): Promise<number> => {
      if (args.resume === undefined && args.case === undefined) throw new UsageError('name a case, or --resume a campaign');
      if (args.resume !== undefined && (args.seeds !== undefined || args.duration !== undefined || args.startSeed !== undefined)) {
        throw new UsageError('--resume continues a campaign as it was planned; drop --seeds, --duration and --start-seed');
      }
      if (args.seeds !== undefined && (!Number.isSafeInteger(args.seeds) || args.seeds < 1)) {
        throw new UsageError(`--seeds must be a positive integer, got ${args.seeds}`);
      }
      const durationMs = args.duration === undefined ? undefined : parseDuration(args.duration);
      if (args.duration !== undefined && (durationMs === undefined || durationMs <= 0)) {
        throw new UsageError(`--duration must be a duration like 90s, 30m or 8h, got ${JSON.stringify(args.duration)}`);
      }
      const seedTimeoutMs = parseDuration(args.seedTimeout);
      if (seedTimeoutMs === undefined || seedTimeoutMs <= 0) {
        throw new UsageError(`--seed-timeout must be a duration like 500ms, 30s or 2m, got ${JSON.stringify(args.seedTimeout)}`);
      }
      if (args.workers !== undefined && (!Number.isInteger(args.workers) || args.workers < 1)) {
        throw new UsageError(`--workers must be a positive integer, got ${args.workers}`);
      }
      for (const [name, value] of [['--audit-every', args.auditEvery], ['--keep-traces', args.keepTraces]] as const) {
        if (!Number.isInteger(value) || value < 0) throw new UsageError(`${name} must be a non-negative integer, got ${value}`);
      }
      let startSeed: bigint | undefined;
      try {
        startSeed = args.startSeed === undefined ? undefined : parseSeed(args.startSeed);
      } catch (error) {
        throw new UsageError(`--start-seed: ${(error as Error).message}`);
      }
      const profile = parseProfileOption(args.profile);
      const shard = args.shard === undefined ? undefined : parseShard(args.shard);
      if (args.seeds === undefined && durationMs === undefined && args.resume === undefined) {
        throw new UsageError('give --seeds N or --duration D');
      }

      const stop = new AbortController();
      const cutOff = new AbortController();
      const onSignal = () => {
        if (!stop.signal.aborted) {
          if (!args.json) output.stderr('\nstopping: finishing in-flight batches (press Ctrl-C again to cut them off)');
          stop.abort();
        } else {
          cutOff.abort();
        }
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const showProgress = output.interactive && !args.json;
      let summary: CampaignSummary;
      try {
        summary = await runCampaign({
          caseRef: args.case ?? '',
          seeds: args.seeds,
          durationMs,
          startSeed,
          workers: args.workers,
          profile,
          dbPath: args.db,
          resumeId: args.resume,
          seedTimeoutMs,
          auditEvery: args.auditEvery,
          keepTraces: args.keepTraces,
          minimize: args.minimize,
          guided: args.guided === true,
          shard,
          onNotice: (line) => output.stderr(`mar: ${line}`),
          workerMemoryMb: args.workerMemory,
          stopSignal: stop.signal,
          cutOffSignal: cutOff.signal,
          onProgress: showProgress ? (p) => output.progress(formatProgress(p)) : undefined,
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        if (showProgress) output.progress(undefined);
      }
      if (args.json) {
        output.stdout(JSON.stringify(summaryJson(summary)));
      } else {
        for (const line of describeSummary(summary, args.db)) output.stdout(line);
      }
      if (summary.status === 'interrupted') return EXIT_INTERRUPTED;
      return summary.failures > 0 ? EXIT.failed : EXIT.ok;
    },
  };
}

function summaryJson(s: CampaignSummary): Record<string, unknown> {
  return {
    campaignId: s.campaignId,
    status: s.status,
    caseRef: s.caseRef,
    profile: s.profile,
    seedsDone: s.seedsDone,
    plannedSeeds: s.plannedSeeds,
    failures: s.failures,
    sessionSeeds: s.sessionSeeds,
    sessionMs: Math.round(s.sessionMs),
    seedsPerSecond: Math.round(s.seedsPerSecond),
    db: s.dbPath,
    coverage: s.coverage.map(({ name, kind, declared, runs, firstSeed }) => ({ name, kind, declared, runs, firstSeed })),
    guided: s.guided,
    shard: s.shard,
    bugs: s.bugs.map((b) => ({
      signature: b.signature,
      failures: b.failuresInCampaign ?? b.failures,
      failuresAllCampaigns: b.failures,
      firstFailureId: b.firstFailureId,
      smallestFailureId: b.smallestFailureId,
      smallestEventCount: b.smallestEventCount,
    })),
  };
}

function describeSummary(s: CampaignSummary, db: string): string[] {
  const lines = [
    `campaign ${s.campaignId}${s.shard === null ? '' : ` (shard ${s.shard.index}/${s.shard.count})`} ${s.status}: ${s.seedsDone.toLocaleString('en-US')}${s.plannedSeeds === null ? '' : `/${s.plannedSeeds.toLocaleString('en-US')}`} seeds of ${s.caseRef} ` +
      `under ${s.profile.startsWith('{') ? 'a custom profile' : s.profile}; this session ${s.sessionSeeds.toLocaleString('en-US')} seeds in ` +
      `${formatDuration(s.sessionMs)} (${Math.round(s.seedsPerSecond).toLocaleString('en-US')} seeds/s)`,
    `${s.failures.toLocaleString('en-US')} failing seeds, ${s.bugs.length} distinct ${s.bugs.length === 1 ? 'bug' : 'bugs'}${s.bugs.length > 0 ? ':' : ''}`,
  ];
  for (const bug of s.bugs) {
    const smallest = bug.smallestEventCount === null ? '' : `, minimized to ${bug.smallestEventCount} events`;
    lines.push(`  ${(bug.failuresInCampaign ?? bug.failures).toLocaleString('en-US').padStart(8)}  ${bug.signature}  (failure #${bug.firstFailureId}${smallest}) replay: ${bugReplayCommand(bug, db) ?? '–'}`);
  }
  const line = coverageLine(s.coverage);
  if (line !== undefined) lines.push(line);
  if (s.guided !== null) {
    const g = s.guided;
    lines.push(
      `guided: ${g.corpusSize.toLocaleString('en-US')} corpus entries reaching ${g.coveragePoints.toLocaleString('en-US')} coverage points; ` +
        `${g.mutationRuns.toLocaleString('en-US')} of ${s.seedsDone.toLocaleString('en-US')} runs mutated a corpus tape`,
    );
  }
  lines.push(`report: ${['mar', 'report', '--campaign', String(s.campaignId), ...(db === DEFAULT_DB_PATH ? [] : ['--db', db])].map(shellQuote).join(' ')}`);
  if (s.status === 'interrupted') lines.push(`resume with: ${resumeCommand({ id: s.campaignId, guided: s.guided === null ? 0 : 1 }, db === DEFAULT_DB_PATH ? undefined : db)}`);
  return lines;
}

/** One line of assertion coverage: how many names the runs hit, and the declared ones never hit, by name. */
export function coverageLine(coverage: readonly CoverageRow[]): string | undefined {
  if (coverage.length === 0) return undefined;
  const hit = coverage.filter((c) => c.runs > 0).length;
  const missed = coverage.filter((c) => c.declared && c.runs === 0).map((c) => JSON.stringify(c.name));
  return `coverage: ${hit} of ${coverage.length} assertion names hit${missed.length > 0 ? `; declared but never hit: ${missed.join(', ')}` : ''} (mar coverage for the counts)`;
}

/** `--shard I/N`: shard I of N, 0 <= I < N. */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d{1,9})\/(\d{1,9})$/.exec(text);
  const index = match === null ? NaN : Number(match[1]);
  const count = match === null ? NaN : Number(match[2]);
  if (!(count >= 1 && index >= 0 && index < count)) {
    throw new UsageError(`--shard must be I/N with 0 <= I < N (e.g. 0/4), got ${JSON.stringify(text)}`);
  }
  return { index, count };
}
