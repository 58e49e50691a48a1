import { shellQuote } from '../../harness/case-reference.js';
import { DEFAULT_DB_PATH, type BugRow } from '../store/failure-store.js';

/**
 * `mar replay ID [--minimized] [--db DB] [--trace]`, each word shell-quoted when it needs it;
 * `--db` only for a database other than the default.
 */
export function replayCommand(failureId: number, db: string, options: { readonly minimized?: boolean; readonly trace?: boolean } = {}): string {
  return ['mar', 'replay', String(failureId), ...(options.minimized === true ? ['--minimized'] : []), ...(db === DEFAULT_DB_PATH ? [] : ['--db', db]), ...(options.trace === true ? ['--trace'] : [])]
    .map(shellQuote)
    .join(' ');
}

/** How to replay a bug: its smallest reproduction (minimized), else its first failure; null when it has neither. */
export function bugReplayCommand(bug: BugRow, db: string): string | null {
  if (bug.smallestFailureId !== null) return replayCommand(bug.smallestFailureId, db, { minimized: true });
  return bug.firstFailureId === null ? null : replayCommand(bug.firstFailureId, db);
}
