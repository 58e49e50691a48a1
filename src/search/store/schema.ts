/**
 * The failure database schema, as numbered migrations. `PRAGMA user_version` holds how many have
 * been applied; opening a database applies the missing ones in one transaction. Never edit a
 * migration that has shipped: add a new one.
 */

/** `PRAGMA application_id` of a marionette database: "MARS". */
export const APPLICATION_ID = 0x4d415253;

export const MIGRATIONS: readonly string[] = [
  // 1: campaigns, their completed seed ranges, failures, bugs.
  `
  CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('fuzz', 'test')),
    case_ref TEXT NOT NULL,
    case_name TEXT NOT NULL,
    profile TEXT NOT NULL,
    start_seed TEXT NOT NULL,
    planned_seeds INTEGER,
    duration_ms INTEGER,
    workers INTEGER NOT NULL,
    seed_timeout_ms INTEGER NOT NULL,
    audit_every INTEGER NOT NULL,
    keep_traces INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'done')),
    seeds_done INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    dispatched_end INTEGER NOT NULL DEFAULT 0,
    active_ms INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT,
    package_version TEXT NOT NULL,
    git_commit TEXT,
    node_version TEXT NOT NULL
  );
  CREATE TABLE campaign_ranges (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
    first_offset INTEGER NOT NULL,
    count INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (campaign_id, first_offset)
  );
  CREATE TABLE failures (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER REFERENCES campaigns(id),
    case_ref TEXT NOT NULL,
    case_name TEXT NOT NULL,
    seed TEXT NOT NULL,
    seed_offset INTEGER,
    profile TEXT NOT NULL,
    kind TEXT NOT NULL,
    signature TEXT NOT NULL,
    phase TEXT,
    check_name TEXT,
    error_name TEXT,
    error_message TEXT,
    trace TEXT,
    trace_hash TEXT,
    event_count INTEGER,
    minimized TEXT,
    minimized_trace TEXT,
    minimized_trace_hash TEXT,
    minimized_event_count INTEGER,
    created_at TEXT NOT NULL
  );
  CREATE INDEX failures_by_signature ON failures (case_ref, signature, id);
  CREATE INDEX failures_by_campaign ON failures (campaign_id, id);
  CREATE TABLE bugs (
    case_ref TEXT NOT NULL,
    signature TEXT NOT NULL,
    case_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    check_name TEXT,
    error_name TEXT,
    failures INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    first_failure_id INTEGER NOT NULL REFERENCES failures(id),
    smallest_failure_id INTEGER REFERENCES failures(id),
    smallest_event_count INTEGER,
    PRIMARY KEY (case_ref, signature)
  );
  `,
];
