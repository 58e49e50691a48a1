import type { Argv } from 'yargs';
import { openStoreFor, withDbOption } from '../db-option.js';
import type { Output } from '../output.js';
import { formatDuration } from '../parse-duration.js';
import { EXIT } from '../../search/usage-error.js';

/** `mar campaigns [--json]`: every campaign with its status and counts. */
export function campaignsCommand(output: Output) {
  return {
    command: 'campaigns',
    describe: 'List campaigns (running, interrupted, done) in the failure database',
    builder: (yargs: Argv) => withDbOption(yargs).option('json', { type: 'boolean', describe: 'one JSON object per line' }),
    handler: async (args: { readonly db: string; readonly json?: boolean }): Promise<number> => {
      const store = openStoreFor(args.db, { readonly: true });
      try {
        const campaigns = store.listCampaigns();
        if (args.json) {
          for (const c of campaigns) output.stdout(JSON.stringify(c));
          return EXIT.ok;
        }
        if (campaigns.length === 0) output.stdout('no campaigns recorded');
        for (const c of campaigns) {
          const planned = c.plannedSeeds === null ? ` for ${formatDuration(c.durationMs ?? 0)}` : `/${c.plannedSeeds}`;
          output.stdout(
            `#${c.id}  ${c.status.padEnd(11)}  ${c.caseRef}  profile=${c.profile.startsWith('{') ? 'custom' : c.profile}  seeds ${c.seedsDone}${planned}  ` +
              `failures ${c.failures}  workers ${c.workers}  started ${c.startedAt}  build ${c.packageVersion}${c.gitCommit ? `@${c.gitCommit.slice(0, 12)}` : ''} node ${c.nodeVersion}`,
          );
        }
        return EXIT.ok;
      } finally {
        store.close();
      }
    },
  };
}
