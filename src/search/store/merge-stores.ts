import { existsSync, realpathSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { UsageError } from '../usage-error.js';
import { FailureStore, StoreError } from './failure-store.js';

/** What one input added to the merged database. */
export interface MergedInput {
  readonly file: string;
  /** Campaigns copied, and campaigns skipped because OUT already had them (same UUID). */
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
 * Merges failure databases into `out` (created when missing), SPEC 12: campaigns (a campaign
 * whose UUID `out` already has is skipped, so merging twice changes nothing), their ranges,
 * coverage, guided corpora and skips, failing seeds with their details and minimized artifacts,
 * and bugs: one per case and signature, counts summed, first and last seen widened, the first
 * failure and the smallest reproduction kept. Every input is opened read-only and checked
 * before `out` is touched, and the merge is one transaction: a foreign, damaged or
 * incompatible input leaves `out` as it was (not even created).
 * @throws {UsageError} for no inputs, a missing input, or an input that is `out` itself.
 * @throws {StoreError} for an input or `out` that is not a usable marionette database.
 */
export function mergeStores(out: string, inputs: readonly string[]): MergeSummary {
  if (inputs.length === 0) throw new UsageError('merge: name at least one database to merge into OUT');
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
    }
    const created = !existsSync(out);
    let target: FailureStore | undefined;
    try {
      target = FailureStore.open(out);
      const db = target.connection;
      const merged = db.transaction(() => sources.map((source) => mergeOne(db, source)))();
      const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return { out, inputs: merged, campaigns: count('campaigns'), failures: count('failures'), bugs: count('bugs') };
    } catch (error) {
      target?.close();
      target = undefined;
      if (created) for (const suffix of ['', '-wal', '-shm']) rmSync(out + suffix, { force: true });
      if (error instanceof StoreError || error instanceof UsageError) throw error;
      throw new StoreError(`merge: nothing merged into ${out}: ${(error as Error).message}`);
    } finally {
      target?.close();
    }
  } finally {
    for (const source of sources) source.close();
  }
}

