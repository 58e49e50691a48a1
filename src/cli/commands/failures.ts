import type { Argv } from 'yargs';
import { openStoreFor, withDbOption } from '../db-option.js';
import type { Output } from '../output.js';
import { EXIT, UsageError } from '../../search/usage-error.js';

interface FailuresArgs {
  readonly db: string;
  readonly case?: string;
  readonly campaign?: number;
  readonly signature?: string;
  readonly bugs?: boolean;
  readonly limit?: number;
  readonly json?: boolean;
}

/** `mar failures [--case] [--campaign] [--signature] [--bugs] [--limit] [--json]`: failing seeds or distinct bugs. */
export function failuresCommand(output: Output) {
  return {
    command: 'failures',
    describe: 'List failing seeds (or, with --bugs, distinct bugs) from the failure database',
    builder: (yargs: Argv) =>
      withDbOption(yargs)
        .option('case', { type: 'string', describe: 'only this case (as the campaign named it)' })
        .option('campaign', { type: 'number', describe: 'only this campaign' })
        .option('signature', { type: 'string', describe: 'only this signature (kind|check|error)' })
        .option('bugs', { type: 'boolean', describe: 'one row per distinct bug instead of per failing seed' })
        .option('limit', { type: 'number', describe: 'at most this many failing seeds' })
        .option('json', { type: 'boolean', describe: 'one JSON object per line' }),
    handler: async (args: FailuresArgs): Promise<number> => {
      if (args.limit !== undefined && (!Number.isSafeInteger(args.limit) || args.limit < 0)) {
        throw new UsageError(`--limit must be a non-negative integer, got ${args.limit}`);
      }
      if (args.campaign !== undefined && (!Number.isSafeInteger(args.campaign) || args.campaign < 1)) {
        throw new UsageError(`--campaign must be a campaign id (a positive integer), got ${args.campaign}`);
      }
      const store = openStoreFor(args.db, { readonly: true });
      try {
        const filter = { caseRef: args.case, campaignId: args.campaign, signature: args.signature, limit: args.limit };
        if (args.bugs) {
          const bugs = store.listBugs(filter);
          if (args.json) for (const bug of bugs) output.stdout(JSON.stringify(bug));
          else {
            if (bugs.length === 0) output.stdout('no bugs recorded');
            for (const bug of bugs) {
              const smallest = bug.smallestEventCount === null ? '' : ` smallest=#${bug.smallestFailureId} (${bug.smallestEventCount} events)`;
              output.stdout(
                `${String(bug.failures).padStart(8)}  ${bug.caseRef}  ${bug.signature}  first=#${bug.firstFailureId} ${bug.firstSeen} last ${bug.lastSeen}${smallest}`,
              );
            }
          }
          return EXIT.ok;
        }
        const failures = store.listFailures(filter);
        if (args.json) {
          for (const f of failures) {
            output.stdout(
              JSON.stringify({
                id: f.id,
                campaign: f.campaignId,
                case: f.caseRef,
                seed: f.seed,
                kind: f.kind,
                signature: f.signature,
                check: f.checkName,
                error: f.errorName,
                message: f.errorMessage,
                eventCount: f.eventCount,
                traceHash: f.traceHash,
                minimizedEventCount: f.minimizedEventCount,
                mutated: f.mutated,
                foundBy: f.foundBy === null ? null : JSON.parse(f.foundBy),
                profile: JSON.parse(f.profile),
                createdAt: f.createdAt,
              }),
            );
          }
        } else {
          if (failures.length === 0) output.stdout('no failures recorded');
          for (const f of failures) {
            // A run of guided search from a mutated tape is not a run of its seed: say so.
            const seed = f.mutated ? `seed=${f.seed} (mutated tape)` : `seed=${f.seed}`;
            output.stdout(`#${f.id}  campaign ${f.campaignId}  ${f.caseRef}  ${seed}  ${f.signature}${f.errorMessage ? `  ${f.errorMessage}` : ''}`);
          }
        }
        return EXIT.ok;
      } finally {
        store.close();
      }
    },
  };
}
