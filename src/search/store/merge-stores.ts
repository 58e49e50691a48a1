import { existsSync, realpathSync, rmSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { UsageError } from '../usage-error.js';
import { FailureStore, INSERT_BUG_SQL, StoreError } from './failure-store.js';

/** What one input added to the merged database. */
export interface MergedInput {
  readonly file: string;
  /**
   * Campaigns copied (or, already in OUT from an earlier merge but gone further since, brought up
   * to date), and campaigns skipped because OUT already had them as far (same UUID).
   */
  readonly campaigns: number;
  readonly alreadyMerged: number;
  readonly failures: number;
  /** Failures that kept their details (trace, profile, minimized artifact, tape). */
  readonly details: number;
  /** Bugs (case and signature) OUT did not have before. */
  readonly newBugs: number;
  readonly coverageRows: number;
  readonly corpusEntries: number;
}

/** What `mar merge` did. */
export interface MergeSummary {
  readonly out: string;
  readonly inputs: readonly MergedInput[];
  /** OUT after the merge. */
  readonly campaigns: number;
  readonly failures: number;
  readonly bugs: number;
}

/** Campaign columns copied as they are (everything but the id). */
const CAMPAIGN_COLUMNS = [
  'kind', 'case_ref', 'case_name', 'profile', 'start_seed', 'planned_seeds', 'duration_ms', 'workers', 'seed_timeout_ms', 'audit_every',
  'keep_traces', 'status', 'seeds_done', 'failures', 'dispatched_end', 'active_ms', 'started_at', 'updated_at', 'ended_at', 'package_version',
  'git_commit', 'node_version', 'owner_pid', 'owner_host', 'guided', 'mutation_runs', 'uuid', 'seed_stride', 'shard_index', 'shard_count',
] as const;

const DETAIL_COLUMNS = [
  'profile', 'phase', 'error_message', 'trace', 'trace_hash', 'event_count', 'minimized', 'minimized_trace', 'minimized_trace_hash',
  'minimized_event_count', 'found_by', 'created_at',
] as const;

/** Tables that belong to one campaign, copied row by row with the campaign id mapped. */
const CAMPAIGN_TABLES = {
  campaign_ranges: ['first_offset', 'count'],
  coverage: ['name', 'kind', 'declared', 'runs', 'first_seed_offset'],
  corpus: ['seed_offset', 'profile', 'choices', 'points'],
  guided_skips: ['seed_offset', 'kind', 'error_name', 'error_message'],
} as const;

/**
 * Merges failure databases into `out` (created when missing), SPEC 12: campaigns with their
 * ranges, coverage, guided corpora and skips, failing seeds with their details and minimized
 * artifacts, and bugs: one per case and signature, counts summed, first and last seen widened,
 * the earlier first failure and the smaller reproduction kept (ties broken by campaign UUID and
 * seed offset, so the order of the inputs never matters). A campaign is known by its UUID: one
 * `out` already holds is merged again only when the input has gone further (a shard resumed
 * after an earlier merge), and then only what is new. Every input is opened read-only, checked,
 * and read as one snapshot; `out` keeps its journal mode, is migrated inside the merge, and the
 * merge is one transaction: a foreign, damaged or incompatible input leaves `out` as it was
 * (not even created).
 * @throws {UsageError} for no inputs, a missing input or output directory, or an input that is `out` itself.
 * @throws {StoreError} for an input or `out` that is not a usable marionette database.
 */
export function mergeStores(out: string, inputs: readonly string[]): MergeSummary {
  if (inputs.length === 0) throw new UsageError('merge: name at least one database to merge into OUT');
  const outDir = path.dirname(path.resolve(out));
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) throw new UsageError(`merge: the directory ${outDir} does not exist`);
  if (existsSync(out) && !statSync(out).isFile()) throw new UsageError(`merge: ${out} is not a file`);
  const outReal = existsSync(out) ? realpathSync(out) : path.resolve(out);
  for (const input of inputs) {
    if (!existsSync(input)) throw new UsageError(`merge: no database at ${input}`);
    if (!statSync(input).isFile()) throw new UsageError(`merge: ${input} is not a file`);
    if (realpathSync(input) === outReal) throw new UsageError(`merge: cannot merge ${input} into itself`);
  }
  const sources: FailureStore[] = [];
  try {
    for (const input of inputs) {
      const source = FailureStore.open(input, { readonly: true });
      sources.push(source);
      source.assertIntact();
      const broken = source.connection.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new StoreError(`${input} is damaged (${broken.length} rows refer to rows it does not have)`);
    }
    // What `out` was, to put it back exactly when the merge fails: absent, or an empty file.
    const existed = existsSync(out);
    const wasEmpty = existed && statSync(out).size === 0;
    let target: FailureStore | undefined;
    try {
      target = FailureStore.open(out, { deferSetup: true });
      const db = target.connection;
      const store = target;
      const merged = db
        .transaction(() => {
          store.migrate();
          return sources.map((source) => {
            // One snapshot of each input, even while a shard still writes it.
            source.connection.exec('BEGIN');
            try {
              return mergeOne(db, source);
            } finally {
              source.connection.exec('COMMIT');
            }
          });
        })
        .immediate();
      const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return { out, inputs: merged, campaigns: count('campaigns'), failures: count('failures'), bugs: count('bugs') };
    } catch (error) {
      target?.close();
      target = undefined;
      if (!existed) for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(out + suffix, { force: true });
      if (wasEmpty) {
        truncateSync(out, 0);
        for (const suffix of ['-wal', '-shm', '-journal']) rmSync(out + suffix, { force: true });
      }
      if (error instanceof StoreError || error instanceof UsageError) throw error;
      throw new StoreError(`merge: nothing merged into ${out}: ${(error as Error).message}`);
    } finally {
      target?.close();
    }
  } finally {
    for (const source of sources) source.close();
  }
}

