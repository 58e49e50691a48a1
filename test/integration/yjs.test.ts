// marionette-sim first: it patches node:crypto at load, and lib0 binds crypto.getRandomValues when it loads.
import * as mar from 'marionette-sim';
import { setTimeout as sleep } from 'node:timers/promises';
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';

/**
 * Yjs documents replicated over the simulated network by three hosts. Each host edits its own
 * Y.Doc at random simulated times (setTimeout + Math.random), broadcasts every local update to the
 * other two, applies what it receives, and (unless the variant is broken) sends its full state
 * every ANTI_ENTROPY_MS, so replicas converge even when packets are lost. A crashed host restarts
 * with a fresh, empty Y.Doc (a new clientID) and catches up through anti-entropy.
 *
 * Y.Doc clientIDs (and guids) come from lib0's random module: crypto.getRandomValues, which a
 * hermetic world draws from the seed.
 */

const HOSTS = [0, 1, 2] as const;
/** Local edits happen only before this simulated time. */
const EDIT_UNTIL_MS = 1000;
/** Longest gap between two local edits of one host. */
const MAX_EDIT_GAP_MS = 200;
/** How long the scenario lets the system run, faults and all. */
const HORIZON_MS = 1500;
const ANTI_ENTROPY_MS = 100;
const IDLE_POLL_MS = 5;
const REGISTER_KEYS = 4;
const CONVERGE_WITHIN_NS = 5_000_000_000;

/** The origin of updates applied from the network, so they are not broadcast again. */
const REMOTE = Symbol('remote');

/** Thrown by the liveness check while the replicas still differ. */
class ReplicasDiverged extends Error {
  override name = 'ReplicasDiverged';
}

interface YjsState {
  readonly sim: mar.Simulation;
  /** The current Y.Doc of each host (replaced when a host restarts). */
  readonly docs: Y.Doc[];
}

/** Simulated ms since the world's epoch. */
const simulatedMs = (): number => Date.now() - mar.DEFAULT_EPOCH_MS;

/** A doc's content in a canonical form (map keys sorted; array order is Yjs's own). */
function snapshot(doc: Y.Doc): string {
  const register = doc.getMap<string>('register').toJSON() as Record<string, string>;
  const sorted = Object.keys(register)
    .sort()
    .map((key) => [key, register[key]]);
  return JSON.stringify({ log: doc.getArray<string>('log').toJSON(), register: sorted });
}

async function replica(env: mar.HostEnv, state: YjsState, antiEntropy: boolean): Promise<never> {
  const doc = new Y.Doc();
  state.docs[env.id] = doc;
  env.record('yjs.client', { host: env.id, incarnation: env.incarnation, client: doc.clientID });
  const endpoint = env.endpoint<Uint8Array>();
  const peers = HOSTS.filter((peer) => peer !== env.id);
  const broadcast = (update: Uint8Array): void => {
    for (const peer of peers) endpoint.send(peer, update);
  };
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== REMOTE) broadcast(update);
  });

  const log = doc.getArray<string>('log');
  const register = doc.getMap<string>('register');
  let edits = 0;
  const editLater = (): void => {
    setTimeout(() => {
      if (simulatedMs() >= EDIT_UNTIL_MS) return;
      const item = `${env.id}.${env.incarnation}.${edits++}`;
      doc.transact(() => {
        log.push([item]);
        register.set(`k${Math.floor(Math.random() * REGISTER_KEYS)}`, item);
      });
      env.record('yjs.edit', { host: env.id, item });
      editLater();
    }, 1 + Math.floor(Math.random() * MAX_EDIT_GAP_MS));
  };
  editLater();
  if (antiEntropy) setInterval(() => broadcast(Y.encodeStateAsUpdate(doc)), ANTI_ENTROPY_MS);

  for (;;) {
    const envelope = await endpoint.receive();
    if (envelope === null) {
      await sleep(IDLE_POLL_MS);
      continue;
    }
    Y.applyUpdate(doc, envelope.message, REMOTE);
  }
}

function yjsCase(name: string, antiEntropy: boolean) {
  return mar.defineCase<YjsState>({
    name,
    description: antiEntropy
      ? 'three Yjs replicas exchange updates and full-state anti-entropy; they converge after calm'
      : 'three Yjs replicas exchange updates only: a lost update is never repaired',
    tags: ['integration:yjs', 'hosts'],
    init: (world) => ({ sim: world.simulate({ network: { nodes: HOSTS.length } }), docs: [] }),
    async scenario(state) {
      for (const id of HOSTS) state.sim.host(id, (env) => replica(env, state, antiEntropy));
      await sleep(HORIZON_MS);
    },
    eventually: [
      {
        name: 'replicas converge',
        withinNs: CONVERGE_WITHIN_NS,
        check({ docs }) {
          const snapshots = HOSTS.map((id) => snapshot(docs[id]!));
          if (snapshots.some((s) => s !== snapshots[0])) {
            throw new ReplicasDiverged(`replicas differ: ${snapshots.join(' | ')}`);
          }
        },
      },
    ],
    deinit({ sim, docs }) {
      for (const id of HOSTS) {
        const doc = docs[id]!;
        sim.env.record('yjs.final', { host: id, log_len: doc.getArray('log').length, snapshot: snapshot(doc) });
      }
    },
  });
}

