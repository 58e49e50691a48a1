import { availableParallelism, hostname } from 'node:os';
import { Piscina } from 'piscina';
import { MarionetteError } from '../../kernel/errors.js';
import { formatSeed, SEED_MAX } from '../../kernel/parse-seed.js';
import type { ProfileInput } from '../../faults/profiles/fault-profile.js';
import { resolveProfile } from '../../faults/profiles/resolve-profile.js';
import { UsageError } from '../usage-error.js';
import { loadCase } from '../load-case.js';
import { seedRangeWorkerUrl } from '../package-root.js';
import { resumeCommand } from './resume-command.js';
import { isMinimizable } from '../minimize/minimize-failure.js';
import { buildIdentity } from '../store/build-identity.js';
import { failureOfLostRun, foundByChoices, seedAt, type CoverageRow, FailureStore, type BugRow, type CampaignRow, type GuidedFigures } from '../store/failure-store.js';
import type { CorpusEntry } from '../../harness/guided/corpus-entry.js';
import { LANE_RUNS, ROUND_RUNS } from '../../harness/guided/run-lane.js';
import { fitCorpus } from '../../harness/guided/corpus.js';
import { SeedPlan, type OffsetRange } from './seed-plan.js';
import {
  PROGRESS_NOT_STARTED,
  PROGRESS_SEED_INDEX,
  PROGRESS_WORDS,
  type GuidedRangeTask,
  type MinimizeTask,
  type MinimizeTaskResult,
  type RangeDone,
  type RangeResult,
  type RangeTask,
  type SkippedRun,
} from './worker-protocol.js';

/** Options of a campaign (`mar fuzz`). */
export interface CampaignOptions {
  /** Built-in case name or `path#export`. */
  readonly caseRef: string;
  /** The directory `caseRef` resolves against (default: the working directory). */
  readonly cwd?: string;
  /** How many seeds (a bounded campaign). Exactly one of `seeds` and `durationMs` for a new campaign. */
  readonly seeds?: number;
  /** How long to run (a duration-bounded campaign). */
  readonly durationMs?: number;
  readonly startSeed?: bigint;
  /** Worker threads (default: the number of cores). */
  readonly workers?: number;
  /** `none`, `smoke`, `swarm` (default) or a profile object. */
  readonly profile?: ProfileInput;
  readonly dbPath: string;
  /** Continue this interrupted campaign instead of starting one. */
  readonly resumeId?: number;
  /** A seed running longer than this is cut off as a `timeout` failure (default 30 s). */
  readonly seedTimeoutMs?: number;
  /** Run one passing seed in this many twice to audit determinism (default 64; 0 turns audits off). */
  readonly auditEvery?: number;
  /** Keep full traces and minimize for the first this many seeds of each signature (default 5). */
  readonly keepTraces?: number;
  /** Minimize each new signature (default true). */
  readonly minimize?: boolean;
  readonly minimizeMaxRuns?: number;
  readonly minimizeMaxMs?: number;
  /** Called about four times a second with the campaign's progress. */
  readonly onProgress?: (progress: CampaignProgress) => void;
  /** Called with a one-line notice about a setting the campaign adjusted (too many workers). */
  readonly onNotice?: (line: string) => void;
  /**
   * Most heap of one worker thread, in MB (default 2048). A worker that runs out of it is replaced
   * and the seed it was running is recorded as `scenario_error|-|WorkerOutOfMemory`.
   */
  readonly workerMemoryMb?: number;
  /** Aborting it stops the campaign cleanly: in-flight work drains (or is re-queued) and the campaign is marked interrupted. */
  readonly stopSignal?: AbortSignal;
  /** How long a stop waits for in-flight batches before cutting them off (default 10 s). */
  readonly drainMs?: number;
  /** Aborting it cuts in-flight batches off at once (a second Ctrl-C); their seeds run again on resume. */
  readonly cutOffSignal?: AbortSignal;
  /**
   * Guided search (SPEC 10): runs that reach new coverage join a corpus of choice tapes, and most
   * runs then mutate one (see `runLane`). A resumed campaign keeps its mode; asking for the other
   * one is a usage error.
   */
  readonly guided?: boolean;
  /**
   * Run shard `index` of `count` (SPEC 12): only the seeds `start + j` with `j mod count ==
   * index`, as a campaign of its own. With `resumeId`, the campaign must be that shard.
   */
  readonly shard?: { readonly index: number; readonly count: number };
}

/**
 * Most worker threads per core. More only adds memory and start-up time (every worker loads the
 * case and its dependencies) and slows the reaction to Ctrl-C, never throughput.
 */
export const MAX_WORKERS_PER_CORE = 4;

