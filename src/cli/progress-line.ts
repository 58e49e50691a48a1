import type { CampaignProgress } from '../search/campaign/run-campaign.js';
import { formatDuration } from './parse-duration.js';

/** One progress line: seeds done, seeds/s, failures, distinct bugs, ETA. */
export function formatProgress(p: CampaignProgress): string {
  const done = p.seedsDone.toLocaleString('en-US');
  const seeds = p.plannedSeeds === null ? `${done} seeds` : `${done}/${p.plannedSeeds.toLocaleString('en-US')} seeds (${Math.floor((100 * p.seedsDone) / Math.max(1, p.plannedSeeds))}%)`;
  const eta = p.etaMs === null ? 'ETA ?' : `ETA ${formatDuration(p.etaMs)}`;
  return `campaign ${p.campaignId}: ${seeds} · ${Math.round(p.seedsPerSecond).toLocaleString('en-US')} seeds/s · ${p.failures.toLocaleString('en-US')} failures · ${p.bugs} ${p.bugs === 1 ? 'bug' : 'bugs'} · ${eta}`;
}
