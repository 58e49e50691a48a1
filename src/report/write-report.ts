import { accessSync, constants, existsSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCase } from '../harness/run-case.js';
import type { ProfileInput } from '../faults/profiles/fault-profile.js';
import { loadCase } from '../search/load-case.js';
import { replayCommand } from '../search/replay/replay-command.js';
import { buildIdentity } from '../search/store/build-identity.js';
import { FailureStore, type BugRow, type CampaignRow, type FailureRow } from '../search/store/failure-store.js';
import { UsageError } from '../search/usage-error.js';
import { faultDependence } from './fault-dependence.js';
import { renderReport, type FailureSection, type ReportModel } from './render-report.js';

/** What to report. */
export interface ReportOptions {
  readonly db: string;
  /** A campaign (default: the latest one). */
  readonly campaignId?: number;
  /** One failure instead of a campaign. */
  readonly failureId?: number;
  /** The HTML file (default: beside the database, `report-campaign-N.html` or `report-failure-N.html`). */
  readonly out?: string;
  /** Where case references resolve (to regenerate a trace that was not kept). */
  readonly cwd?: string;
}

/** What was written. */
export interface ReportWritten {
  readonly file: string;
  readonly bytes: number;
  /** Failure sections on the page. */
  readonly sections: number;
}

/**
 * Writes the report of a campaign or of one failure (SPEC 13) as one self-contained HTML file.
 * The file appears whole or not at all (written beside, then renamed).
 * @throws {UsageError} for an unknown campaign or failure, an output path that is the database,
 *   or whose directory is missing or not writable; {@link StoreError} for a database that is not ours.
 */
export async function writeReport(options: ReportOptions): Promise<ReportWritten> {
  if (options.campaignId !== undefined && options.failureId !== undefined) throw new UsageError('give --campaign or --failure, not both');
  const store = FailureStore.open(options.db, { readonly: true });
  try {
    // What and where first: a bad target is refused before any work.
    let campaign: CampaignRow | undefined;
    let failure: FailureRow | undefined;
    if (options.failureId !== undefined) {
      failure = store.getFailure(options.failureId);
      if (failure === undefined) throw new UsageError(`--failure: no failure #${options.failureId} in ${options.db}`);
    } else {
      const campaignId = options.campaignId ?? store.latestCampaignId();
      if (campaignId === undefined) throw new UsageError(`no campaigns in ${options.db}: run mar fuzz first`);
      campaign = store.getCampaign(campaignId);
      if (campaign === undefined) throw new UsageError(`--campaign: no campaign ${campaignId} in ${options.db}`);
    }
    const out =
      options.out ?? path.join(path.dirname(options.db), campaign === undefined ? `report-failure-${options.failureId}.html` : `report-campaign-${campaign.id}.html`);
    assertWritable(out, options.db);
    const model = campaign === undefined ? failureModel(store, failure!, options) : campaignModel(store, campaign, options);
    const { html, sections } = await renderReport(model);
    const temporary = `${out}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, html);
      renameSync(temporary, out);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new UsageError(`--out: cannot write ${out} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    return { file: out, bytes: Buffer.byteLength(html), sections };
  } finally {
    store.close();
  }
}

/** Refuses an output path that is the database (or one of its side files), or that cannot be written. */
function assertWritable(out: string, db: string): void {
  const dir = path.dirname(path.resolve(out));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--out: the directory ${dir} does not exist`);
  const target = existsSync(out) ? realpathSync(out) : path.resolve(out);
  const database = realpathSync(db);
  if ([database, `${database}-wal`, `${database}-shm`, `${database}-journal`].includes(target)) {
    throw new UsageError(`--out: ${out} is the failure database itself; name another file`);
  }
  if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`--out: ${out} is a directory`);
  try {
    accessSync(dir, constants.W_OK);
    if (existsSync(out)) accessSync(out, constants.W_OK);
  } catch {
    throw new UsageError(`--out: cannot write ${out} (no write access)`);
  }
}

function generatedBy(): string {
  const build = buildIdentity();
  return `marionette-sim ${build.packageVersion}${build.gitCommit === null ? '' : ` @ ${build.gitCommit.slice(0, 12)}`} · ${new Date().toISOString()}`;
}

/** The replay command a failure section shows: with `--trace`, so it prints what the page draws. */
function sectionReplayCommand(failure: FailureRow, db: string, minimized: boolean): string {
  return replayCommand(failure.id, db, { minimized, trace: true });
}

function campaignModel(store: FailureStore, campaign: CampaignRow, options: ReportOptions): ReportModel {
  const id = campaign.id;
  // This campaign's bugs, most frequent in it first.
  const bugs = [...store.listBugs({ campaignId: id })].sort((a, b) => (b.failuresInCampaign ?? 0) - (a.failuresInCampaign ?? 0) || a.id - b.id);
  const section = (bug: BugRow): FailureSection | undefined => {
    const failure = store.campaignBugFailure(id, bug.id);
    if (failure === undefined) {
      // No failure of this bug in this campaign kept its details: show the bug's own best one.
      const any = store.bugFailure(bug);
      if (any === undefined) return undefined;
      return { failure: any, bug, trace: any.trace, traceNote: 'no failure of this campaign kept a trace: this one is from another campaign', replayCommand: sectionReplayCommand(any, options.db, any.minimized !== null) };
    }
    return {
      failure,
      bug,
      trace: failure.trace,
      traceNote: failure.trace === null ? 'this failure kept no trace' : null,
      replayCommand: sectionReplayCommand(failure, options.db, failure.minimized !== null),
    };
  };
  return {
    title: `marionette-sim report: campaign ${id} (${campaign.caseRef})`,
    generatedBy: generatedBy(),
    db: options.db,
    campaign,
    guided: campaign.guided === 1 ? store.guidedFigures(campaign) : null,
    bugs,
    faults: faultDependence(store, campaign, bugs),
    coverage: store.listCoverage({ campaignId: id }),
    sections: bugs.map((bug) => () => section(bug)),
  };
}

function failureModel(store: FailureStore, failure: FailureRow, options: ReportOptions): ReportModel {
  const load = async (): Promise<FailureSection> => {
    let trace = failure.trace;
    let traceNote: string | null = null;
    if (trace === null && failure.mutated) {
      traceNote = 'a run from a mutated tape that was not kept: no trace to show';
    } else if (trace === null && failure.kind !== 'timeout' && failure.errorName !== 'WorkerCrashed' && failure.errorName !== 'WorkerOutOfMemory') {
      // Not kept, but a seed's run is its seed: run it again for the page, and say what it did.
      const c = (await loadCase(failure.caseRef, options.cwd ?? process.cwd())).case;
      const report = await runCase(c, { seed: BigInt(failure.seed), profile: JSON.parse(failure.profile) as ProfileInput });
      trace = report.trace;
      traceNote =
        report.signature === failure.signature
          ? 'regenerated by replaying the seed (it fails the same way)'
          : `regenerated by replaying the seed, which now ${report.signature === undefined ? 'passes' : `fails differently (${report.signature})`}: this is not the stored failure's run`;
    } else if (trace === null) {
      traceNote = 'the run never finished in a worker: no trace';
    }
    return { failure, bug: undefined, trace, traceNote, replayCommand: sectionReplayCommand(failure, options.db, false) };
  };
  return {
    title: `marionette-sim report: failure #${failure.id} (${failure.caseRef}, seed ${failure.seed})`,
    generatedBy: generatedBy(),
    db: options.db,
    campaign: undefined,
    guided: null,
    bugs: [],
    faults: undefined,
    coverage: [],
    sections: [load],
  };
}
