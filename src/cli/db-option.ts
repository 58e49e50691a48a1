import type { Argv } from 'yargs';
import { DEFAULT_DB_PATH, FailureStore, StoreError } from '../search/store/failure-store.js';
import { UsageError } from '../search/usage-error.js';

/** Adds `--db FILE` (default `results/marionette.sqlite`). */
export function withDbOption<T>(yargs: Argv<T>) {
  return yargs.option('db', { type: 'string', default: DEFAULT_DB_PATH, describe: 'the failure database' });
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
