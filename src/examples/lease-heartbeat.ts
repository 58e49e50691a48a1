/**
 * Lease heartbeat: three candidate hosts compete for one leadership lease that a lock service
 * grants for `LEASE_MS`. The holder renews it on a `setInterval` heartbeat and checks expiry with
 * `Date.now()`, as ordinary service code does; it records each grant on its own disk. Hosts crash
 * and restart under the swarm profile's host dynamics.
 *
 * The correct candidate forgets its lease when it restarts and waits for a new grant. The buggy
 * one finds its lease on disk after a restart and resumes leadership for a full term, as if it had
 * just renewed; meanwhile the lock service let the old lease run out and granted it to another
 * host, so two leaders overlap. Only a host crash exposes it: `none` never fails.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_EPOCH_MS, defineCase, type Endpoint, type HostEnv, type Simulation, type World } from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';

/** How long a grant lasts, in ms. */
export const LEASE_MS = 40;
/** How often a candidate renews (or asks for) the lease, in ms. */
export const HEARTBEAT_MS = 10;
const HORIZON_MS = 1000;
/** How long a receive loop sleeps when nothing is in flight, in ms. */
const IDLE_POLL_MS = 5;
const CANDIDATES = [0, 1, 2] as const;
const LOCK_SERVICE = 3;
const LEASE_PATH = 'lease';
const MAGIC = 0x4c454153; // "LEAS"

/** Messages between candidates and the lock service. */
export type LeaseMessage = { readonly kind: 'acquire' } | { readonly kind: 'grant'; readonly untilMs: number };

/**
 * The harness's view of who acts as leader: every heartbeat of a host that believes it holds the
 * lease is reported here, and two up hosts that both believe it at one instant are a violation.
 */
export class LeadershipObserver {
  readonly violations: string[] = [];
  private readonly beliefs = new Map<number, number>();

  constructor(
    private readonly isUp: (host: number) => boolean,
    /** Subtracted from times in messages, so they read as ms into the run. */
    private readonly originMs = 0,
  ) {}

  /** `host` acts as leader now (`nowMs`) and believes its lease lasts until `untilMs`. */
  lead(host: number, nowMs: number, untilMs: number): void {
    for (const [other, otherUntilMs] of this.beliefs) {
      if (other !== host && otherUntilMs > nowMs && this.isUp(other)) {
        const ms = (t: number) => t - this.originMs;
        this.violations.push(`hosts ${other} and ${host} both lead at ${ms(nowMs)} ms (leases until ${ms(otherUntilMs)} and ${ms(untilMs)} ms)`);
      }
    }
    this.beliefs.set(host, untilMs);
  }

  /** `host` (re)started without a lease. */
  follow(host: number): void {
    this.beliefs.delete(host);
  }

  /** Whether some up host believes it holds the lease at `nowMs`. */
  hasLeader(nowMs: number): boolean {
    return [...this.beliefs].some(([host, untilMs]) => untilMs > nowMs && this.isUp(host));
  }
}

/**
 * The lock service: grants the lease to whoever asks when it is free or already theirs, for
 * `LEASE_MS` from now. It never crashes (think of a consensus-backed service) and serves until
 * the run ends.
 */
async function serveLocks(endpoint: Endpoint<LeaseMessage>): Promise<never> {
  let holder = -1;
  let untilMs = 0;
  for (;;) {
    const envelope = await endpoint.receive();
    if (envelope === null) {
      await sleep(IDLE_POLL_MS);
      continue;
    }
    const nowMs = Date.now();
    if (envelope.message.kind !== 'acquire' || (envelope.from !== holder && nowMs < untilMs)) continue;
    holder = envelope.from;
    untilMs = nowMs + LEASE_MS;
    endpoint.send(holder, { kind: 'grant', untilMs });
  }
}

/** Options of {@link runCandidate}. */
export interface CandidateOptions {
  /** The bug: after a restart, resume a lease found on disk for a full term. */
  readonly resumeLeaseAfterRestart: boolean;
}

