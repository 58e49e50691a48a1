import { accessSync, constants, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../harness/case-reference.js';
import { runCase } from '../harness/run-case.js';
import type { ProfileInput } from '../faults/profiles/fault-profile.js';
import { loadCase } from '../search/load-case.js';
import { buildIdentity } from '../search/store/build-identity.js';
import { DEFAULT_DB_PATH, FailureStore, type BugRow, type FailureRow } from '../search/store/failure-store.js';
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
  readonly sections: number;
}

/**
 * Writes the report of a campaign or of one failure (SPEC 13) as one self-contained HTML file.
 * The file appears whole or not at all (written beside, then renamed).
 * @throws {UsageError} for an unknown campaign or failure, an output directory that is missing
 *   or not writable; {@link StoreError} for a database that is not ours.
 */
export async function writeReport(options: ReportOptions): Promise<ReportWritten> {
  if (options.campaignId !== undefined && options.failureId !== undefined) throw new UsageError('give --campaign or --failure, not both');
  const store = FailureStore.open(options.db, { readonly: true });
  try {
    const model = options.failureId !== undefined ? await failureModel(store, options.failureId, options) : campaignModel(store, options);
    const out =
      options.out ??
      path.join(path.dirname(options.db), options.failureId !== undefined ? `report-failure-${options.failureId}.html` : `report-campaign-${model.campaign!.id}.html`);
    assertWritable(out);
    const html = renderReport(model);
    const temporary = `${out}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, html);
      renameSync(temporary, out);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new UsageError(`--out: cannot write ${out} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    return { file: out, bytes: Buffer.byteLength(html), sections: model.sections.length };
  } finally {
    store.close();
  }
}

/** Fails early, before any work, on an output path that cannot be written. */
function assertWritable(out: string): void {
  const dir = path.dirname(path.resolve(out));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--out: the directory ${dir} does not exist`);
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

function replayCommand(failure: FailureRow, db: string, minimized: boolean): string {
  return ['mar', 'replay', String(failure.id), ...(minimized ? ['--minimized'] : []), ...(db === DEFAULT_DB_PATH ? [] : ['--db', db]), '--trace'].map(shellQuote).join(' ');
}

function campaignModel(store: FailureStore, options: ReportOptions): ReportModel {
  const id = options.campaignId ?? store.latestCampaignId();
  if (id === undefined) throw new UsageError(`no campaigns in ${options.db}: run mar fuzz first`);
  const campaign = store.getCampaign(id);
  if (campaign === undefined) throw new UsageError(`--campaign: no campaign ${id} in ${options.db}`);
  const bugs = store.listBugs({ campaignId: id });
  const sections: FailureSection[] = [];
  for (const bug of bugs) {
    const failure = store.bugFailure(bug);
    if (failure === undefined) continue;
    sections.push({
      failure,
      bug,
      trace: failure.trace,
      traceNote: failure.trace === null ? 'this failure kept no trace' : null,
      replayCommand: replayCommand(failure, options.db, failure.minimized !== null),
    });
  }
  return {
    title: `marionette-sim report: campaign ${id} (${campaign.caseRef})`,
    generatedBy: generatedBy(),
    db: options.db,
    campaign,
    guided: campaign.guided === 1 ? store.guidedFigures(id) : null,
    bugs,
    faults: faultDependence(store, campaign, bugs),
    coverage: store.listCoverage({ campaignId: id }),
    sections,
  };
}

async function failureModel(store: FailureStore, failureId: number, options: ReportOptions): Promise<ReportModel> {
  const failure = store.getFailure(failureId);
  if (failure === undefined) throw new UsageError(`--failure: no failure #${failureId} in ${options.db}`);
  const bug: BugRow | undefined = store.listBugs({ caseRef: failure.caseRef }).find((b) => b.signature === failure.signature);
  let trace = failure.trace;
  let traceNote: string | null = null;
  if (trace === null && failure.mutated) {
    traceNote = 'a run from a mutated tape that was not kept: no trace to show';
  } else if (trace === null && failure.kind !== 'timeout' && failure.errorName !== 'WorkerCrashed' && failure.errorName !== 'WorkerOutOfMemory') {
    // Not kept, but a seed's run is its seed: run it again for the page.
    const c = (await loadCase(failure.caseRef, options.cwd ?? process.cwd())).case;
    trace = (await runCase(c, { seed: BigInt(failure.seed), profile: JSON.parse(failure.profile) as ProfileInput })).trace;
    traceNote = 'regenerated by replaying the seed';
  } else if (trace === null) {
    traceNote = 'the run never finished in a worker: no trace';
  }
  return {
    title: `marionette-sim report: failure #${failureId} (${failure.caseRef}, seed ${failure.seed})`,
    generatedBy: generatedBy(),
    db: options.db,
    campaign: undefined,
    guided: null,
    bugs: [],
    faults: undefined,
    coverage: [],
    sections: [{ failure, bug: undefined, trace, traceNote, replayCommand: replayCommand(failure, options.db, false) }],
  };
}