const converging = yjsCase('yjs replicas with anti-entropy', true);
const noAntiEntropy = yjsCase('yjs replicas without anti-entropy', false);

function events(trace: string, name: string) {
  return mar.parseTrace(trace).filter((e) => e.name === name);
}

/** `host/incarnation -> clientID` of every Y.Doc a run made. */
function clientIds(trace: string): Record<string, string> {
  return Object.fromEntries(events(trace, 'yjs.client').map((e) => [`${e.fields.host}/${e.fields.incarnation}`, e.fields.client!]));
}

describe('yjs replicas on three hosts', () => {
  it('converge under `none` with every edit on every replica, deterministically (clientIDs included)', async () => {
    const report = await mar.runCase(converging, { seed: 1 });
    expect(report.passed, report.summary).toBe(true);
    expect(report.secondTrace).toBe(report.trace);
    expect(report.trace).toContain('liveness.pass name=replicas%20converge');

    const edits = events(report.trace, 'yjs.edit');
    for (const id of HOSTS) expect(edits.filter((e) => e.fields.host === String(id)).length).toBeGreaterThan(2);
    const finals = events(report.trace, 'yjs.final');
    expect(finals.map((e) => e.fields.host)).toEqual(['0', '1', '2']);
    for (const e of finals) {
      expect(Number(e.fields.log_len)).toBe(edits.length);
      expect(e.fields.snapshot).toBe(finals[0]!.fields.snapshot);
    }
    const finalLog = (JSON.parse(mar.decodeTraceText(finals[0]!.fields.snapshot!)) as { log: string[] }).log;
    expect([...finalLog].sort()).toEqual(edits.map((e) => mar.decodeTraceText(e.fields.item!)).sort());

    // Three distinct 32-bit clientIDs, identical in both runs of the seed.
    const first = clientIds(report.trace);
    expect(Object.keys(first)).toEqual(['0/0', '1/0', '2/0']);
    expect(new Set(Object.values(first)).size).toBe(3);
    for (const id of Object.values(first)) expect(Number(id)).toBeLessThan(2 ** 32);
    expect(clientIds(report.secondTrace!)).toEqual(first);
    // And the same again when the seed is run anew.
    expect(clientIds((await mar.runCase(converging, { seed: 1 })).trace)).toEqual(first);
  });

  it('draws different clientIDs under a different seed', async () => {
    const a = clientIds((await mar.runCase(converging, { seed: 1 })).trace);
    const report = await mar.runCase(converging, { seed: 2 });
    expect(report.passed, report.summary).toBe(true);
    const b = clientIds(report.trace);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    for (const key of Object.keys(a)) expect(b[key]).not.toBe(a[key]);
  });

  it('converges under swarm faults (drops, clogs, partitions, host crashes) over 150 seeds', async () => {
    const summary = await mar.expectFuzz(converging, { seed: 0, seeds: 150, profile: 'swarm' });
    expect(summary.seedsRun).toBe(150);
  });

  it('swarm really crashes hosts: a restarted host starts from an empty Y.Doc and still converges', async () => {
    // Find, by search rather than a pinned constant, a swarm seed whose run crashes and restarts a host.
    let found: mar.RunReport | undefined;
    for (let seed = 0n; seed < 150n && found === undefined; seed++) {
      const profile = mar.expandSwarmProfile(seed);
      if (profile.host.crashRate === '0/1') continue;
      const report = await mar.runCase(converging, { seed, profile: 'swarm' });
      expect(report.passed, report.summary).toBe(true);
      if (report.trace.includes('host.restart')) found = report;
    }
    expect(found, 'no swarm seed in 0..149 crashed a host').toBeDefined();
    const restarted = Object.keys(clientIds(found!.trace)).filter((key) => !key.endsWith('/0'));
    expect(restarted.length).toBeGreaterThan(0);
    const finals = events(found!.trace, 'yjs.final');
    expect(new Set(finals.map((e) => e.fields.snapshot)).size).toBe(1);
  });

  it('without anti-entropy, lost updates are never repaired: liveness_failed', async () => {
    const report = await mar.runCase(noAntiEntropy, { seed: 1, profile: { network: { dropRate: '1/2' } } });
    expect(report.kind).toBe('liveness_failed');
    expect(report.signature).toBe('liveness_failed|replicas converge|ReplicasDiverged');
    expect(report.checkName).toBe('replicas converge');
    expect(report.error).toBeInstanceOf(ReplicasDiverged);
    expect(report.trace).toContain('network.drop');
    expect(report.trace).toMatch(/liveness\.fail name=replicas%20converge error=ReplicasDiverged now_ns=\d+\n/);
    expect(report.secondTrace).toBe(report.trace);
  });

  it('controls: the broken variant converges without drops, and anti-entropy repairs the same drops', async () => {
    const lossless = await mar.runCase(noAntiEntropy, { seed: 1 });
    expect(lossless.passed, lossless.summary).toBe(true);
    const repaired = await mar.runCase(converging, { seed: 1, profile: { network: { dropRate: '1/2' } } });
    expect(repaired.passed, repaired.summary).toBe(true);
    expect(repaired.trace).toContain('network.drop');
  });
});
