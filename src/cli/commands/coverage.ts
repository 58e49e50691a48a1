import type { Argv } from 'yargs';
import { openStoreFor, withDbOption } from '../db-option.js';
import type { Output } from '../output.js';
import { EXIT, UsageError } from '../../search/usage-error.js';

interface CoverageArgs {
  readonly db: string;
  readonly case?: string;
  readonly campaign?: number;
  readonly json?: boolean;
}

/** `mar coverage [--case C] [--campaign ID] [--json]`: assertion coverage, declared names never hit first. */
export function coverageCommand(output: Output) {
  return {
    command: 'coverage',
    describe: 'List assertion coverage (sometimes / reachable names hit per campaign), declared names never hit first',
    builder: (yargs: Argv) =>
      withDbOption(yargs)
        .option('case', { type: 'string', describe: 'only this case (as the campaign names it)' })
        .option('campaign', { type: 'number', describe: 'only this campaign' })
        .option('json', { type: 'boolean', describe: 'one JSON object per line' }),
    handler: async (args: CoverageArgs): Promise<number> => {
      if (args.campaign !== undefined && (!Number.isSafeInteger(args.campaign) || args.campaign < 1)) {
        throw new UsageError(`--campaign must be a campaign id, got ${args.campaign}`);
      }
      const store = openStoreFor(args.db, { readonly: true });
      try {
        const rows = store.listCoverage({ caseRef: args.case, campaignId: args.campaign });
        if (args.json) {
          for (const row of rows) output.stdout(JSON.stringify(row));
          return EXIT.ok;
        }
        if (rows.length === 0) output.stdout('no assertion coverage recorded');
        for (const row of rows) {
          const status = row.runs > 0 ? `${row.runs.toLocaleString('en-US').padStart(9)} runs, first seed ${row.firstSeed}` : '    never hit';
          output.stdout(`#${row.campaignId}  ${row.kind.padEnd(9)}  ${status}  ${JSON.stringify(row.name)}${row.declared ? '  (declared)' : ''}  ${row.caseRef}`);
        }
        return EXIT.ok;
      } finally {
        store.close();
      }
    },
  };
}