/** The most workers a campaign uses on this machine. */
export function maxWorkers(): number {
  return MAX_WORKERS_PER_CORE * availableParallelism();
}

/**
 * A campaign stopped by its surroundings, not by a seed: the failure database could not be
 * written (a full disk, a read-only file or directory, a lock), or the case stopped loading in a
 * worker. Every finished seed is stored; the message is one line naming the cause and the
 * command that resumes the campaign once the cause is fixed.
 */
export class CampaignStopped extends MarionetteError {
  override name = 'CampaignStopped';
}

/** A worker could not run the case's seeds at all (its module stopped loading, for one). */
class CaseUnavailable extends Error {}

/** Worker after worker died before finishing a batch. */
class WorkersKeepDying extends Error {}

/** What a session's fatal error means to the user: a CampaignStopped for the known causes, the error itself otherwise. */
function stoppedBy(error: unknown, campaign: Pick<CampaignRow, 'id' | 'guided'>, dbFile: string): unknown {
  const campaignId = campaign.id;
  const resume = resumeCommand(campaign, dbFile);
  if (error instanceof CaseUnavailable || error instanceof WorkersKeepDying) {
    return new CampaignStopped(`campaign ${campaignId} stopped: ${error.message}; fix the case, then ${resume}`);
  }
  if (isStoreIoError(error)) {
    return new CampaignStopped(
      `campaign ${campaignId} stopped: the failure database ${dbFile} could not be written (${(error as Error).message}); ` +
        `every finished seed is stored: fix the cause (disk space, permissions, a lock), then ${resume}`,
    );
  }
  return error;
}

/** SQLite's errors of the file system under it (better-sqlite3's SqliteError codes), as opposed to bugs. */
function isStoreIoError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|PERM)/.test(code);
}

/** A progress sample. */
export interface CampaignProgress {
  readonly campaignId: number;
  readonly seedsDone: number;
  readonly plannedSeeds: number | null;
  readonly seedsPerSecond: number;
  readonly failures: number;
  readonly bugs: number;
  /** Estimated time left, when it can be known. */
  readonly etaMs: number | null;
}

/** What a campaign session did. */
export interface CampaignSummary {
  readonly campaignId: number;
  readonly status: CampaignRow['status'];
  readonly caseRef: string;
  readonly profile: string;
  readonly seedsDone: number;
  readonly plannedSeeds: number | null;
  readonly failures: number;
  readonly bugs: readonly BugRow[];
  /** Assertion coverage of the campaign (every session), declared names never hit first. */
  readonly coverage: CoverageRow[];
  /** What guided search built up (null for an unguided campaign). */
  readonly guided: GuidedFigures | null;
  /** The shard this campaign is (null for a whole campaign). */
  readonly shard: { readonly index: number; readonly count: number } | null;
  /** Seeds this session ran, and how long it took. */
  readonly sessionSeeds: number;
  readonly sessionMs: number;
  readonly seedsPerSecond: number;
  readonly dbPath: string;
}

const TARGET_BATCH_MS = 200;
const FIRST_BATCH = 16;
const MAX_BATCH = 100_000;
const WATCHDOG_MS = 50;
const PROGRESS_MS = 250;
/** Workers that die this often in a row before running any seed stop the campaign. */
const MAX_STARTUP_FAILURES = 3;
/** Workers that may die (crash, run out of memory, or time out) in a row, with no batch finished between, before a campaign stops. */
export const MAX_WORKER_DEATHS_IN_A_ROW = 10;
/** Default heap limit of one worker thread, in MB (`--worker-memory`). */
export const DEFAULT_WORKER_MEMORY_MB = 2048;
/** The longest delay a Node timer accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How often a running campaign refreshes its heartbeat (`updated_at`). */
const HEARTBEAT_MS = 5_000;

interface RangeFlight {
  readonly range: OffsetRange;
  readonly progress: Int32Array;
  readonly controller: AbortController;
  lastIndex: number;
  lastChangeMs: number;
  /** Set when the watchdog cut the task off: the index of the seed that ran away. */
  timedOutIndex?: number;
  /** Set when a stop cut the task off: its work is simply done again later. */
  abandoned?: boolean;
}

/**
 * Runs (or resumes) a campaign: fans seed ranges out to a piscina pool, records every batch in the
 * failure store in one transaction, cuts off runaway seeds, survives crashing workers, minimizes
 * new signatures, and stops cleanly on `stopSignal`.
 * @throws {UsageError} for a bad case, a bad range, or a campaign that cannot be resumed.
 */
