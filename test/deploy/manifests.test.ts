import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { FailureStore } from '../../src/search/store/failure-store.js';
import { REPO_ROOT } from '../cli/run-mar.js';

const BIN = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'marionette-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Small enough to run here; everything else is the manifests' own. */
const SEEDS = '800';

/**
 * Runs a manifest's shell command here: `npx mar` is this checkout's built CLI, `/results` a
 * temporary directory; the arguments are the manifest's.
 */
function sh(script: string, env: Record<string, string>, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const local = script.replaceAll('npx mar', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)}`).replaceAll('/results', cwd);
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', local], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

function campaignsOf(file: string) {
  const store = FailureStore.open(file, { readonly: true });
  try {
    return { campaigns: store.listCampaigns(), failures: store.listFailures().length };
  } finally {
    store.close();
  }
}

describe('deploy/k8s', () => {
  const [job, claim] = parseAllDocuments(readFileSync(path.join(REPO_ROOT, 'deploy/k8s/fuzz-shards.yaml'), 'utf8')).map((d) => d.toJS());
  const merge = parse(readFileSync(path.join(REPO_ROOT, 'deploy/k8s/merge-job.yaml'), 'utf8'));
  const container = job.spec.template.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value])) as Record<string, string>;

  it('is an Indexed Job of N pods, one core per worker, each with its own database on a shared volume', () => {
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', spec: { completionMode: 'Indexed' } });
    expect(job.spec.completions).toBe(Number(env.SHARDS));
    expect(job.spec.parallelism).toBe(Number(env.SHARDS));
    expect(container.resources.requests.cpu).toBe(env.WORKERS);
    expect(container.volumeMounts).toEqual([{ name: 'results', mountPath: '/results' }]);
    expect(claim).toMatchObject({ kind: 'PersistentVolumeClaim', spec: { accessModes: ['ReadWriteMany'] } });
    expect(job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(claim.metadata.name);
    expect(merge.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(claim.metadata.name);
  });

  it('runs here: every shard, pod restarts, then the merge Job, which replays every bug and fails on bugs found', async () => {
    const results = mkdtempSync(path.join(dir, 'k8s-'));
    const script = container.args[0] as string;
    const pod = (index: number, extra: Record<string, string> = {}) => sh(script, { ...env, SEEDS, WORKERS: '1', JOB_COMPLETION_INDEX: String(index), ...extra }, results);
    const shardFile = (index: number, run = env.RUN!) => path.join(results, run, `shard-${index}.sqlite`);
    // A pod killed between creating its database and its campaign: the restart starts the shard.
    await sh('mkdir -p "/results/$RUN"', env, results);
    FailureStore.open(shardFile(5)).close();
    for (let index = 0; index < Number(env.SHARDS); index++) {
      const run = await pod(index);
      expect(run.code, run.stderr).toBe(0);
    }
    // A pod that restarts after its shard is done leaves it as it is.
    expect((await pod(3)).code).toBe(0);
    expect(campaignsOf(shardFile(3)).campaigns).toMatchObject([{ status: 'done', shardIndex: 3, shardCount: 8, seedsDone: 100 }]);
    expect(campaignsOf(shardFile(5)).campaigns).toMatchObject([{ status: 'done', shardIndex: 5, seedsDone: 100 }]);

    const mergeEnv = Object.fromEntries(merge.spec.template.spec.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(mergeEnv.RUN).toBe(env.RUN);
    const merged = await sh(merge.spec.template.spec.containers[0].args[0], mergeEnv, results);
    expect(merged.stdout).toMatch(/^merged into .*merged\.sqlite in \d+ ms: now 8 campaigns, \d+ failing seeds, 1 bugs$/m);
    expect(merged.stdout).toMatch(/^reproduced: failure #\d+ (\(minimized\) )?of idempotency-bug/m);
    expect(merged.code).toBe(1); // idempotency-bug has a bug: the Job fails, which is the verdict
    const { campaigns } = campaignsOf(path.join(results, env.RUN!, 'merged.sqlite'));
    expect(campaigns.map((c) => c.shardIndex).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(campaigns.reduce((sum, c) => sum + c.seedsDone, 0)).toBe(Number(SEEDS));

    // A new RUN (another night, another case) fuzzes afresh instead of finding the old shards done.
    expect((await pod(0, { RUN: 'next-night', CASE: 'kv-store-bug', SEEDS: '40' })).code).toBe(0);
    expect(campaignsOf(shardFile(0, 'next-night')).campaigns).toMatchObject([{ caseRef: 'kv-store-bug', shardIndex: 0, seedsDone: 5 }]);
  }, 120_000);
});

describe('deploy/github-actions/nightly-fuzz.yml', () => {
  const workflow = parse(readFileSync(path.join(REPO_ROOT, 'deploy/github-actions/nightly-fuzz.yml'), 'utf8'));

  it('is a shard matrix with an artifact per shard and a merge job that keeps the merged database', () => {
    const shards = Number(workflow.env.SHARDS);
    expect(workflow.jobs.fuzz.strategy.matrix.shard).toEqual(Array.from({ length: shards }, (_, i) => i));
    expect(workflow.jobs.merge.needs).toBe('fuzz');
    const upload = workflow.jobs.fuzz.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/upload-artifact'));
    expect(upload.with).toMatchObject({ name: 'shard-${{ matrix.shard }}', path: 'shard-${{ matrix.shard }}.sqlite' });
    const kept = workflow.jobs.merge.steps.find((s: { uses?: string; with?: { name?: string } }) => s.uses?.startsWith('actions/upload-artifact') && s.with?.name === 'merged');
    expect(kept.with.path).toBe('merged.sqlite');
  });

  it('runs here: each matrix shard, then the merge job, gated on mar replay --all', async () => {
    const work = mkdtempSync(path.join(dir, 'gha-'));
    const env = { ...workflow.env, SEEDS } as Record<string, string>;
    const fuzzStep = workflow.jobs.fuzz.steps.find((s: { run?: string }) => s.run?.includes('mar fuzz')).run as string;
    for (const shard of workflow.jobs.fuzz.strategy.matrix.shard as number[]) {
      const run = fuzzStep.replaceAll('${{ matrix.shard }}', String(shard)).replaceAll('${{ env.SHARDS }}', env.SHARDS!);
      const result = await sh(run, env, work);
      expect(result.code, result.stderr).toBe(0);
    }
    const steps = workflow.jobs.merge.steps.filter((s: { run?: string }) => s.run !== undefined && s.run !== 'npm ci') as { name: string; run: string }[];
    expect(steps.map((s) => s.name)).toEqual(['merge the shards', 'list the bugs', 'replay every bug', 'fail when bugs were found']);
    const outcomes = [];
    for (const step of steps) outcomes.push((await sh(step.run, env, work)).code);
    expect(outcomes).toEqual([0, 0, 0, 1]); // the shards found idempotency-bug's bug: the night fails
    expect(campaignsOf(path.join(work, 'merged.sqlite')).campaigns).toHaveLength(Number(env.SHARDS));
  }, 120_000);
});