/** Copies one input into `db` (inside the caller's transaction). */
function mergeOne(db: Database.Database, source: FailureStore): MergedInput {
  const src = source.connection;
  const campaignIds = new Map<number, number>();
  let alreadyMerged = 0;
  const hasUuid = db.prepare('SELECT 1 FROM campaigns WHERE uuid = ?');
  const insertCampaign = db.prepare(`INSERT INTO campaigns (${CAMPAIGN_COLUMNS.join(', ')}) VALUES (${CAMPAIGN_COLUMNS.map(() => '?').join(', ')})`);
  for (const row of src.prepare(`SELECT id, ${CAMPAIGN_COLUMNS.join(', ')} FROM campaigns ORDER BY id`).iterate() as Iterable<Record<string, unknown>>) {
    if (hasUuid.get(row.uuid) !== undefined) {
      alreadyMerged++;
      continue;
    }
    const id = Number(insertCampaign.run(...CAMPAIGN_COLUMNS.map((column) => row[column])).lastInsertRowid);
    campaignIds.set(row.id as number, id);
  }

  let coverageRows = 0;
  let corpusEntries = 0;
  for (const [table, columns] of Object.entries(CAMPAIGN_TABLES)) {
    const insert = db.prepare(`INSERT INTO ${table} (campaign_id, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`);
    for (const row of src.prepare(`SELECT campaign_id, ${columns.join(', ')} FROM ${table}`).iterate() as Iterable<Record<string, unknown>>) {
      const campaignId = campaignIds.get(row.campaign_id as number);
      if (campaignId === undefined) continue;
      insert.run(campaignId, ...columns.map((column) => row[column]));
      if (table === 'coverage') coverageRows++;
      if (table === 'corpus') corpusEntries++;
    }
  }

  // Bugs: one per case and signature; every input bug gets its OUT twin (created when missing).
  const bugIds = new Map<number, number>();
  let newBugs = 0;
  const findBug = db.prepare('SELECT id FROM bugs WHERE case_ref = ? AND signature = ?');
  const insertBug = db.prepare(
    `INSERT INTO bugs (case_ref, signature, case_name, kind, check_name, error_name, failures, first_seen, last_seen)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
  );
  const sourceBugs = src.prepare('SELECT * FROM bugs ORDER BY id').all() as Record<string, unknown>[];
  for (const bug of sourceBugs) {
    const found = findBug.get(bug.case_ref, bug.signature) as { id: number } | undefined;
    if (found !== undefined) {
      bugIds.set(bug.id as number, found.id);
      continue;
    }
    const id = Number(insertBug.run(bug.case_ref, bug.signature, bug.case_name, bug.kind, bug.check_name, bug.error_name, bug.first_seen, bug.last_seen).lastInsertRowid);
    bugIds.set(bug.id as number, id);
    newBugs++;
  }

  // Failures keep their order; their ids move past OUT's highest, so an input id maps by one addition.
  const base = (db.prepare('SELECT coalesce(max(id), 0) AS n FROM failures').get() as { n: number }).n;
  const insertFailure = db.prepare('INSERT INTO failures (id, campaign_id, bug_id, seed_offset, mutated) VALUES (?, ?, ?, ?, ?)');
  const mergedPerBug = new Map<number, number>();
  const mergedFailures = new Set<number>();
  for (const row of src.prepare('SELECT id, campaign_id, bug_id, seed_offset, mutated FROM failures ORDER BY id').iterate() as Iterable<{
    id: number;
    campaign_id: number;
    bug_id: number;
    seed_offset: number;
    mutated: number;
  }>) {
    const campaignId = campaignIds.get(row.campaign_id);
    if (campaignId === undefined) continue;
    insertFailure.run(base + row.id, campaignId, bugIds.get(row.bug_id)!, row.seed_offset, row.mutated);
    mergedPerBug.set(row.bug_id, (mergedPerBug.get(row.bug_id) ?? 0) + 1);
    mergedFailures.add(row.id);
  }
  let details = 0;
  const insertDetails = db.prepare(`INSERT INTO failure_details (failure_id, ${DETAIL_COLUMNS.join(', ')}) VALUES (?, ${DETAIL_COLUMNS.map(() => '?').join(', ')})`);
  for (const row of src.prepare(`SELECT failure_id, ${DETAIL_COLUMNS.join(', ')} FROM failure_details`).iterate() as Iterable<Record<string, unknown>>) {
    if (!mergedFailures.has(row.failure_id as number)) continue;
    insertDetails.run(base + (row.failure_id as number), ...DETAIL_COLUMNS.map((column) => row[column]));
    details++;
  }

  // Counts summed; first and last seen widened; the earlier first failure and the smaller reproduction kept.
  const current = db.prepare('SELECT failures, first_seen, last_seen, first_failure_id, smallest_event_count FROM bugs WHERE id = ?');
  const update = db.prepare(
    `UPDATE bugs SET failures = ?, first_seen = ?, last_seen = ?, first_failure_id = ?, smallest_failure_id = ?, smallest_event_count = ? WHERE id = ?`,
  );
  const smallestOf = db.prepare('SELECT smallest_failure_id FROM bugs WHERE id = ?');
  for (const bug of sourceBugs) {
    const merged = mergedPerBug.get(bug.id as number);
    if (merged === undefined) continue;
    const id = bugIds.get(bug.id as number)!;
    const now = current.get(id) as { failures: number; first_seen: string; last_seen: string; first_failure_id: number | null; smallest_event_count: number | null };
    const mapped = (failureId: unknown) => (typeof failureId === 'number' && mergedFailures.has(failureId) ? base + failureId : null);
    const theirFirst = mapped(bug.first_failure_id);
    const earlier = now.first_failure_id === null || (theirFirst !== null && (bug.first_seen as string) < now.first_seen);
    const theirSmallest = mapped(bug.smallest_failure_id);
    const theirCount = bug.smallest_event_count as number | null;
    const smaller = theirSmallest !== null && theirCount !== null && (now.smallest_event_count === null || theirCount < now.smallest_event_count);
    const keptSmallest = (smallestOf.get(id) as { smallest_failure_id: number | null }).smallest_failure_id;
    update.run(
      now.failures + merged,
      (bug.first_seen as string) < now.first_seen ? bug.first_seen : now.first_seen,
      (bug.last_seen as string) > now.last_seen ? bug.last_seen : now.last_seen,
      earlier ? (theirFirst ?? now.first_failure_id) : now.first_failure_id,
      smaller ? theirSmallest : keptSmallest,
      smaller ? theirCount : now.smallest_event_count,
      id,
    );
  }
  return {
    file: source.file,
    campaigns: campaignIds.size,
    alreadyMerged,
    failures: mergedFailures.size,
    details,
    newBugs,
    coverageRows,
    corpusEntries,
  };
}