export async function runCampaign(options: CampaignOptions): Promise<CampaignSummary> {
  const cwd = options.cwd ?? process.cwd();
  const store = FailureStore.open(options.dbPath);
  try {
    const { campaign, plan } = await startOrResume(store, options, cwd);
    return await new CampaignSession(store, campaign, plan, options, cwd).run();
  } finally {
    store.close();
  }
}

async function startOrResume(store: FailureStore, options: CampaignOptions, cwd: string): Promise<{ campaign: CampaignRow; plan: SeedPlan }> {
  if (options.resumeId !== undefined) {
    const campaign = store.getCampaign(options.resumeId);
    if (campaign === undefined) throw new UsageError(`--resume: no campaign ${options.resumeId} in ${options.dbPath}`);
    if (campaign.status === 'done') throw new UsageError(`--resume: campaign ${campaign.id} is already done`);
    if (campaign.kind !== 'fuzz') throw new UsageError(`--resume: campaign ${campaign.id} was recorded by expectFuzz, not mar fuzz`);
    if (options.guided === true && campaign.guided === 0) {
      throw new UsageError(`--guided: campaign ${campaign.id} is not guided; resume it without --guided`);
    }
    if (options.guided !== true && campaign.guided === 1) {
      throw new UsageError(`--resume: campaign ${campaign.id} is guided; resume it with --guided`);
    }
    const shard = options.shard;
    if (shard !== undefined && (campaign.shardIndex !== shard.index || campaign.shardCount !== shard.count)) {
      const is = campaign.shardIndex === null ? 'not a shard' : `shard ${campaign.shardIndex}/${campaign.shardCount}`;
      throw new UsageError(`--shard ${shard.index}/${shard.count}: campaign ${campaign.id} is ${is}`);
    }
    if (campaign.status === 'running' && ownerAlive(campaign)) {
      throw new UsageError(`--resume: campaign ${campaign.id} is still running (process ${campaign.ownerPid} on ${campaign.ownerHost}); stop it first`);
    }
    await loadCase(campaign.caseRef, cwd);
    const plan = SeedPlan.resume(campaign.plannedSeeds, store.completedRanges(campaign.id), campaign.dispatchedEnd, seedCapacity(campaign));
    store.claim(campaign.id);
    return { campaign: store.getCampaign(campaign.id)!, plan };
  }
  const bounded = options.seeds !== undefined;
  if (bounded === (options.durationMs !== undefined)) throw new UsageError('give exactly one of --seeds and --duration');
  const startSeed = options.startSeed ?? 0n;
  if (bounded && startSeed + BigInt(options.seeds!) - 1n > SEED_MAX) {
    throw new UsageError(`--start-seed ${formatSeed(startSeed)} + --seeds ${options.seeds} runs past 2^64 - 1`);
  }
  const shard = options.shard;
  if (shard !== undefined && !(Number.isSafeInteger(shard.count) && shard.count >= 1 && Number.isSafeInteger(shard.index) && shard.index >= 0 && shard.index < shard.count)) {
    throw new UsageError(`--shard must be I/N with 0 <= I < N, got ${shard.index}/${shard.count}`);
  }
  const loaded = await loadCase(options.caseRef, cwd);
  const profile = options.profile ?? 'swarm';
  // Shard I of N is the stride of seeds start + I + N*k: of --seeds S, those below start + S.
  const count = shard?.count ?? 1;
  const index = shard?.index ?? 0;
  const plannedSeeds = options.seeds === undefined ? null : options.seeds > index ? Math.ceil((options.seeds - index) / count) : 0;
  const campaign = store.createCampaign({
    kind: 'fuzz',
    caseRef: loaded.ref,
    caseName: loaded.case.name,
    profile: typeof profile === 'string' ? profile : JSON.stringify(resolveProfile(profile, 0n)),
    startSeed: formatSeed(startSeed + BigInt(index)),
    plannedSeeds,
    durationMs: options.durationMs ?? null,
    workers: Math.min(options.workers ?? availableParallelism(), maxWorkers()),
    seedTimeoutMs: options.seedTimeoutMs ?? 30_000,
    auditEvery: options.auditEvery ?? 64,
    keepTraces: options.keepTraces ?? 5,
    build: buildIdentity(),
    guided: options.guided === true,
    shard,
  });
  store.declareCoverage(campaign.id, loaded.case.sometimes);
  return { campaign, plan: SeedPlan.fresh(campaign.plannedSeeds, seedCapacity(campaign)) };
}

/** How many offsets a campaign has before its seeds pass 2^64 - 1 (a duration campaign stops there). */
function seedCapacity(campaign: Pick<CampaignRow, 'startSeed' | 'seedStride'>): number {
  const start = BigInt(campaign.startSeed);
  if (start > SEED_MAX) return 0;
  const offsets = (SEED_MAX - start) / BigInt(campaign.seedStride) + 1n;
  return offsets > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(offsets);
}

