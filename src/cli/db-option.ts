import type { Argv } from 'yargs';
import { DEFAULT_DB_PATH, FailureStore, StoreError } from '../search/store/failure-store.js';
import { UsageError } from '../search/usage-error.js';

/** Adds `--db FILE` (default `results/marionette.sqlite`); an empty or blank name is refused. */
export function withDbOption<T>(yargs: Argv<T>) {
  return yargs.option('db', {
    type: 'string',
    default: DEFAULT_DB_PATH,
    describe: 'the failure database',
    coerce: (file: unknown) => {
      // An empty name would make SQLite open a private temporary database: results silently lost.
      if (typeof file !== 'string' || file.trim() === '') throw new UsageError(`--db must name a database file, got ${JSON.stringify(file)}`);
      return file;
    },
  });
}

/** Opens the store for a command, turning store errors into one-line usage errors. */
export function openStoreFor(file: string, options: { readonly readonly?: boolean } = {}): FailureStore {
  try {
    return FailureStore.open(file, { readonly: options.readonly ?? false, create: !options.readonly });
  } catch (error) {
    if (error instanceof StoreError) throw new UsageError(error.message);
    throw error;
  }
}
