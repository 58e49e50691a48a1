import { resumeCommand } from '../../search/campaign/resume-command.js';
import type { Argv } from 'yargs';
import { openStoreFor, withDbOption } from '../db-option.js';
import type { Output } from '../output.js';
import { formatDuration } from '../parse-duration.js';
import { ownerAlive } from '../../search/campaign/run-campaign.js';
import type { CampaignRow } from '../../search/store/failure-store.js';
import { EXIT } from '../../search/usage-error.js';

/**
 * A campaign's status as a person needs it: `stale` for one still marked `running` whose process
 * is gone (killed, or its machine stopped); it resumes like an interrupted one.
 */
function shownStatus(campaign: CampaignRow): string {
  return campaign.status === 'running' && !ownerAlive(campaign) ? 'stale' : campaign.status;
}

/** `mar campaigns [--json]`: every campaign with its status and counts. */
export function campaignsCommand(output: Output) {
  return {
    command: 'campaigns',
    describe: 'List campaigns (running, stale, interrupted, done) in the failure database',
    builder: (yargs: Argv) => withDbOption(yargs).option('json', { type: 'boolean', describe: 'one JSON object per line' }),
    handler: async (args: { readonly db: string; readonly json?: boolean }): Promise<number> => {
      const store = openStoreFor(args.db, { readonly: true });
      try {
        const campaigns = store.listCampaigns();
        if (args.json) {
          for (const c of campaigns) {
            const status = shownStatus(c);
            const resumable = status === 'stale' || status === 'interrupted';
            output.stdout(JSON.stringify({ ...c, status, ...(resumable ? { resumeCommand: resumeCommand(c, args.db) } : {}) }));
          }
          return EXIT.ok;
        }
        if (campaigns.length === 0) output.stdout('no campaigns recorded');
        for (const c of campaigns) {
          const planned = c.plannedSeeds === null ? ` for ${formatDuration(c.durationMs ?? 0)}` : `/${c.plannedSeeds}`;
          const status = shownStatus(c);
          output.stdout(
            `#${c.id}  ${status.padEnd(11)}  ${c.caseRef}${c.shardIndex === null ? '' : `  shard ${c.shardIndex}/${c.shardCount}`}  profile=${c.profile.startsWith('{') ? 'custom' : c.profile}  seeds ${c.seedsDone}${planned}  ` +
              `failures ${c.failures}  workers ${c.workers}  started ${c.startedAt}  build ${c.packageVersion}${c.gitCommit ? `@${c.gitCommit.slice(0, 12)}` : ''} node ${c.nodeVersion}`,
          );
          if (status === 'stale' || status === 'interrupted') output.stdout(`    resume: ${resumeCommand(c, args.db)}`);
        }
        return EXIT.ok;
      } finally {
        store.close();
      }
    },
  };
}
