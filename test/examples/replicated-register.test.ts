import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { findBuiltinCase } from '../../src/examples/registry.js';
import { RegisterClient, Replica, type RegisterMessage } from '../../src/examples/replicated-register.js';
import { runOnce } from '../../src/harness/run-once.js';
import { expectFoundBySwarm, failureRate } from './probabilistic.js';

const get = (name: string) => findBuiltinCase(name)!;

describe('replicated-register', () => {
  it('commits one value on every replica that commits, despite seeded drops and latency', async () => {
    await mar.expectFuzz(get('replicated-register'), { seeds: 100 });
    const report = await mar.expectPass(get('replicated-register'), { seed: 12648430 });
    expect(report.trace).toContain('network.lossiness drop_rate=10/100\n');
    expect(report.trace).toContain('network.latency min_latency_ns=1000000 latency_jitter_ns=4000000\n');
    expect(report.trace).toMatch(/register.write client=3 version=1 value=x accepts=[23] committed=true\n/);
  });

  it('records its writes and quorum reads in a history and checks it for linearizability', async () => {
    expect(get('replicated-register').checks.map((c) => c.name)).toContain('linearizable (casRegister)');
    const report = await mar.expectPass(get('replicated-register'), { seed: 12648430 });
    expect(report.trace).toContain('history.invoke client=3 op=0 input={"op":"write","value":"x"}\n');
    for (const value of ['y', 'z']) expect(report.trace).toMatch(new RegExp(`history.invoke client=3 op=\\d+ input=\\{"op":"write","value":"${value}"\\}\n`));
    expect(report.trace.match(/history.invoke client=\d op=\d+ input=\{"op":"read"\}\n/g)?.length).toBe(11);
    // Every read that returned heard from a quorum.
    const reads = [...report.trace.matchAll(/register.read client=\d request=\d+ answers=(\d) ok=true /g)];
    expect(reads.length).toBeGreaterThan(0);
    for (const [, answers] of reads) expect(Number(answers)).toBeGreaterThanOrEqual(2);
    expect(report.trace).toContain('check.pass name=linearizable%20(casRegister)\n');
  });

  it('partition: the isolated replica misses the write, then commits after the heal', async () => {
    await mar.expectFuzz(get('replicated-register-partition'), { seeds: 50 });
    const report = await mar.runCase(get('replicated-register-partition'), { seed: 1 });
    expect(report.trace).toContain('network.partition left=2 right=0,1,3,4\n');
    expect(report.trace).toMatch(/network.drop id=\d+ from=3 to=2 reason=link_disabled\n/);
    expect(report.trace).toContain('register.commit replica=2 version=1 value=x\n');
  });

  it('conflict: the second value at the same version is rejected', async () => {
    await mar.expectFuzz(get('replicated-register-conflict'), { seeds: 50 });
    const report = await mar.runCase(get('replicated-register-conflict'), { seed: 1 });
    expect(report.trace).toMatch(/register.reject replica=\d version=1 value=second reason=conflict\n/);
    expect(report.trace).toContain('register.conflict_write committed=false\n');
  });

  it('bug: replicas that commit on accept diverge across a partition, and the checker catches it', async () => {
    for (const seed of [0, 1, 12648430]) {
      const report = await mar.expectFailure(get('replicated-register-bug'), { seed, check: 'committed replicas agree' });
      expect(report.trace).toContain('register.invariant_violation reason=divergent_commits values=1:a,1:b\n');
    }
  });
});

describe('replicated-register-swarm / -swarm-bug', () => {
  it('correct replicas agree under none, smoke and swarm', async () => {
    for (const profile of ['none', 'smoke', 'swarm'] as const) expect((await failureRate(get('replicated-register-swarm'), profile, 100)).failures).toBe(0);
  });

  it('buggy replicas never diverge under none and swarm finds the divergence', async () => {
    await expectFoundBySwarm(get('replicated-register-swarm-bug'), 150, 3000, ['check_failed|committed replicas agree|InvariantViolation']);
  });
});

