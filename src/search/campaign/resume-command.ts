import { shellQuote } from '../../harness/case-reference.js';
import type { CampaignRow } from '../store/failure-store.js';

/**
 * The command that resumes a campaign: `mar fuzz --resume ID [--guided] [--db F]` (a guided
 * campaign resumes only with `--guided`); `db` is left out when undefined (the default file).
 */
export function resumeCommand(campaign: Pick<CampaignRow, 'id' | 'guided'>, db: string | undefined): string {
  const words = ['mar', 'fuzz', '--resume', String(campaign.id), ...(campaign.guided === 1 ? ['--guided'] : []), ...(db === undefined ? [] : ['--db', db])];
  return words.map(shellQuote).join(' ');
}
