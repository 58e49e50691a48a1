/** Store figures: what the integrity check before a campaign writes costs on a large database. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { FailureStore } from '../src/search/store/failure-store.js';

/** Opens a marionette database of about `targetMb` MB for writing (which runs quick_check) and for reading (which does not). */
export async function storeBench(): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'marionette-store-bench-'));
  try {
    const lines = ['## store: the integrity check (quick_check) before a campaign writes'];
    for (const targetMb of [100, 1024]) {
      const file = path.join(dir, `big-${targetMb}.sqlite`);
      FailureStore.open(file).close(); // our schema
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE ballast (b BLOB)'); // size only: quick_check reads every page whatever the table
      const insert = db.prepare('INSERT INTO ballast (b) VALUES (?)');
      const blob = Buffer.alloc(1024 * 1024, 7);
      db.transaction(() => {
        for (let i = 0; i < targetMb; i++) insert.run(blob);
      })();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      const sizeMb = statSync(file).size / 1024 / 1024;
      const time = (readonly: boolean) => {
        const started = performance.now();
        FailureStore.open(file, { readonly }).close();
        return performance.now() - started;
      };
      time(true); // warm the page cache, so both figures read from memory
      const writing = Math.min(time(false), time(false));
      const reading = Math.min(time(true), time(true));
      lines.push(`${sizeMb.toFixed(0)} MB database: open for writing (with quick_check) ${writing.toFixed(0)} ms, for reading (without) ${reading.toFixed(1)} ms`);
    }
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