/** Whether the process that owns a `running` campaign is still alive (or, on another host, still beating). */
export function ownerAlive(campaign: CampaignRow): boolean {
  if (campaign.ownerPid === null) return false;
  if (campaign.ownerHost !== hostname()) return Date.now() - Date.parse(campaign.updatedAt) < 6 * HEARTBEAT_MS;
  try {
    process.kill(campaign.ownerPid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One process's work on one campaign. */
class CampaignSession {
  private readonly pool: Piscina;
  private readonly workers: number;
  private readonly ranges = new Set<RangeFlight>();
  private readonly minimizations = new Set<AbortController>();
  private readonly crashedAt = new Set<number>();
  private startupFailures = 0;
  /** Workers that died since a batch last finished (see MAX_WORKER_DEATHS_IN_A_ROW). */
  private deathsInARow = 0;
  private readonly workerMemoryMb: number;
  private readonly startedMs = performance.now();
  private readonly deadlineMs: number | null;
  private readonly profile: ProfileInput;
  private lastRecordMs = performance.now();
  private perSeedMs: number | undefined;
  private sessionSeeds = 0;
  private stopping = false;
  /** A stop was asked for (as opposed to the duration running out). */
  private interrupted = false;
  /** Work was cut off by a stop and will run again on resume. */
  private abandonedWork = false;
  private finish!: () => void;
  private fatal: unknown;
  /** Guided campaigns: offsets completed per round, the round being worked, its corpus, and runs to skip per lane. */
  private readonly guided: boolean;
  private readonly completedInRound = new Map<number, number>();
  private round = 0;
  private snapshot: { readonly round: number; readonly entries: readonly CorpusEntry[] } | undefined;
  private readonly skips = new Map<number, SkippedRun[]>();
  /**
   * Guided lanes are recorded in offset order (what a bug keeps, its first failure and what is
   * minimized then never depend on which worker finished first): lanes done out of turn wait
   * here, and `nextToRecord` is the end of the recorded prefix.
   */
  private readonly finishedLanes = new Map<number, { readonly range: OffsetRange; readonly result: RangeDone }>();
  private nextToRecord = 0;

  constructor(
    private readonly store: FailureStore,
    private readonly campaign: CampaignRow,
    private readonly plan: SeedPlan,
    private readonly options: CampaignOptions,
    private readonly cwd: string,
  ) {
    const requested = options.workers ?? campaign.workers;
    if (!Number.isInteger(requested) || requested < 1) throw new UsageError(`--workers must be a positive integer, got ${requested}`);
    this.workers = Math.min(requested, maxWorkers());
    if (this.workers < requested) {
      options.onNotice?.(`--workers ${requested} is more than ${MAX_WORKERS_PER_CORE} per core (${availableParallelism()} cores here); using ${this.workers}`);
    }
    this.profile = campaign.profile.startsWith('{') ? (JSON.parse(campaign.profile) as ProfileInput) : (campaign.profile as ProfileInput);
    this.guided = campaign.guided === 1;
    if (this.guided) {
      for (const range of store.completedRanges(campaign.id)) {
        this.countCompleted(range.firstOffset, range.count);
        if (range.firstOffset === this.nextToRecord) this.nextToRecord += range.count;
      }
      for (const skip of store.guidedSkips(campaign.id)) this.addSkip(skip);
    }
    this.deadlineMs = campaign.durationMs === null ? null : this.startedMs + Math.max(0, campaign.durationMs - campaign.activeMs);
    this.workerMemoryMb = options.workerMemoryMb ?? DEFAULT_WORKER_MEMORY_MB;
    if (!Number.isInteger(this.workerMemoryMb) || this.workerMemoryMb < 16) {
      throw new UsageError(`--worker-memory must be an integer number of MB, at least 16, got ${this.workerMemoryMb}`);
    }
    this.pool = new Piscina({
      filename: seedRangeWorkerUrl(),
      minThreads: this.workers,
      maxThreads: this.workers,
      resourceLimits: { maxOldGenerationSizeMb: this.workerMemoryMb },
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
    });
    // A worker that dies between tasks (out of memory in the collection after its last batch, a
    // leak) is replaced by the pool; with no task of its own, no seed is to blame. Without a
    // listener the pool's 'error' event would end the whole process.
    this.pool.on('error', () => {});
  }

  async run(): Promise<CampaignSummary> {
    const finished = new Promise<void>((resolve) => (this.finish = resolve));
    const onStop = () => this.stop();
    const onCutOff = () => {
      this.stop();
      this.cutOff();
    };
    this.options.stopSignal?.addEventListener('abort', onStop);
    this.options.cutOffSignal?.addEventListener('abort', onCutOff);
    if (this.options.stopSignal?.aborted) this.stop();
    const watchdog = setInterval(() => this.watch(), WATCHDOG_MS);
    const progress = setInterval(() => this.reportProgress(), PROGRESS_MS);
    const heartbeat = setInterval(() => this.store.heartbeat(this.campaign.id), HEARTBEAT_MS);
    try {
      this.pump();
      await finished;
    } finally {
      clearInterval(watchdog);
      clearInterval(progress);
      clearInterval(heartbeat);
      this.options.stopSignal?.removeEventListener('abort', onStop);
      this.options.cutOffSignal?.removeEventListener('abort', onCutOff);
      await this.pool.destroy();
    }
    // Whatever ended the session, the campaign is left done or resumable, never 'running' (or,
    // when the store itself cannot be written, 'running' with no live owner: shown as stale).
    const timeUp = this.deadlineMs !== null && performance.now() >= this.deadlineMs;
    // Guided lanes that finished after one that never did are not recorded: they run again.
    if (this.finishedLanes.size > 0) this.abandonedWork = true;
    const nothingOwed = !this.plan.hasPending && !this.abandonedWork;
    const complete = this.fatal === undefined && nothingOwed && (this.plan.remaining === 0 || (timeUp && !this.interrupted));
    try {
      this.store.recordBatch(this.campaign.id, { failures: [], activeMsDelta: this.sinceLastRecord(), dispatchedEnd: this.plan.frontier });
      this.store.setStatus(this.campaign.id, complete ? 'done' : 'interrupted');
    } catch (error) {
      this.fatal ??= error;
    }
    if (this.fatal !== undefined) throw stoppedBy(this.fatal, this.campaign, this.store.file);
    this.reportProgress();
    const row = this.store.getCampaign(this.campaign.id)!;
    const sessionMs = performance.now() - this.startedMs;
    return {
      campaignId: row.id,
      status: row.status,
      caseRef: row.caseRef,
      profile: row.profile,
      seedsDone: row.seedsDone,
      plannedSeeds: row.plannedSeeds,
      failures: row.failures,
      bugs: this.store.listBugs({ campaignId: row.id }),
      coverage: this.store.listCoverage({ campaignId: row.id }),
      guided: row.guided === 1 ? this.store.guidedFigures(row) : null,
      shard: row.shardIndex === null || row.shardCount === null ? null : { index: row.shardIndex, count: row.shardCount },
      sessionSeeds: this.sessionSeeds,
      sessionMs,
      seedsPerSecond: sessionMs > 0 ? (this.sessionSeeds / sessionMs) * 1000 : 0,
      dbPath: this.store.file,
    };
  }

  /** Stops dispatching; in-flight batches drain, and are cut off if they take longer than `drainMs`. */
  private stop(): void {
    this.interrupted = true;
    if (this.stopping) return;
    this.stopping = true;
    for (const controller of this.minimizations) controller.abort();
    setTimeout(() => this.cutOff(), this.options.drainMs ?? 10_000).unref();
    this.pump();
  }

  /** Abandons every in-flight batch: nothing of them is recorded, so they run again on resume. */
  private cutOff(): void {
    for (const flight of this.ranges) {
      flight.abandoned = true;
      this.abandonedWork = true;
      flight.controller.abort();
    }
  }

  /** Keeps two batches per worker in flight while there is work; finishes when all is done. */
  private pump(): void {
    // Past the deadline no fresh seeds start, but work put back (after a timeout or a crash) still runs.
    const timeUp = this.deadlineMs !== null && performance.now() >= this.deadlineMs;
    while (!this.stopping && this.fatal === undefined && this.ranges.size < this.workers * 2) {
      let range: OffsetRange | undefined;
      if (this.guided) {
        // A round at a time: every lane of a round starts from the corpus of the rounds before it.
        const roundEnd = (this.currentRound() + 1) * ROUND_RUNS;
        range = timeUp ? this.plan.nextPending(LANE_RUNS, roundEnd) : this.plan.next(LANE_RUNS, roundEnd);
      } else {
        range = timeUp ? this.plan.nextPending(this.batchSize()) : this.plan.next(this.batchSize());
      }
      if (range === undefined) break;
      this.dispatch(range);
    }
    const nothingLeft = timeUp ? !this.plan.hasPending : this.plan.remaining === 0;
    if (this.ranges.size === 0 && this.minimizations.size === 0 && (this.stopping || this.fatal !== undefined || nothingLeft)) {
      this.finish();
    }
  }

  /** The lowest round of a guided campaign with offsets not yet completed. */
  private currentRound(): number {
    const total = Math.min(this.campaign.plannedSeeds ?? Number.MAX_SAFE_INTEGER, seedCapacity(this.campaign));
    for (;;) {
      const start = this.round * ROUND_RUNS;
      if (start >= total) return this.round;
      const size = Math.min(ROUND_RUNS, total - start);
      if ((this.completedInRound.get(this.round) ?? 0) < size) return this.round;
      this.round++;
    }
  }

  /** Counts completed offsets of a guided campaign by round (a lane never spans two rounds). */
  private countCompleted(firstOffset: number, count: number): void {
    const round = Math.floor(firstOffset / ROUND_RUNS);
    this.completedInRound.set(round, (this.completedInRound.get(round) ?? 0) + count);
  }

  /**
   * The corpus a lane of `round` starts from: every entry of the rounds before it, fitted to the
   * limits. The snapshot of a later round extends the one before it by the rounds in between:
   * fitting keeps entries greedily in offset order, so fitting the fitted earlier snapshot and the
   * new entries keeps exactly what fitting them all would, without reading the corpus again.
   */
  private corpusOfRound(round: number): readonly CorpusEntry[] {
    const previous = this.snapshot;
    if (previous?.round === round) return previous.entries;
    const endOffset = round * ROUND_RUNS;
    const entries =
      previous === undefined || previous.round > round
        ? fitCorpus(this.store.corpusBefore(this.campaign.id, endOffset))
        : fitCorpus([...previous.entries, ...this.store.corpusBefore(this.campaign.id, endOffset, previous.round * ROUND_RUNS)]);
    this.snapshot = { round, entries };
    return entries;
  }

  /** Seeds per batch: about TARGET_BATCH_MS of work, smaller near the end so every worker finishes together. */
  private batchSize(): number {
    let size = this.perSeedMs === undefined ? FIRST_BATCH : Math.round(TARGET_BATCH_MS / Math.max(this.perSeedMs, 1e-3));
    const remaining = this.plan.remaining;
    if (remaining !== null) size = Math.min(size, Math.ceil(remaining / (this.workers * 2)));
    return Math.max(1, Math.min(MAX_BATCH, size));
  }

  private dispatch(range: OffsetRange): void {
    const shared = new SharedArrayBuffer(PROGRESS_WORDS * 4);
    const progress = new Int32Array(shared);
    progress[PROGRESS_SEED_INDEX] = PROGRESS_NOT_STARTED;
    const flight: RangeFlight = {
      range,
      progress,
      controller: new AbortController(),
      lastIndex: -1,
      lastChangeMs: performance.now(),
    };
    const base = {
      caseRef: this.campaign.caseRef,
      cwd: this.cwd,
      profile: this.profile as RangeTask['profile'],
      firstSeed: formatSeed(seedAt(this.campaign, range.offset)),
      seedStride: this.campaign.seedStride,
      firstOffset: range.offset,
      count: range.count,
      auditEvery: this.campaign.auditEvery,
      keepTraces: this.campaign.keepTraces,
      progress: shared,
    };
    const task: RangeTask | GuidedRangeTask = this.guided
      ? {
          ...base,
          kind: 'guided-range',
          corpus: this.corpusOfRound(Math.floor(range.offset / ROUND_RUNS)),
          skip: this.skips.get(range.offset) ?? [],
        }
      : { ...base, kind: 'range' };
    this.ranges.add(flight);
    (this.pool.run(task, { signal: flight.controller.signal }) as Promise<RangeResult>)
      .then(
        (result) => this.completed(flight, result),
        (error: unknown) => this.failed(flight, error),
      )
      .catch((error: unknown) => (this.fatal ??= error))
      .finally(() => {
        this.ranges.delete(flight);
        this.pump();
      });
  }

  private completed(flight: RangeFlight, result: RangeResult): void {
    if (result.kind === 'range-error') {
      // The worker itself failed (not the case, whose errors are failures): stop rather than retry forever.
      this.fatal ??= new CaseUnavailable(`a worker could not run seeds ${flight.range.offset}.. of the case: ${result.message}`);
      return;
    }
    this.startupFailures = 0;
    this.deathsInARow = 0;
    this.perSeedMs = result.elapsedMs / result.seedsRun;
    this.sessionSeeds += result.seedsRun;
    if (!this.guided) {
      this.record(flight.range, result);
      return;
    }
    this.finishedLanes.set(flight.range.offset, { range: flight.range, result });
    for (let next = this.finishedLanes.get(this.nextToRecord); next !== undefined; next = this.finishedLanes.get(this.nextToRecord)) {
      this.finishedLanes.delete(this.nextToRecord);
      this.record(next.range, next.result);
      this.countCompleted(next.range.offset, next.range.count);
      this.skips.delete(next.range.offset);
      this.nextToRecord += next.range.count;
    }
  }

  /** Stores a finished range or lane in one transaction, and minimizes the bugs it found first. */
  private record(range: OffsetRange, result: RangeDone): void {
    const newBugs = this.store.recordBatch(this.campaign.id, {
      range: { firstOffset: range.offset, count: range.count },
      failures: result.failures,
      coverage: result.coverage,
      guided: result.guided,
      activeMsDelta: this.sinceLastRecord(),
      dispatchedEnd: this.plan.frontier,
    });
    for (const bug of newBugs) this.minimize(bug.failureId);
  }

  private failed(flight: RangeFlight, error: unknown): void {
    if (flight.abandoned) return; // cut off by a stop: nothing recorded, so it runs again on resume
    const { offset, count } = flight.range;
    const started = Atomics.load(flight.progress, PROGRESS_SEED_INDEX);
    if (flight.timedOutIndex === undefined && started === PROGRESS_NOT_STARTED) {
      // The worker died before it ran a seed: no seed to blame. Run the range again, unless workers keep dying.
      if (++this.startupFailures > MAX_STARTUP_FAILURES) {
        this.fatal = new Error(`campaign: workers fail before running any seed: ${error instanceof Error ? error.message : String(error)}`);
      }
      this.plan.requeue(flight.range);
      return;
    }
    const index = flight.timedOutIndex ?? Math.min(started, count - 1);
    if (this.guided) {
      this.laneDied(flight, index, error);
      return;
    }
    this.countDeath(offset + index, error);
    const death = this.deathOf(flight, offset + index, error);
    if (death === undefined) {
      // A crashed worker loses nothing: the whole range runs again; a second crash on the same seed is recorded.
      this.plan.requeue(flight.range);
      return;
    }
    // A timeout, out of memory (which builds up over many seeds as often as in one) or a second
    // crash: record the seed that was running, once, and run the rest of the range again.
    this.recordSeedFailure(death);
    this.plan.requeue({ offset, count: index });
    this.plan.requeue({ offset: offset + index + 1, count: count - index - 1 });
  }

  /** Counts a worker death; a case that kills every worker (exits, leaks on every seed) would crawl for ever. */
  private countDeath(offset: number, error: unknown): void {
    if (++this.deathsInARow >= MAX_WORKER_DEATHS_IN_A_ROW) {
      const reason = error instanceof Error ? error.message : String(error);
      this.fatal ??= new WorkersKeepDying(`workers keep dying: ${this.deathsInARow} in a row with no batch finished (the last at seed offset ${offset}: ${reason})`);
    }
  }

  /**
   * What the run at `offset` that a worker died on is recorded as: out of memory, a timeout, or a
   * second crash. Undefined for a first crash, which is only remembered (the work runs again).
   */
  private deathOf(flight: RangeFlight, offset: number, error: unknown): SkippedRun | undefined {
    if ((error as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const errorMessage = `the worker ran out of its ${this.workerMemoryMb} MB heap running this seed (a leak across seeds, or a seed that needs more: --worker-memory)`;
      return { offset, kind: 'scenario_error', errorName: 'WorkerOutOfMemory', errorMessage };
    }
    if (flight.timedOutIndex !== undefined) {
      const errorMessage = `the seed ran longer than the ${this.campaign.seedTimeoutMs / 1000} s per-seed limit; its worker was replaced`;
      return { offset, kind: 'timeout', errorName: 'SeedTimeout', errorMessage };
    }
    if (this.crashedAt.has(offset)) {
      const reason = error instanceof Error ? error.message : String(error);
      return { offset, kind: 'scenario_error', errorName: 'WorkerCrashed', errorMessage: `the seed crashed its worker twice: ${reason}` };
    }
    this.crashedAt.add(offset);
    return undefined;
  }

  /**
   * A guided lane whose worker died at run `index`. Later runs of a lane depend on earlier ones,
   * so the lane runs again whole; the run that ran away (or crashed its worker twice, or ran out
   * of memory) is skipped then and recorded as that failure, with its tape when it was mutated.
   */
  private laneDied(flight: RangeFlight, index: number, error: unknown): void {
    const offset = flight.range.offset + index;
    // As for a batch finishing between deaths: a run of this lane completed since its last bad
    // run (the lane re-ran up to here) is progress. Bad runs back to back are not.
    const skipped = this.skips.get(flight.range.offset) ?? [];
    const lastBad = Math.max(flight.range.offset - 1, ...skipped.map((s) => s.offset).filter((o) => o < offset));
    if (offset - lastBad > 1) this.deathsInARow = 0;
    this.countDeath(offset, error);
    const skip = this.deathOf(flight, offset, error);
    if (skip !== undefined) {
      // Stored, so a resumed campaign skips it too instead of running into it again.
      this.store.addGuidedSkip(this.campaign.id, skip);
      this.addSkip(skip);
    }
    this.plan.requeue(flight.range);
  }

  private addSkip(skip: SkippedRun): void {
    const lane = skip.offset - (skip.offset % LANE_RUNS);
    this.skips.set(lane, [...(this.skips.get(lane) ?? []).filter((s) => s.offset !== skip.offset), skip]);
  }

  /** Records a failure of one seed that no worker could report (timeout, crash) as its own one-seed range. */
  private recordSeedFailure(skip: SkippedRun): void {
    const seed = seedAt(this.campaign, skip.offset);
    const failure = failureOfLostRun(skip, seed, skip.offset, resolveProfile(this.profile, seed));
    this.sessionSeeds += 1;
    this.store.recordBatch(this.campaign.id, {
      range: { firstOffset: skip.offset, count: 1 },
      failures: [failure],
      activeMsDelta: this.sinceLastRecord(),
      dispatchedEnd: this.plan.frontier,
    });
  }

  /** Cuts off a task whose current seed has run past the per-seed limit. */
  private watch(): void {
    const now = performance.now();
    for (const flight of this.ranges) {
      const index = Atomics.load(flight.progress, PROGRESS_SEED_INDEX);
      if (index !== flight.lastIndex) {
        flight.lastIndex = index;
        flight.lastChangeMs = now;
      } else if (
        index !== PROGRESS_NOT_STARTED &&
        flight.timedOutIndex === undefined &&
        !flight.abandoned &&
        now - flight.lastChangeMs > this.campaign.seedTimeoutMs
      ) {
        flight.timedOutIndex = Math.min(index, flight.range.count - 1);
        flight.controller.abort();
      }
    }
    if (this.deadlineMs !== null && now >= this.deadlineMs && !this.stopping) this.pump();
  }

  private minimize(failureId: number): void {
    if (this.options.minimize === false || this.stopping) return;
    const failure = this.store.getFailure(failureId);
    if (failure === undefined || !failure.detailed || !isMinimizable(failure.kind, failure.errorName)) return;
    const controller = new AbortController();
    const maxMs = this.options.minimizeMaxMs ?? 10_000;
    const task: MinimizeTask = {
      kind: 'minimize',
      caseRef: this.campaign.caseRef,
      cwd: this.cwd,
      seed: failure.seed,
      profile: JSON.parse(failure.profile),
      maxRuns: this.options.minimizeMaxRuns ?? 2000,
      maxMs,
      choices: foundByChoices(failure),
    };
    this.minimizations.add(controller);
    const limit = setTimeout(() => controller.abort(), Math.min(MAX_TIMER_MS, maxMs + this.campaign.seedTimeoutMs));
    (this.pool.run(task, { signal: controller.signal }) as Promise<MinimizeTaskResult>)
      .then(
        (result) => {
          const m = result.minimized;
          if (m !== null) this.store.recordMinimized(failureId, m.artifact, m.trace, m.traceHash, m.eventCount);
        },
        () => {
          // A minimization that was stopped or ran away leaves the failure as it is.
        },
      )
      .catch((error: unknown) => (this.fatal ??= error))
      .finally(() => {
        clearTimeout(limit);
        this.minimizations.delete(controller);
        this.pump();
      });
  }

  private reportProgress(): void {
    if (this.options.onProgress === undefined) return;
    const row = this.store.getCampaign(this.campaign.id)!;
    const elapsedMs = performance.now() - this.startedMs;
    const rate = elapsedMs > 0 ? (this.sessionSeeds / elapsedMs) * 1000 : 0;
    const remaining = row.plannedSeeds === null ? null : row.plannedSeeds - row.seedsDone;
    const etaMs =
      this.deadlineMs !== null ? Math.max(0, this.deadlineMs - performance.now()) : remaining !== null && rate > 0 ? (remaining / rate) * 1000 : null;
    this.options.onProgress({
      campaignId: row.id,
      seedsDone: row.seedsDone,
      plannedSeeds: row.plannedSeeds,
      seedsPerSecond: rate,
      failures: row.failures,
      bugs: this.store.listBugs({ campaignId: row.id }).length,
      etaMs,
    });
  }

  private sinceLastRecord(): number {
    const now = performance.now();
    const delta = now - this.lastRecordMs;
    this.lastRecordMs = now;
    return delta;
  }
}
