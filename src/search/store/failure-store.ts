import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MarionetteError } from '../../kernel/errors.js';
import type { FaultProfile } from '../../faults/profiles/fault-profile.js';
import { formatSeed } from '../../kernel/parse-seed.js';
import type { RunReport } from '../../harness/run-report.js';
import { failureSignature } from '../../harness/failure.js';
import { resolveProfile } from '../../faults/profiles/resolve-profile.js';
import type { BuildIdentity } from './build-identity.js';
import { APPLICATION_ID, MIGRATIONS } from './schema.js';
import type { CoverageCount, SkippedRun } from '../campaign/worker-protocol.js';
import type { CorpusEntry } from '../../harness/guided/corpus-entry.js';

/** The database file is missing, not a marionette database, corrupt, or from a newer version. */
export class StoreError extends MarionetteError {
  override name = 'StoreError';
}

/** The default failure database, relative to the working directory. */
export const DEFAULT_DB_PATH = path.join('results', 'marionette.sqlite');

/** Campaign status: `running` while a process works on it. */
export type CampaignStatus = 'running' | 'interrupted' | 'done';

/** A campaign as stored. */
export interface CampaignRow {
  readonly id: number;
  readonly kind: 'fuzz' | 'test';
  readonly caseRef: string;
  readonly caseName: string;
  /** `none`, `smoke`, `swarm`, or a profile as JSON. */
  readonly profile: string;
  readonly startSeed: string;
  readonly plannedSeeds: number | null;
  readonly durationMs: number | null;
  readonly workers: number;
  readonly seedTimeoutMs: number;
  readonly auditEvery: number;
  readonly keepTraces: number;
  readonly status: CampaignStatus;
  readonly seedsDone: number;
  readonly failures: number;
  readonly dispatchedEnd: number;
  readonly activeMs: number;
  readonly startedAt: string;
  readonly updatedAt: string;
  readonly endedAt: string | null;
  readonly packageVersion: string;
  readonly gitCommit: string | null;
  readonly nodeVersion: string;
  /** The process working on the campaign (or that last did), and its host. */
  readonly ownerPid: number | null;
  readonly ownerHost: string | null;
  /** 1 for a guided campaign (`mar fuzz --guided`), else 0. */
  readonly guided: number;
  /** Runs of a guided campaign that mutated a corpus tape instead of starting from a fresh seed. */
  readonly mutationRuns: number;
  /** A random id: the same campaign merged twice (`mar merge`) is merged once. */
  readonly uuid: string;
  /** The seed at offset k is `startSeed + seedStride * k` (the shard count for a shard, else 1). */
  readonly seedStride: number;
  /** Shard `shardIndex` of `shardCount` (`mar fuzz --shard I/N`), or null for a whole campaign. */
  readonly shardIndex: number | null;
  readonly shardCount: number | null;
}

/** The seed a campaign runs at `offset`. */
export function seedAt(campaign: { readonly startSeed: string; readonly seedStride: number }, offset: number): bigint {
  return BigInt(campaign.startSeed) + BigInt(campaign.seedStride) * BigInt(offset);
}

/**
 * A failing seed as stored. Every failing seed has a small row (seed, bug); the detail fields
 * (trace, message, event count, minimization) are kept only for the first `keepTraces` seeds of
 * each signature and are null for the others. `profile` is always there: stored with the details,
 * else derived from the campaign's profile and the seed.
 */
export interface FailureRow {
  readonly id: number;
  readonly campaignId: number;
  readonly caseRef: string;
  readonly caseName: string;
  /** The seed in decimal text (the campaign's start seed plus `seedOffset`). */
  readonly seed: string;
  readonly seedOffset: number;
  /** The concrete fault profile, as JSON. */
  readonly profile: string;
  readonly kind: string;
  readonly signature: string;
  readonly phase: string | null;
  readonly checkName: string | null;
  readonly errorName: string | null;
  readonly errorMessage: string | null;
  readonly trace: string | null;
  readonly traceHash: string | null;
  readonly eventCount: number | null;
  /** The minimized artifact `{ seed, profile, choices }` as JSON. */
  readonly minimized: string | null;
  readonly minimizedTrace: string | null;
  readonly minimizedTraceHash: string | null;
  readonly minimizedEventCount: number | null;
  /**
   * The artifact `{ seed, profile, choices }` (JSON) of a failure found by guided search from a
   * mutated tape: its seed alone does not reproduce the run, so replay and minimization start
   * from this. Null for a failure of a fresh seed, and for a mutated one that kept no details.
   */
  readonly foundBy: string | null;
  /** The failure came from a mutated tape (guided search), not from its seed. */
  readonly mutated: boolean;
  /** When the details were recorded (null for a small row). */
  readonly createdAt: string | null;
  /** Whether this failing seed kept its details. */
  readonly detailed: boolean;
}