describe('replicated-register reads', () => {
  /** Three replicas and a client on node 3 of a fresh world, serving until the returned stop is called. */
  function cluster(staleReads = false) {
    const world = new mar.World({ seed: 1 });
    const sim = world.simulate({ network: { nodes: 4 } });
    const pollNs = world.tickNs;
    const replicas = [0, 1, 2].map((id) => new Replica(sim.env, sim.endpoint<RegisterMessage>(id), { commitOnAccept: false, pollNs }));
    const client = new RegisterClient(sim.env, sim.endpoint<RegisterMessage>(3), { replicas: [0, 1, 2], retryNs: 5 * pollNs, maxRounds: 3, pollNs, staleReads });
    let stopped = false;
    const serving = replicas.map((replica) => replica.serve(() => stopped));
    const stop = async () => {
      stopped = true;
      await Promise.all(serving);
    };
    return { sim, replicas, client, stop };
  }

  it('returns the newest value of a quorum only after writing it back to a quorum', async () => {
    const { sim, replicas, client, stop } = cluster();
    replicas[2]!.accepted = { version: 1, value: 'x' }; // a write that reached replica 2 alone
    await sim.control.network.partition([0], [1, 2, 3]);
    expect(await client.read()).toEqual({ ok: true, value: 'x' });
    expect(replicas[1]!.accepted).toEqual({ version: 1, value: 'x' });
    expect(replicas[0]!.accepted).toBeUndefined();
    await stop();
  });

  it('reads null from a register nobody wrote, and gives up without a quorum', async () => {
    const { sim, client, stop } = cluster();
    expect(await client.read()).toEqual({ ok: true, value: null });
    await sim.control.network.partition([0, 1], [2, 3]);
    expect(await client.read()).toEqual({ ok: false });
    await stop();
  });

  it('the stale-read bug returns one replica\'s copy without writing it back', async () => {
    const { sim, replicas, client, stop } = cluster(true);
    replicas[2]!.accepted = { version: 1, value: 'x' };
    await sim.control.network.partition([0, 1], [2, 3]);
    expect(await client.read()).toEqual({ ok: true, value: 'x' });
    await sim.control.network.heal();
    await sim.control.network.partition([2], [0, 1, 3]);
    expect(await client.read()).toEqual({ ok: true, value: null }); // after reading x: not linearizable
    expect(replicas.map((r) => r.accepted?.value)).toEqual([undefined, undefined, 'x']);
    await stop();
  });
});

describe('replicated-register-reads / -stale-read-bug', () => {
  const signature = 'check_failed|linearizable (casRegister)|NotLinearizable';

  it('quorum reads with write-back stay linearizable under none, smoke and swarm', async () => {
    for (const name of ['replicated-register-reads', 'replicated-register']) {
      for (const profile of ['none', 'smoke', 'swarm'] as const) expect((await failureRate(get(name), profile, 300)).failures, `${name} ${profile}`).toBe(0);
    }
  });

  it('stale reads never fail under none, and swarm finds them with the linearizability check alone', async () => {
    const stale = get('replicated-register-stale-read-bug');
    // The linearizability check runs last, so a run it fails has passed every other check.
    expect(stale.checks.at(-1)!.name).toBe('linearizable (casRegister)');
    const report = await expectFoundBySwarm(stale, 300, 500, [signature]);
    expect(report.trace).toContain('check.pass name=committed%20replicas%20agree\n');
    expect(report.trace).toContain('check.pass name=committed%20values%20were%20accepted%20by%20a%20quorum\n');
    expect(report.trace).not.toContain('register.invariant_violation');
    expect(report.errorMessage).toMatch(/^not linearizable for casRegister: \d+ operations, the longest linearizable prefix has \d+ 1\. #\d+ client \d: /);
    expect(report.errorMessage).toMatch(/none of these can come next: #\d+ client \d: read\(\) -> (null|"[xyz]") {2}\(the model rejects it in that state\)/);
  });

  it('seed 357 under swarm: a read returns x, the next read by the same client returns null', async () => {
    const stale = get('replicated-register-stale-read-bug');
    const outcome = await runOnce(stale, { seed: 357n, profile: mar.resolveProfile('swarm', 357n) });
    const error = outcome.failure?.error;
    expect(error).toBeInstanceOf(mar.NotLinearizable);
    const { illegal } = (error as mar.NotLinearizable).result;
    expect(illegal).toMatchObject({ prefix: [0, 1], next: [{ id: 2, rejected: true }], state: '"x"' });
    expect((error as mar.NotLinearizable).message.split('\n')).toEqual([
      'not linearizable for casRegister: 14 operations, the longest linearizable prefix has 2',
      '  1. #0 client 3: write("x")',
      '  2. #1 client 4: read() -> "x"',
      '  state after it: "x"',
      'none of these can come next:',
      '  #2 client 4: read() -> null  (the model rejects it in that state)',
    ]);
    // Replica 0 never got the proposal of x (dropped) and answered the second read first.
    expect(outcome.trace).toContain('network.drop id=0 from=3 to=0 reason=send_drop\n');
    expect(outcome.trace).toContain('register.read client=4 request=1 answers=1 ok=true version=0\n');
    // The same seed and profile with quorum reads passes.
    const correct = await runOnce(get('replicated-register-reads'), { seed: 357n, profile: mar.resolveProfile('swarm', 357n) });
    expect(correct.failure).toBeUndefined();
  });
});