/** Copies what is new in one input into `db` (inside the caller's transaction). */
function mergeOne(db: Database.Database, source: FailureStore): MergedInput {
  const src = source.connection;
  /** Input campaign id -> OUT campaign id, for the campaigns this input brings something new of. */
  const campaignIds = new Map<number, number>();
  /** OUT campaigns merged before and now brought further: their rows are added to, not copied. */
  const grown = new Set<number>();
  let alreadyMerged = 0;
  const byUuid = db.prepare('SELECT id, seeds_done, updated_at FROM campaigns WHERE uuid = ?');
  const insertCampaign = db.prepare(`INSERT INTO campaigns (${CAMPAIGN_COLUMNS.join(', ')}) VALUES (${CAMPAIGN_COLUMNS.map(() => '?').join(', ')})`);
  const updatable = CAMPAIGN_COLUMNS.filter((column) => column !== 'uuid');
  const updateCampaign = db.prepare(`UPDATE campaigns SET ${updatable.map((column) => `${column} = ?`).join(', ')} WHERE id = ?`);
  for (const row of src.prepare(`SELECT id, ${CAMPAIGN_COLUMNS.join(', ')} FROM campaigns ORDER BY id`).all() as Record<string, unknown>[]) {
    const known = byUuid.get(row.uuid) as { id: number; seeds_done: number; updated_at: string } | undefined;
    if (known === undefined) {
      campaignIds.set(row.id as number, Number(insertCampaign.run(...CAMPAIGN_COLUMNS.map((column) => row[column])).lastInsertRowid));
      continue;
    }
    const further = (row.seeds_done as number) > known.seeds_done || ((row.seeds_done as number) === known.seeds_done && (row.updated_at as string) > known.updated_at);
    if (!further) {
      alreadyMerged++;
      continue;
    }
    updateCampaign.run(...updatable.map((column) => row[column]), known.id);
    campaignIds.set(row.id as number, known.id);
    grown.add(known.id);
  }

  let coverageRows = 0;
  let corpusEntries = 0;
  for (const [table, columns] of Object.entries(CAMPAIGN_TABLES)) {
    // Ranges, corpus entries and skips are keyed by offset: what is there already stays. Coverage
    // rows are a campaign's running totals: the further copy replaces them.
    const verb = table === 'coverage' ? 'INSERT' : 'INSERT OR IGNORE';
    const insert = db.prepare(`${verb} INTO ${table} (campaign_id, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`);
    if (table === 'coverage') for (const id of grown) db.prepare('DELETE FROM coverage WHERE campaign_id = ?').run(id);
    for (const row of src.prepare(`SELECT campaign_id, ${columns.join(', ')} FROM ${table}`).iterate() as Iterable<Record<string, unknown>>) {
      const campaignId = campaignIds.get(row.campaign_id as number);
      if (campaignId === undefined) continue;
      const changes = insert.run(campaignId, ...columns.map((column) => row[column])).changes;
      if (table === 'coverage') coverageRows += changes;
      if (table === 'corpus') corpusEntries += changes;
    }
  }

  // Failures keep their order; their ids move past OUT's highest, so an input id maps by one addition.
  const base = (db.prepare('SELECT coalesce(max(id), 0) AS n FROM failures').get() as { n: number }).n;
  const present = new Map<number, Set<number>>();
  for (const id of grown) {
    const offsets = db.prepare('SELECT seed_offset FROM failures WHERE campaign_id = ?').raw().all(id) as [number][];
    present.set(id, new Set(offsets.map(([offset]) => offset)));
  }
  const sourceBugs = new Map((src.prepare('SELECT * FROM bugs').all() as Record<string, unknown>[]).map((bug) => [bug.id as number, bug]));
  const bugIds = new Map<number, number>();
  let newBugs = 0;
  const findBug = db.prepare('SELECT id FROM bugs WHERE case_ref = ? AND signature = ?');
  const insertBug = db.prepare(INSERT_BUG_SQL);
  /** OUT's twin of an input bug, made when its first failure is merged (never a bug with no failures). */
  const bugOf = (sourceId: number): number => {
    let id = bugIds.get(sourceId);
    if (id !== undefined) return id;
    const bug = sourceBugs.get(sourceId)!;
    const found = findBug.get(bug.case_ref, bug.signature) as { id: number } | undefined;
    if (found !== undefined) {
      id = found.id;
    } else {
      id = Number(insertBug.run(bug.case_ref, bug.signature, bug.case_name, bug.kind, bug.check_name, bug.error_name, bug.first_seen, bug.last_seen).lastInsertRowid);
      newBugs++;
    }
    bugIds.set(sourceId, id);
    return id;
  };
  const insertFailure = db.prepare('INSERT INTO failures (id, campaign_id, bug_id, seed_offset, mutated) VALUES (?, ?, ?, ?, ?)');
  const mergedPerBug = new Map<number, number>();
  const inserted = new Set<number>();
  for (const [id, sourceCampaign, sourceBug, offset, mutated] of src
    .prepare('SELECT id, campaign_id, bug_id, seed_offset, mutated FROM failures ORDER BY id')
    .raw()
    .iterate() as Iterable<[number, number, number, number, number]>) {
    const campaignId = campaignIds.get(sourceCampaign);
    if (campaignId === undefined || present.get(campaignId)?.has(offset)) continue;
    insertFailure.run(base + id, campaignId, bugOf(sourceBug), offset, mutated);
    mergedPerBug.set(sourceBug, (mergedPerBug.get(sourceBug) ?? 0) + 1);
    inserted.add(id);
  }
  let details = 0;
  const insertDetails = db.prepare(`INSERT INTO failure_details (failure_id, ${DETAIL_COLUMNS.join(', ')}) VALUES (?, ${DETAIL_COLUMNS.map(() => '?').join(', ')})`);
  for (const row of src.prepare(`SELECT failure_id, ${DETAIL_COLUMNS.join(', ')} FROM failure_details`).iterate() as Iterable<Record<string, unknown>>) {
    if (!inserted.has(row.failure_id as number)) continue;
    insertDetails.run(base + (row.failure_id as number), ...DETAIL_COLUMNS.map((column) => row[column]));
    details++;
  }

  // Counts summed; first and last seen widened; the earlier first failure and the smaller
  // reproduction kept, ties broken by (campaign UUID, seed offset) so input order never matters.
  const current = db.prepare('SELECT failures, first_seen, last_seen, first_failure_id, smallest_failure_id, smallest_event_count FROM bugs WHERE id = ?');
  const keyOf = db.prepare('SELECT c.uuid, f.seed_offset FROM failures f JOIN campaigns c ON c.id = f.campaign_id WHERE f.id = ?');
  const key = (failureId: number | null): string => {
    if (failureId === null) return '\uffff';
    const k = keyOf.get(failureId) as { uuid: string; seed_offset: number } | undefined;
    return k === undefined ? '\uffff' : `${k.uuid} ${String(k.seed_offset).padStart(16, '0')}`;
  };
  const update = db.prepare(
    'UPDATE bugs SET failures = ?, first_seen = ?, last_seen = ?, first_failure_id = ?, smallest_failure_id = ?, smallest_event_count = ? WHERE id = ?',
  );
  for (const [sourceId, merged] of mergedPerBug) {
    const bug = sourceBugs.get(sourceId)!;
    const id = bugIds.get(sourceId)!;
    const now = current.get(id) as {
      failures: number;
      first_seen: string;
      last_seen: string;
      first_failure_id: number | null;
      smallest_failure_id: number | null;
      smallest_event_count: number | null;
    };
    const mapped = (failureId: unknown) => (typeof failureId === 'number' && inserted.has(failureId) ? base + failureId : null);
    const theirFirst = mapped(bug.first_failure_id);
    const theirFirstSeen = bug.first_seen as string;
    const takeFirst =
      theirFirst !== null &&
      (now.first_failure_id === null || theirFirstSeen < now.first_seen || (theirFirstSeen === now.first_seen && key(theirFirst) < key(now.first_failure_id)));
    const theirSmallest = mapped(bug.smallest_failure_id);
    const theirCount = bug.smallest_event_count as number | null;
    const takeSmallest =
      theirSmallest !== null &&
      theirCount !== null &&
      (now.smallest_event_count === null ||
        theirCount < now.smallest_event_count ||
        (theirCount === now.smallest_event_count && key(theirSmallest) < key(now.smallest_failure_id)));
    update.run(
      now.failures + merged,
      theirFirstSeen < now.first_seen ? theirFirstSeen : now.first_seen,
      (bug.last_seen as string) > now.last_seen ? bug.last_seen : now.last_seen,
      takeFirst ? theirFirst : now.first_failure_id,
      takeSmallest ? theirSmallest : now.smallest_failure_id,
      takeSmallest ? theirCount : now.smallest_event_count,
      id,
    );
  }
  return {
    file: source.file,
    campaigns: campaignIds.size,
    alreadyMerged,
    failures: inserted.size,
    details,
    newBugs,
    coverageRows,
    corpusEntries,
  };
}