/** A distinct bug: one signature of one case, over all campaigns. */
export interface BugRow {
  readonly id: number;
  /** Failing seeds of this bug in the campaign a listing was filtered by (null without that filter). */
  readonly failuresInCampaign: number | null;
  readonly caseRef: string;
  readonly signature: string;
  readonly caseName: string;
  readonly kind: string;
  readonly checkName: string | null;
  readonly errorName: string | null;
  readonly failures: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly firstFailureId: number | null;
  readonly smallestFailureId: number | null;
  readonly smallestEventCount: number | null;
}

/**
 * A failing seed to record: the fields of a {@link FailureRow} a run knows. `trace` is the full
 * trace when the worker kept it; the store keeps it only for the first `keepTraces` of a signature.
 */
export type NewFailure = Pick<
  FailureRow,
  'seed' | 'seedOffset' | 'profile' | 'kind' | 'signature' | 'phase' | 'checkName' | 'errorName' | 'errorMessage' | 'trace' | 'traceHash' | 'eventCount'
> & { readonly foundBy?: string | null };

/** The failure record of a failing run's full report. */
export function failureFromReport(report: RunReport, seedOffset: number): NewFailure {
  return {
    seed: report.seedText,
    seedOffset,
    profile: JSON.stringify(report.profile),
    kind: report.kind!,
    signature: report.signature!,
    phase: report.phase ?? null,
    checkName: report.checkName ?? null,
    errorName: report.errorName ?? null,
    errorMessage: report.errorMessage ?? null,
    trace: report.trace,
    traceHash: report.traceHash,
    eventCount: report.eventCount,
  };
}

/**
 * The `{ seed, profile, choices }` artifact (`foundBy`) of a failure found by guided search from a
 * mutated choice tape; null for a run of its seed's own generator.
 */
export function foundByArtifact(seed: string, profile: unknown, choices: readonly number[] | null | undefined): string | null {
  return choices === null || choices === undefined ? null : JSON.stringify({ seed, profile, choices });
}

/** The choice tape a failure's `foundBy` artifact keeps (undefined for a run of its seed). */
export function foundByChoices(failure: Pick<FailureRow, 'foundBy'>): number[] | undefined {
  return failure.foundBy === null ? undefined : (JSON.parse(failure.foundBy) as { choices: number[] }).choices;
}

/** The failure record of a run that left no report: a worker died, timed out or ran away on it. */
export function failureOfLostRun(
  { kind, errorName, errorMessage }: Pick<SkippedRun, 'kind' | 'errorName' | 'errorMessage'>,
  seed: bigint,
  seedOffset: number,
  profile: FaultProfile,
  foundBy: string | null = null,
): NewFailure {
  return {
    seed: formatSeed(seed),
    seedOffset,
    profile: JSON.stringify(profile),
    foundBy,
    kind,
    signature: failureSignature(kind, undefined, errorName),
    phase: null,
    checkName: null,
    errorName,
    errorMessage,
    trace: null,
    traceHash: null,
    eventCount: null,
  };
}

/** What a new campaign is: the planning fields of a {@link CampaignRow} and the build that runs it. */
export type NewCampaign = Pick<
  CampaignRow,
  'kind' | 'caseRef' | 'caseName' | 'profile' | 'startSeed' | 'plannedSeeds' | 'durationMs' | 'workers' | 'seedTimeoutMs' | 'auditEvery' | 'keepTraces'
> & {
  readonly build: BuildIdentity;
  readonly guided?: boolean;
  /** Shard `index` of `count`; `startSeed` is then the shard's first seed (start + index). */
  readonly shard?: { readonly index: number; readonly count: number };
};

/** One completed seed range of a campaign. */
export interface CompletedRange {
  readonly firstOffset: number;
  readonly count: number;
}

/** A batch of results, written in one transaction. */
export interface BatchRecord {
  /** The seed range this batch completed (absent for failures found outside a range, e.g. by expectFuzz). */
  readonly range?: CompletedRange;
  readonly failures: readonly NewFailure[];
  /** Time spent on this campaign since the last record, in ms. */
  readonly activeMsDelta?: number;
  /** The highest seed offset handed out so far (exclusive). */
  readonly dispatchedEnd?: number;
  /** Assertion coverage of the batch's runs. */
  readonly coverage?: readonly CoverageCount[];
  /** What a guided lane adds: its corpus entries and how many of its runs mutated a tape. */
  readonly guided?: { readonly entries: readonly CorpusEntry[]; readonly mutationRuns: number };
}

/** What guided search has built up in one campaign. */
export interface GuidedFigures {
  /** Corpus entries (runs that added coverage). */
  readonly corpusSize: number;
  /** Distinct coverage points the corpus reached. */
  readonly coveragePoints: number;
  /** Runs that mutated a corpus tape. */
  readonly mutationRuns: number;
}

/** Assertion coverage of one name in one campaign. */
export interface CoverageRow {
  readonly campaignId: number;
  readonly caseRef: string;
  readonly name: string;
  readonly kind: 'sometimes' | 'reachable';
  /** The case declared it (`defineCase({ sometimes })`). */
  readonly declared: boolean;
  /** Runs that hit it. */
  readonly runs: number;
  /** The first seed that hit it (decimal), or null when none did. */
  readonly firstSeed: string | null;
}

