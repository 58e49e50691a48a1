import { existsSync } from 'node:fs';
import type { Argv } from 'yargs';
import { parseSeed } from '../../kernel/parse-seed.js';
import { summarizeTrace } from '../../kernel/trace/summarize-trace.js';
import { replayFailure, replaySeed, ReplayError, type ReplayResult } from '../../search/replay/replay.js';
import type { FailureStore } from '../../search/store/failure-store.js';
import { openStoreFor, withDbOption } from '../db-option.js';
import type { Output } from '../output.js';
import { parseProfileOption } from '../parse-profile-option.js';
import { EXIT, UsageError } from '../../search/usage-error.js';

interface ReplayArgs {
  readonly failureId?: number;
  readonly db: string;
  readonly minimized?: boolean;
  readonly trace?: boolean;
  readonly summary?: boolean;
  readonly json?: boolean;
  readonly case?: string;
  readonly seed?: string;
  readonly profile?: string;
  readonly all?: boolean;
}

/**
 * `mar replay <failure-id> [--minimized] [--trace | --summary] [--json]`,
 * `mar replay --case C --seed S [--profile P]`, `mar replay --all`: re-run and compare with what
 * was stored. Exit 0 only when every replay reproduced.
 */
export function replayCommand(output: Output) {
  return {
    command: 'replay [failure-id]',
    describe: 'Re-run a stored failure (or a case and seed) and compare the trace with the stored one',
    builder: (yargs: Argv) =>
      withDbOption(yargs)
        .positional('failure-id', { type: 'number', describe: 'id of a stored failure (see mar failures)' })
        .option('minimized', { type: 'boolean', describe: 'replay the minimized reproduction' })
        .option('trace', { type: 'boolean', describe: 'print the replayed trace to stdout' })
        .option('summary', { type: 'boolean', describe: 'print a per-component digest of the replayed trace' })
        .option('json', { type: 'boolean', describe: 'one JSON object per replay' })
        .option('case', { type: 'string', describe: 'replay this case (with --seed) instead of a stored failure' })
        .option('seed', { type: 'string', describe: 'the seed to replay with --case' })
        .option('profile', { type: 'string', describe: 'fault profile for --case: none, smoke, swarm or JSON' })
        .option('all', { type: 'boolean', describe: 're-check every stored bug (a regression sweep)' })
        .conflicts('trace', ['summary', 'json'])
        .conflicts('all', ['case', 'failure-id']),
    handler: async (args: ReplayArgs): Promise<number> => {
      const modes = [args.failureId !== undefined, args.case !== undefined, args.all === true].filter(Boolean).length;
      if (modes !== 1) throw new UsageError('give a failure id, --case with --seed, or --all');
      if (args.case !== undefined && args.seed === undefined) throw new UsageError('--case needs --seed');
      if (args.case === undefined && (args.seed !== undefined || args.profile !== undefined)) throw new UsageError('--seed and --profile go with --case');
      if (args.failureId !== undefined && (!Number.isInteger(args.failureId) || args.failureId < 1)) {
        throw new UsageError(`failure id must be a positive integer, got ${args.failureId}`);
      }
      const results: ReplayResult[] = [];
      let store: FailureStore | undefined;
      try {
        if (args.case !== undefined) {
          let seed: bigint;
          try {
            seed = parseSeed(args.seed!);
          } catch (error) {
            throw new UsageError((error as Error).message);
          }
          const profile = parseProfileOption(args.profile);
          store = existsSync(args.db) ? openStoreFor(args.db, { readonly: true }) : undefined;
          results.push(await replaySeed(store, args.case, seed, profile));
        } else {
          store = openStoreFor(args.db, { readonly: true });
          if (args.all) {
            const bugs = store.listBugs();
            if (bugs.length === 0 && !args.json) output.stdout('no bugs recorded');
            for (const bug of bugs) {
              const failure = store.bugFailure(bug);
              if (failure === undefined) continue; // a bug row with no failure to replay (none is written so, but a file may hold one)
              results.push(await replayFailure(store, failure.id, { minimized: failure.minimized !== null }));
            }
          } else {
            results.push(await replayFailure(store, args.failureId!, { minimized: args.minimized }));
          }
        }
      } catch (error) {
        if (error instanceof ReplayError) throw new UsageError(error.message);
        throw error;
      } finally {
        store?.close();
      }
      for (const result of results) {
        if (result.buildWarning !== null) output.stderr(`warning: failure #${result.failureId} was stored by another build (${result.buildWarning})`);
        if (args.json) {
          const { trace: _trace, ...rest } = result;
          output.stdout(JSON.stringify(rest));
        } else if (args.trace) {
          if (result.trace !== null) output.stdoutRaw(result.trace);
          output.stderr(result.message);
        } else {
          if (args.summary && result.trace !== null) output.stdout(summarizeTrace(result.trace));
          output.stdout(result.message);
        }
      }
      return results.every((r) => r.status === 'reproduced') ? EXIT.ok : EXIT.failed;
    },
  };
}
