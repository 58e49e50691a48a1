import { describe, expect, it } from 'vitest';
import { bugReplayCommand, replayCommand } from '../../../src/search/replay/replay-command.js';
import { DEFAULT_DB_PATH, type BugRow } from '../../../src/search/store/failure-store.js';

const bug = (smallestFailureId: number | null, firstFailureId: number | null) => ({ smallestFailureId, firstFailureId }) as BugRow;

describe('replay commands', () => {
  it('name the failure by its id in digits, the database unless it is the default, and shell-quote what needs it', () => {
    expect(replayCommand(1234, DEFAULT_DB_PATH)).toBe('mar replay 1234');
    expect(replayCommand(1234, '/tmp/a.sqlite', { minimized: true, trace: true })).toBe('mar replay 1234 --minimized --db /tmp/a.sqlite --trace');
    expect(replayCommand(7, '/tmp/my runs.sqlite')).toBe("mar replay 7 --db '/tmp/my runs.sqlite'");
  });

  it('replay a bug from its smallest reproduction, else its first failure, else not at all', () => {
    expect(bugReplayCommand(bug(2048, 3), DEFAULT_DB_PATH)).toBe('mar replay 2048 --minimized');
    expect(bugReplayCommand(bug(null, 3), 'x.sqlite')).toBe('mar replay 3 --db x.sqlite');
    expect(bugReplayCommand(bug(null, null), DEFAULT_DB_PATH)).toBeNull();
  });
});