/** A failure whose signature the store had never seen for its case. */
export interface NewBug {
  readonly signature: string;
  readonly failureId: number;
}

/** Filter of failure and bug listings. */
export interface FailureFilter {
  readonly caseRef?: string;
  readonly campaignId?: number;
  readonly signature?: string;
  readonly limit?: number;
}

const SQLITE_HEADER = 'SQLite format 3\0';

/** @internal A new bug with no failures yet: `(case_ref, signature, case_name, kind, check_name, error_name, first_seen, last_seen)`. */
export const INSERT_BUG_SQL = `INSERT INTO bugs (case_ref, signature, case_name, kind, check_name, error_name, failures, first_seen, last_seen)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`;

const camel = (row: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(row).map(([key, value]) => [key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), value]));

/** A failing seed joined with its bug and (when kept) its details. */
const FAILURE_SELECT =
  'SELECT f.id, f.campaign_id, f.mutated, c.start_seed, c.seed_stride, c.profile AS campaign_profile, b.case_ref, b.case_name, f.seed_offset, d.profile, b.kind, b.signature, d.phase, ' +
  'b.check_name, b.error_name, d.error_message, d.trace, d.trace_hash, d.event_count, d.minimized, d.minimized_trace, ' +
  'd.minimized_trace_hash, d.minimized_event_count, d.found_by, d.created_at, d.failure_id IS NOT NULL AS detailed ' +
  'FROM failures f JOIN campaigns c ON c.id = f.campaign_id JOIN bugs b ON b.id = f.bug_id LEFT JOIN failure_details d ON d.failure_id = f.id';
/** The same without the (large) trace texts, for listings. */
const FAILURE_LIST_SELECT = FAILURE_SELECT.replace('d.trace, ', 'NULL AS trace, ').replace('d.minimized_trace, ', 'NULL AS minimized_trace, ');

/**
 * The failing-seed database (better-sqlite3, WAL mode): campaigns and their completed seed ranges,
 * failing seeds, and distinct bugs. Every batch of results is one transaction. Another process can
 * read the file while a campaign writes it.
 */
export class FailureStore {
  private constructor(
    private readonly db: Database.Database,
    /** The file this store reads and writes. */
    readonly file: string,
  ) {}