/** A candidate host: asks for the lease, leads while it holds it, and keeps the grant on disk. */
export async function runCandidate(env: HostEnv, observer: LeadershipObserver, options: CandidateOptions): Promise<never> {
  const endpoint = env.endpoint<LeaseMessage>();
  let leaseUntilMs = 0;
  observer.follow(env.id);
  if (env.incarnation > 0 && options.resumeLeaseAfterRestart && (await hadLease(env))) {
    leaseUntilMs = Date.now() + LEASE_MS;
    env.record('lease.resume', { host: env.id, until_ms: leaseUntilMs });
  }
  setInterval(() => {
    const nowMs = Date.now();
    if (nowMs < leaseUntilMs) {
      env.record('lease.lead', { host: env.id, until_ms: leaseUntilMs });
      observer.lead(env.id, nowMs, leaseUntilMs);
    }
    endpoint.send(LOCK_SERVICE, { kind: 'acquire' });
  }, HEARTBEAT_MS);
  for (;;) {
    const envelope = await endpoint.receive();
    if (envelope === null) {
      await sleep(IDLE_POLL_MS);
      continue;
    }
    if (envelope.message.kind !== 'grant' || envelope.message.untilMs <= leaseUntilMs) continue;
    leaseUntilMs = envelope.message.untilMs;
    env.record('lease.grant', { host: env.id, until_ms: leaseUntilMs });
    await keepLease(env);
  }
}

/** Records on disk that this host held the lease; best effort (an I/O error only loses the note). */
async function keepLease(env: HostEnv): Promise<void> {
  const bytes = new Uint8Array(env.disk.sectorSize);
  new DataView(bytes.buffer).setUint32(0, MAGIC);
  try {
    await env.disk.write({ path: LEASE_PATH, offset: 0, bytes });
    await env.disk.sync({ path: LEASE_PATH });
  } catch {
    // The disk failed: the note is lost, which only makes a restart forget the lease.
  }
}

async function hadLease(env: HostEnv): Promise<boolean> {
  try {
    const bytes = await env.disk.read({ path: LEASE_PATH, offset: 0, length: env.disk.sectorSize });
    return new DataView(bytes.buffer, bytes.byteOffset).getUint32(0) === MAGIC;
  } catch {
    return false;
  }
}

interface LeaseState {
  readonly sim: Simulation;
  readonly observer: LeadershipObserver;
}

function leaseHeartbeatCase(name: string, resumeLeaseAfterRestart: boolean) {
  return defineCase<LeaseState>({
    name,
    description: resumeLeaseAfterRestart
      ? 'leader lease on setInterval and Date.now; a restarted leader resumes its old lease and overlaps another (found by host crashes)'
      : 'leader lease on setInterval and Date.now across host crashes and restarts; a leader is elected again after calm',
    tags: ['example:lease_heartbeat', 'hosts', 'probabilistic'],
    attributes: { lease_ms: LEASE_MS, heartbeat_ms: HEARTBEAT_MS },
    init(world: World) {
      const sim = world.simulate({ network: { nodes: 4, serviceNodes: 3 }, disk: { sectorSize: 512 } });
      return { sim, observer: new LeadershipObserver((host) => sim.control.hosts.isUp(host), DEFAULT_EPOCH_MS) };
    },
    async scenario({ sim, observer }) {
      void serveLocks(sim.endpoint<LeaseMessage>(LOCK_SERVICE));
      for (const id of CANDIDATES) sim.host(id, (env) => runCandidate(env, observer, { resumeLeaseAfterRestart }));
      await sleep(HORIZON_MS);
    },
    checks: [
      {
        name: 'at most one leader at a time',
        check({ observer }) {
          if (observer.violations.length > 0) throw new InvariantViolation(observer.violations[0]!);
        },
      },
    ],
    eventually: [
      {
        name: 'a leader is elected',
        withinNs: 1_000_000_000,
        check({ observer }) {
          if (!observer.hasLeader(Date.now())) throw new InvariantViolation('no host holds the lease');
        },
      },
    ],
  });
}

/** The correct candidates: a restart forgets the lease. */
export const leaseHeartbeat = leaseHeartbeatCase('lease-heartbeat', false);
/** The buggy candidates: a restarted leader resumes its old lease and overlaps the new one. */
export const leaseHeartbeatBug = leaseHeartbeatCase('lease-heartbeat-bug', true);
