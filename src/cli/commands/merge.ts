import type { Argv } from 'yargs';
import { mergeStores, type MergeSummary } from '../../search/store/merge-stores.js';
import type { Output } from '../output.js';
import { EXIT } from '../../search/usage-error.js';

interface MergeArgs {
  readonly out: string;
  readonly inputs: readonly string[];
  readonly json?: boolean;
}

/** `mar merge OUT IN...`: shard (or any) failure databases into one, in one transaction. */
export function mergeCommand(output: Output) {
  return {
    command: 'merge <out> <inputs..>',
    describe: 'Merge failure databases (the shards of a campaign, nightly runs) into OUT, created when missing',
    builder: (yargs: Argv) =>
      yargs
        .positional('out', { type: 'string', describe: 'the database to merge into' })
        .positional('inputs', { type: 'string', array: true, describe: 'databases to merge (read only)' })
        .option('json', { type: 'boolean', describe: 'print one JSON summary and nothing else' }),
    handler: async (args: MergeArgs): Promise<number> => {
      const started = performance.now();
      const summary = mergeStores(args.out, args.inputs);
      const ms = Math.round(performance.now() - started);
      if (args.json) output.stdout(JSON.stringify({ ...summary, ms }));
      else for (const line of describeMerge(summary, ms)) output.stdout(line);
      return EXIT.ok;
    },
  };
}

function describeMerge(s: MergeSummary, ms: number): string[] {
  const n = (value: number) => value.toLocaleString('en-US');
  return [
    ...s.inputs.map(
      (i) =>
        `${i.file}: ${n(i.campaigns)} campaigns${i.alreadyMerged > 0 ? ` (${n(i.alreadyMerged)} already merged, skipped)` : ''}, ` +
        `${n(i.failures)} failing seeds (${n(i.details)} with details), ${n(i.newBugs)} new bugs, ${n(i.coverageRows)} coverage rows, ${n(i.corpusEntries)} corpus entries`,
    ),
    `merged into ${s.out} in ${ms} ms: now ${n(s.campaigns)} campaigns, ${n(s.failures)} failing seeds, ${n(s.bugs)} bugs`,
  ];
}