  /**
   * Opens (creating when `create` allows and the file does not exist) a marionette database.
   * With `deferSetup`, an existing file keeps its journal mode and its schema until the caller
   * runs {@link FailureStore.migrate} in its own transaction (`mar merge`: nothing changes unless
   * everything does).
   * @throws {StoreError} one line naming the file when it is not a marionette database, is
   *   corrupt, or was written by a newer version; such a file is never modified.
   */
  static open(file: string, options: { readonly readonly?: boolean; readonly create?: boolean; readonly deferSetup?: boolean } = {}): FailureStore {
    const readonly = options.readonly ?? false;
    const exists = existsSync(file);
    if (!exists && (readonly || options.create === false)) throw new StoreError(`no failure database at ${file}`);
    if (exists && !statSync(file).isFile()) throw new StoreError(`${file} is not a file`);
    if (exists) assertSqliteHeader(file);
    if (!exists) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file, { readonly, fileMustExist: exists });
    } catch (error) {
      throw new StoreError(`cannot open ${file}: ${(error as Error).message}`);
    }
    try {
      db.pragma('busy_timeout = 10000');
      const applicationId = db.pragma('application_id', { simple: true }) as number;
      const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n;
      const version = db.pragma('user_version', { simple: true }) as number;
      // Only a marionette database, or a completely empty SQLite file, is ever written to.
      if (applicationId !== APPLICATION_ID && !(applicationId === 0 && objects === 0 && version === 0)) {
        throw new StoreError(`${file} is not a marionette database (it holds another application's data); choose another --db file`);
      }
      if (version > MIGRATIONS.length) {
        throw new StoreError(`${file} has schema v${version}, newer than this marionette-sim (v${MIGRATIONS.length}); upgrade marionette-sim`);
      }
      if (applicationId === APPLICATION_ID) {
        const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
        const missing = OUR_TABLES.filter((table) => !tables.has(table));
        // Tables appear with the migration that creates them; a file that says it is ours (by its
        // id and version) but lacks them was made by something else, or damaged.
        const expected = new Set(MIGRATIONS.slice(0, version).join('\n').match(/CREATE TABLE (\w+)/g)?.map((m) => m.slice(13)) ?? []);
        if (version === 0 || missing.some((table) => expected.has(table))) {
          throw new StoreError(`${file} carries marionette's application id but not its tables (${missing.join(', ') || 'no schema version'}); it was left untouched`);
        }
      }
      if (!readonly && exists && objects > 0) {
        // A damaged page deep in the file would otherwise surface only when a batch writes to it.
        const verdict = db.pragma('quick_check(1)', { simple: true }) as string;
        if (verdict !== 'ok') throw new StoreError(`${file} is damaged (${verdict}); restore it from a backup or use another --db file`);
      }
      if (!readonly) {
        // SQLite opens a file it may not write read-only without a word; find out now, not mid-campaign.
        try {
          db.transaction(() => {
            // Rewriting the schema version with its own value is a real write, and it is rolled back.
            // (A write first, with no read before it in the transaction: in WAL mode a read first
            // would make the upgrade to writer fail at once while another process writes.)
            db.pragma(`user_version = ${version}`);
            throw new ProbeDone();
          })();
        } catch (error) {
          if (!(error instanceof ProbeDone)) throw cannotWrite(file, error);
        }
      }
      if (!readonly) {
        db.pragma('foreign_keys = ON');
        if (options.deferSetup !== true) {
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = NORMAL');
          migrate(db, version);
        }
      } else if (version < MIGRATIONS.length) {
        throw new StoreError(`${file} has schema v${version}; open it once with a writing command to migrate it to v${MIGRATIONS.length}`);
      }
    } catch (error) {
      db.close();
      if (error instanceof StoreError) throw error;
      if (/^SQLITE_(READONLY|CANTOPEN|PERM)/.test(String((error as { code?: unknown }).code))) throw cannotWrite(file, error);
      throw new StoreError(`${file} is not a usable marionette database: ${(error as Error).message}`);
    }
    return new FailureStore(db, file);
  }

  close(): void {
    this.db.close();
  }

  /**
   * Applies the schema migrations a store opened with `deferSetup` still lacks; inside a caller's
   * transaction they commit, or roll back, with it (the file keeps its journal mode).
   */
  migrate(): void {
    migrate(this.db, this.db.pragma('user_version', { simple: true }) as number);
  }

  /** @internal The connection, for whole-database work of this folder (`mergeStores`). */
  get connection(): Database.Database {
    return this.db;
  }

  /**
   * Runs SQLite's `quick_check` on the whole file.
   * @throws {StoreError} naming the file when it is damaged.
   */
  assertIntact(): void {
    let verdict: string;
    try {
      verdict = this.db.pragma('quick_check(1)', { simple: true }) as string;
    } catch (error) {
      verdict = (error as Error).message;
    }
    if (verdict !== 'ok') throw new StoreError(`${this.file} is damaged (${verdict})`);
  }

  // ---- campaigns ----

  createCampaign(campaign: NewCampaign): CampaignRow {
    const now = new Date().toISOString();
    const result = this.db
      .prepare(
        `INSERT INTO campaigns (kind, case_ref, case_name, profile, start_seed, planned_seeds, duration_ms, workers, seed_timeout_ms,
           audit_every, keep_traces, status, started_at, updated_at, package_version, git_commit, node_version, owner_pid, owner_host, guided,
         uuid, seed_stride, shard_index, shard_count)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        campaign.kind,
        campaign.caseRef,
        campaign.caseName,
        campaign.profile,
        campaign.startSeed,
        campaign.plannedSeeds,
        campaign.durationMs,
        campaign.workers,
        campaign.seedTimeoutMs,
        campaign.auditEvery,
        campaign.keepTraces,
        now,
        now,
        campaign.build.packageVersion,
        campaign.build.gitCommit,
        campaign.build.nodeVersion,
        process.pid,
        hostname(),
        campaign.guided === true ? 1 : 0,
        randomUUID(),
        campaign.shard?.count ?? 1,
        campaign.shard?.index ?? null,
        campaign.shard?.count ?? null,
      );
    return this.getCampaign(Number(result.lastInsertRowid))!;
  }

  getCampaign(id: number): CampaignRow | undefined {
    const row = this.db.prepare('SELECT * FROM campaigns WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : (camel(row) as unknown as CampaignRow);
  }

  listCampaigns(): CampaignRow[] {
    return (this.db.prepare('SELECT * FROM campaigns ORDER BY id').all() as Record<string, unknown>[]).map((row) => camel(row) as unknown as CampaignRow);
  }

  /** Sets a campaign's status (and its end time when it is `done`). */
  setStatus(campaignId: number, status: CampaignStatus): void {
    const now = new Date().toISOString();
    this.db
      .prepare('UPDATE campaigns SET status = ?, updated_at = ?, ended_at = CASE WHEN ? = \'done\' THEN ? ELSE ended_at END WHERE id = ?')
      .run(status, now, status, now, campaignId);
  }

  /** Marks a campaign `running` in this process (a resume takes it over). */
  claim(campaignId: number): void {
    this.db
      .prepare("UPDATE campaigns SET status = 'running', owner_pid = ?, owner_host = ?, updated_at = ? WHERE id = ?")
      .run(process.pid, hostname(), new Date().toISOString(), campaignId);
  }

  /** Refreshes a running campaign's `updated_at`, so other processes can tell it is alive. */
  heartbeat(campaignId: number): void {
    this.db.prepare('UPDATE campaigns SET updated_at = ? WHERE id = ?').run(new Date().toISOString(), campaignId);
  }

  /** The completed seed ranges of a campaign, by first offset. */
  completedRanges(campaignId: number): CompletedRange[] {
    return (
      this.db.prepare('SELECT first_offset, count FROM campaign_ranges WHERE campaign_id = ? ORDER BY first_offset').all(campaignId) as Record<
        string,
        unknown
      >[]
    ).map((row) => camel(row) as unknown as CompletedRange);
  }

  // ---- results ----

  /**
   * Records a batch in one transaction: its completed range, its failures (full traces kept for
   * the first `keepTraces` failures of each signature of the case), the bug rows, and the
   * campaign's counters. Returns the failures whose signature is new for their case.
   */
  recordBatch(campaignId: number, batch: BatchRecord): NewBug[] {
    const campaign = this.getCampaign(campaignId);
    if (campaign === undefined) throw new StoreError(`no campaign ${campaignId} in ${this.file}`);
    const now = new Date().toISOString();
    const newBugs: NewBug[] = [];
    const findBug = this.db.prepare('SELECT id, failures FROM bugs WHERE case_ref = ? AND signature = ?');
    const insertBug = this.db.prepare(INSERT_BUG_SQL);
    const bumpBug = this.db.prepare('UPDATE bugs SET failures = failures + 1, last_seen = ? WHERE id = ?');
    const setFirst = this.db.prepare('UPDATE bugs SET first_failure_id = ? WHERE id = ?');
    const insertFailure = this.db.prepare('INSERT INTO failures (campaign_id, bug_id, seed_offset, mutated) VALUES (?, ?, ?, ?)');
    const insertDetails = this.db.prepare(
      `INSERT INTO failure_details (failure_id, profile, phase, error_message, trace, trace_hash, event_count, found_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const countCoverage = this.db.prepare(
      `INSERT INTO coverage (campaign_id, name, kind, runs, first_seed_offset) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (campaign_id, name) DO UPDATE SET kind = excluded.kind, runs = runs + excluded.runs,
         first_seed_offset = min(coalesce(first_seed_offset, excluded.first_seed_offset), excluded.first_seed_offset)`,
    );
    this.db.transaction(() => {
      for (const count of batch.coverage ?? []) countCoverage.run(campaignId, count.name, count.kind, count.runs, count.firstOffset);
      if (batch.guided !== undefined) {
        const insertEntry = this.db.prepare('INSERT INTO corpus (campaign_id, seed_offset, profile, choices, points) VALUES (?, ?, ?, ?, ?)');
        for (const entry of batch.guided.entries) {
          insertEntry.run(campaignId, entry.offset, JSON.stringify(entry.profile), encodeChoices(entry.choices), JSON.stringify(entry.points));
        }
        this.db.prepare('UPDATE campaigns SET mutation_runs = mutation_runs + ? WHERE id = ?').run(batch.guided.mutationRuns, campaignId);
      }
      if (batch.range !== undefined) {
        this.db
          .prepare('INSERT INTO campaign_ranges (campaign_id, first_offset, count) VALUES (?, ?, ?)')
          .run(campaignId, batch.range.firstOffset, batch.range.count);
      }
      for (const failure of batch.failures) {
        let bug = findBug.get(campaign.caseRef, failure.signature) as { id: number; failures: number } | undefined;
        const isNew = bug === undefined;
        if (bug === undefined) {
          const id = Number(
            insertBug.run(campaign.caseRef, failure.signature, campaign.caseName, failure.kind, failure.checkName, failure.errorName, now, now)
              .lastInsertRowid,
          );
          bug = { id, failures: 0 };
        }
        const foundBy = failure.foundBy ?? null;
        const id = Number(insertFailure.run(campaignId, bug.id, failure.seedOffset, foundBy === null ? 0 : 1).lastInsertRowid);
        bumpBug.run(now, bug.id);
        // Timeouts and crashes have no trace to regenerate cheaply, so they always keep their
        // details. A run from a mutated tape cannot be regenerated from its seed either, but a
        // guided lane that found a bug finds it again and again: past the first keepTraces of its
        // bug it is only counted (each would keep its whole tape).
        const keep = bug.failures < campaign.keepTraces || failure.kind === 'timeout' || failure.errorName === 'WorkerCrashed';
        if (keep) {
          insertDetails.run(id, failure.profile, failure.phase, failure.errorMessage, failure.trace, failure.traceHash, failure.eventCount, foundBy, now);
        }
        if (isNew) {
          setFirst.run(id, bug.id);
          newBugs.push({ signature: failure.signature, failureId: id });
        }
      }
      this.db
        .prepare(
          `UPDATE campaigns SET seeds_done = seeds_done + ?, failures = failures + ?, active_ms = active_ms + ?,
             dispatched_end = max(dispatched_end, ?), updated_at = ? WHERE id = ?`,
        )
        .run(batch.range?.count ?? 0, batch.failures.length, Math.round(batch.activeMsDelta ?? 0), batch.dispatchedEnd ?? 0, now, campaignId);
    })();
    return newBugs;
  }

  /** Stores a minimized reproduction of a failure and makes it the bug's smallest when it is. */
  recordMinimized(failureId: number, artifact: string, trace: string, traceHash: string, eventCount: number): void {
    this.db.transaction(() => {
      const updated = this.db
        .prepare('UPDATE failure_details SET minimized = ?, minimized_trace = ?, minimized_trace_hash = ?, minimized_event_count = ? WHERE failure_id = ?')
        .run(artifact, trace, traceHash, eventCount, failureId);
      if (updated.changes === 0) throw new StoreError(`failure #${failureId} kept no details, so it cannot hold a minimized reproduction`);
      this.db
        .prepare(
          `UPDATE bugs SET smallest_failure_id = ?, smallest_event_count = ?
           WHERE id = (SELECT bug_id FROM failures WHERE id = ?) AND (smallest_event_count IS NULL OR smallest_event_count > ?)`,
        )
        .run(failureId, eventCount, failureId, eventCount);
    })();
  }

  getFailure(id: number): FailureRow | undefined {
    const row = this.db.prepare(`${FAILURE_SELECT} WHERE f.id = ?`).get(id) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : this.failureRow(row);
  }

  /** Failing seeds, oldest first, without their trace texts (use `getFailure` for one in full). */
  listFailures(filter: FailureFilter = {}): FailureRow[] {
    const { where, params } = whereClause(filter, 'f.campaign_id = ?');
    const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    return (this.db.prepare(`${FAILURE_LIST_SELECT}${where} ORDER BY f.id${limit}`).all(...params) as Record<string, unknown>[]).map((row) =>
      this.failureRow(row),
    );
  }

  /** The stored failures of one seed of a case, over every campaign of that case. */
  findFailures(caseRef: string, seed: bigint): FailureRow[] {
    const campaigns = this.db.prepare('SELECT id, start_seed, seed_stride FROM campaigns WHERE case_ref = ?').all(caseRef) as {
      id: number;
      start_seed: string;
      seed_stride: number;
    }[];
    const rows: FailureRow[] = [];
    for (const campaign of campaigns) {
      const distance = seed - BigInt(campaign.start_seed);
      if (distance < 0n || distance % BigInt(campaign.seed_stride) !== 0n) continue;
      const offset = distance / BigInt(campaign.seed_stride);
      if (offset > BigInt(Number.MAX_SAFE_INTEGER)) continue;
      const found = this.db.prepare(`${FAILURE_LIST_SELECT} WHERE f.campaign_id = ? AND f.seed_offset = ? ORDER BY f.id`).all(campaign.id, Number(offset));
      for (const row of found as Record<string, unknown>[]) rows.push(this.failureRow(row));
    }
    return rows;
  }

  /** A failure row: its seed from the campaign's start seed, its profile from its campaign when it kept no details. */
  private failureRow(raw: Record<string, unknown>): FailureRow {
    const { startSeed, seedStride, campaignProfile, detailed, profile, mutated, ...row } = camel(raw) as unknown as Omit<
      FailureRow,
      'seed' | 'profile' | 'detailed' | 'mutated'
    > & {
      startSeed: string;
      seedStride: number;
      campaignProfile: string;
      profile: string | null;
      detailed: number;
      mutated: number;
    };
    const seed = seedAt({ startSeed, seedStride }, row.seedOffset);
    return {
      ...row,
      seed: formatSeed(seed),
      profile: profile ?? JSON.stringify(profileOfSeed(campaignProfile, seed)),
      detailed: detailed === 1,
      mutated: mutated === 1,
    };
  }

  /** The corpus entries of a guided campaign found at offsets in `[startOffset, endOffset)`, in offset order. */
  corpusBefore(campaignId: number, endOffset: number, startOffset = 0): CorpusEntry[] {
    const rows = this.db
      .prepare('SELECT seed_offset, profile, choices, points FROM corpus WHERE campaign_id = ? AND seed_offset >= ? AND seed_offset < ? ORDER BY seed_offset')
      .all(campaignId, startOffset, endOffset) as { seed_offset: number; profile: string; choices: Buffer; points: string }[];
    return rows.map((row) => ({
      offset: row.seed_offset,
      profile: JSON.parse(row.profile),
      choices: decodeChoices(row.choices),
      points: JSON.parse(row.points),
    }));
  }

  /** Remembers a run of a guided lane that killed its worker: the lane skips it from now on. */
  addGuidedSkip(campaignId: number, skip: SkippedRun): void {
    this.db
      .prepare('INSERT OR REPLACE INTO guided_skips (campaign_id, seed_offset, kind, error_name, error_message) VALUES (?, ?, ?, ?, ?)')
      .run(campaignId, skip.offset, skip.kind, skip.errorName, skip.errorMessage);
  }

  /** The runs a guided campaign's lanes skip, by offset. */
  guidedSkips(campaignId: number): SkippedRun[] {
    const rows = this.db
      .prepare('SELECT seed_offset, kind, error_name, error_message FROM guided_skips WHERE campaign_id = ? ORDER BY seed_offset')
      .all(campaignId) as { seed_offset: number; kind: SkippedRun['kind']; error_name: string; error_message: string }[];
    return rows.map((row) => ({ offset: row.seed_offset, kind: row.kind, errorName: row.error_name, errorMessage: row.error_message }));
  }

  /** Corpus size, coverage points and mutation runs of a guided campaign. */
  guidedFigures(campaign: Pick<CampaignRow, 'id' | 'mutationRuns'>): GuidedFigures {
    const points = new Set<string>();
    let corpusSize = 0;
    for (const row of this.db.prepare('SELECT points FROM corpus WHERE campaign_id = ?').iterate(campaign.id) as Iterable<{ points: string }>) {
      corpusSize++;
      for (const [point] of JSON.parse(row.points) as [string, number][]) points.add(point);
    }
    return { corpusSize, coveragePoints: points.size, mutationRuns: campaign.mutationRuns };
  }

  /** Records the names a campaign's case declares it expects to hit (`defineCase({ sometimes })`). */
  declareCoverage(campaignId: number, names: readonly string[]): void {
    const declare = this.db.prepare(
      `INSERT INTO coverage (campaign_id, name, kind, declared) VALUES (?, ?, 'sometimes', 1)
       ON CONFLICT (campaign_id, name) DO UPDATE SET declared = 1`,
    );
    this.db.transaction(() => {
      for (const name of names) declare.run(campaignId, name);
    })();
  }

  /** Assertion coverage, declared names never hit first, then by name; filtered by case or campaign. */
  listCoverage(filter: { readonly caseRef?: string; readonly campaignId?: number } = {}): CoverageRow[] {
    const rows = this.db
      .prepare(
        `SELECT v.campaign_id AS campaignId, c.case_ref AS caseRef, v.name, v.kind, v.declared, v.runs, v.first_seed_offset AS firstSeedOffset,
                c.start_seed AS startSeed, c.seed_stride AS seedStride
         FROM coverage v JOIN campaigns c ON c.id = v.campaign_id
         WHERE (? IS NULL OR c.case_ref = ?) AND (? IS NULL OR v.campaign_id = ?)
         ORDER BY (v.declared = 1 AND v.runs = 0) DESC, v.campaign_id, v.name`,
      )
      .all(filter.caseRef ?? null, filter.caseRef ?? null, filter.campaignId ?? null, filter.campaignId ?? null) as {
      campaignId: number;
      caseRef: string;
      name: string;
      kind: 'sometimes' | 'reachable';
      declared: number;
      runs: number;
      firstSeedOffset: number | null;
      startSeed: string;
      seedStride: number;
    }[];
    return rows.map((r) => ({
      campaignId: r.campaignId,
      caseRef: r.caseRef,
      name: r.name,
      kind: r.kind,
      declared: r.declared === 1,
      runs: r.runs,
      firstSeed: r.firstSeedOffset === null ? null : formatSeed(seedAt(r, r.firstSeedOffset)),
    }));
  }

  /** Distinct bugs, most frequent first; with a campaign filter, only bugs seen in that campaign. */
  listBugs(filter: FailureFilter = {}): BugRow[] {
    const { where, params } = whereClause({ ...filter, campaignId: undefined }, '');
    const rows = this.db.prepare(`SELECT b.*, NULL AS failures_in_campaign FROM bugs b${where} ORDER BY b.failures DESC, b.case_ref, b.signature`).all(...params) as Record<
      string,
      unknown
    >[];
    const bugs = rows.map((row) => camel(row) as unknown as BugRow);
    if (filter.campaignId === undefined) return bugs;
    // One pass over the campaign's failures (a count per bug in SQL would scan them once per bug).
    const counts = new Map(
      this.db.prepare('SELECT bug_id, count(*) FROM failures WHERE campaign_id = ? GROUP BY bug_id').raw().all(filter.campaignId) as [number, number][],
    );
    return bugs.filter((bug) => counts.has(bug.id)).map((bug) => ({ ...bug, failuresInCampaign: counts.get(bug.id)! }));
  }

  /**
   * About `limit` failing seeds of a campaign, evenly spread over them in id order: offset, bug,
   * and the stored profile when the failure kept details (null otherwise). For summaries of
   * campaigns with millions of failures.
   */
  sampleFailures(campaignId: number, limit: number): { seedOffset: number; bugId: number; mutated: boolean; profile: string | null }[] {
    const total = (this.db.prepare('SELECT count(*) AS n FROM failures WHERE campaign_id = ?').get(campaignId) as { n: number }).n;
    const step = Math.max(1, Math.ceil(total / Math.max(1, limit)));
    const rows: { seedOffset: number; bugId: number; mutated: boolean; profile: string | null }[] = [];
    let i = 0;
    const query = this.db
      .prepare('SELECT f.seed_offset, f.bug_id, f.mutated, d.profile FROM failures f LEFT JOIN failure_details d ON d.failure_id = f.id WHERE f.campaign_id = ? ORDER BY f.id')
      .raw();
    for (const [seedOffset, bugId, mutated, profile] of query.iterate(campaignId) as Iterable<[number, number, number, string | null]>) {
      if (i++ % step === 0) rows.push({ seedOffset, bugId, mutated: mutated === 1, profile });
    }
    return rows;
  }

  /** The id of the most recent campaign, or undefined when there is none. */
  latestCampaignId(): number | undefined {
    return (this.db.prepare('SELECT max(id) AS id FROM campaigns').get() as { id: number | null }).id ?? undefined;
  }

  /**
   * The failure of a bug in one campaign that the campaign's report shows: the one with the
   * smallest minimized reproduction, else the first that kept its details (only those have a trace).
   */
  campaignBugFailure(campaignId: number, bugId: number): FailureRow | undefined {
    const row = this.db
      .prepare(
        // CROSS JOIN keeps the (small) details table the outer loop: the campaign index would walk every failure.
        `SELECT f.id FROM failure_details d CROSS JOIN failures f ON f.id = d.failure_id WHERE f.campaign_id = ? AND f.bug_id = ?
         ORDER BY d.minimized_event_count IS NULL, d.minimized_event_count, f.id LIMIT 1`,
      )
      .get(campaignId, bugId) as { id: number } | undefined;
    return row === undefined ? undefined : this.getFailure(row.id);
  }

  /** The failure a bug is best replayed from: its smallest reproduction, else its first failure. */
  bugFailure(bug: BugRow): FailureRow | undefined {
    const id = bug.smallestFailureId ?? bug.firstFailureId;
    return id === null ? undefined : this.getFailure(id);
  }
}

/** The WHERE clause of a filter; `campaignCondition` is how the queried table matches a campaign id. */
function whereClause(filter: FailureFilter, campaignCondition: string): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.caseRef !== undefined) {
    conditions.push('b.case_ref = ?');
    params.push(filter.caseRef);
  }
  if (filter.campaignId !== undefined) {
    conditions.push(campaignCondition);
    params.push(filter.campaignId);
  }
  if (filter.signature !== undefined) {
    conditions.push('b.signature = ?');
    params.push(filter.signature);
  }
  return { where: conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`, params };
}

/**
 * Refuses, from the file's header alone (before SQLite opens it, so no side file is ever created
 * beside a refused file), anything that is not an SQLite file or that carries another
 * application's id. An empty file, or one without an application id, is left for the open to judge.
 */
function assertSqliteHeader(file: string): void {
  if (statSync(file).size === 0) return;
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || header.toString('latin1', 0, 16) !== SQLITE_HEADER) {
    throw new StoreError(`${file} is not a marionette database (not an SQLite file); it was left untouched`);
  }
  const applicationId = header.readUInt32BE(68);
  if (applicationId !== 0 && applicationId !== APPLICATION_ID) {
    throw new StoreError(`${file} is not a marionette database (it holds another application's data); choose another --db file`);
  }
}

