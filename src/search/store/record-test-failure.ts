import type { TestFailureContext } from '../../harness/expect.js';
import type { RunReport } from '../../harness/run-report.js';
import { buildIdentity } from './build-identity.js';
import { FailureStore, failureFromReport, foundByArtifact } from './failure-store.js';

/**
 * Records a failure `expectFuzz` found as a campaign of kind `test` (done at once), with the seeds
 * it ran and the failing seed's full report, so `mar failures` and `mar replay` see it.
 * @returns the failure's id.
 */
export function recordTestFailure(
  dbPath: string,
  report: RunReport,
  run: TestFailureContext,
): number {
  const store = FailureStore.open(dbPath);
  try {
    const profile = run.profile ?? 'none';
    const campaign = store.createCampaign({
      kind: 'test',
      caseRef: report.caseRef,
      caseName: report.caseName,
      profile: typeof profile === 'string' ? profile : JSON.stringify(report.profile),
      startSeed: run.firstSeed.toString(),
      plannedSeeds: run.seedsRun,
      durationMs: null,
      workers: 1,
      seedTimeoutMs: 0,
      auditEvery: 0,
      keepTraces: 5,
      build: buildIdentity(),
      guided: run.guided === true,
    });
    const foundBy = foundByArtifact(report.seedText, report.profile, run.choices);
    store.recordBatch(campaign.id, {
      range: { firstOffset: 0, count: run.seedsRun },
      failures: [{ ...failureFromReport(report, Number(report.seed - run.firstSeed)), foundBy }],
      dispatchedEnd: run.seedsRun,
    });
    store.setStatus(campaign.id, 'done');
    return store.listFailures({ campaignId: campaign.id })[0]!.id;
  } finally {
    store.close();
  }
}