function cannotWrite(file: string, error: unknown): StoreError {
  return new StoreError(`cannot write ${file} (${(error as Error).message}); check its permissions and its directory's, or use another --db file`);
}

/** Ends the write probe of `open` by rolling its transaction back. */
class ProbeDone extends Error {}

/** The tables the migrations create: a file with marionette's id must have every one of them. */
const OUR_TABLES = [...MIGRATIONS.join('\n').matchAll(/CREATE TABLE (\w+)/g)].map((m) => m[1]!);

/** The concrete profile a seed of a campaign ran under (the campaign stores the name or the JSON). */
export function profileOfSeed(campaignProfile: string, seed: bigint): FaultProfile {
  return campaignProfile.startsWith('{')
    ? resolveProfile(JSON.parse(campaignProfile) as never, seed)
    : resolveProfile(campaignProfile as 'none' | 'smoke' | 'swarm', seed);
}

/** Applies the migrations after `version` in one transaction (a savepoint inside a caller's). */
function migrate(db: Database.Database, version: number): void {
  if (version >= MIGRATIONS.length) return;
  db.transaction(() => {
    if (version === 0) db.pragma(`application_id = ${APPLICATION_ID}`);
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    db.pragma(`user_version = ${MIGRATIONS.length}`);
  })();
}

/** A tape as a BLOB of little-endian float64s (exact for every decision up to 2^53). */
function encodeChoices(choices: readonly number[]): Buffer {
  const buffer = Buffer.alloc(choices.length * 8);
  for (let i = 0; i < choices.length; i++) buffer.writeDoubleLE(choices[i]!, i * 8);
  return buffer;
}

function decodeChoices(blob: Buffer): number[] {
  const choices = new Array<number>(blob.length / 8);
  for (let i = 0; i < choices.length; i++) choices[i] = blob.readDoubleLE(i * 8);
  return choices;
}
