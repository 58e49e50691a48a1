/**
 * Idempotency: two account-local deposits with client-chosen request ids. Request ids only need
 * to be unique per account, but the buggy service dedupes them globally; when BUGGIFY
 * `reuse_request_id_across_accounts` (1 in 8) makes the client reuse Alice's id for Bob, Bob's
 * deposit is dropped as a duplicate and `every deposit applied exactly once` catches it.
 */
import { BuggifyRate, defineCase, type Env, type Simulation, type World } from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';

/** A production-shaped deposit service that dedupes retried requests. */
export class DepositService {
  private readonly seen = new Set<string>();
  private readonly balances = new Map<string, number>();

  constructor(
    private readonly env: Env,
    /** The bug: one dedupe scope for all accounts instead of one per account. */
    private readonly globalDedupe: boolean,
  ) {}

  deposit(account: string, requestId: number, amount: number): boolean {
    const key = this.globalDedupe ? String(requestId) : `${account}/${requestId}`;
    const accepted = !this.seen.has(key);
    if (accepted) {
      this.seen.add(key);
      this.balances.set(account, this.balance(account) + amount);
    }
    const reason = accepted ? 'applied' : this.globalDedupe ? 'global_duplicate' : 'duplicate';
    this.env.record('idempotency.deposit', {
      account,
      request_id: requestId,
      amount,
      accepted,
      reason,
      balance: this.balance(account),
    });
    return accepted;
  }

  balance(account: string): number {
    return this.balances.get(account) ?? 0;
  }
}

interface IdempotencyState {
  readonly sim: Simulation;
  readonly service: DepositService;
}

const REQUEST_ID_SPACE = 1_000_000;
const DEPOSITS = [
  { account: 'alice', amount: 100 },
  { account: 'bob', amount: 50 },
] as const;

function idempotencyCase(name: string, globalDedupe: boolean) {
  return defineCase<IdempotencyState>({
    name,
    description: globalDedupe
      ? 'global request-id dedupe loses a deposit when BUGGIFY reuses an id (fails about 1 seed in 8)'
      : 'per-account request-id dedupe applies every deposit exactly once',
    tags: ['example:idempotency'],
    init(world: World) {
      const sim = world.simulate();
      return { sim, service: new DepositService(sim.env, globalDedupe) };
    },
    scenario({ sim, service }) {
      const { env } = sim;
      const aliceId = env.random.intLessThan(REQUEST_ID_SPACE);
      const reused = env.buggify('reuse_request_id_across_accounts', BuggifyRate.oneIn(8));
      // Without the fault the client picks a fresh id, distinct from Alice's.
      const bobId = reused ? aliceId : (aliceId + 1 + env.random.intLessThan(REQUEST_ID_SPACE - 1)) % REQUEST_ID_SPACE;
      env.record('idempotency.requests', { alice_id: aliceId, bob_id: bobId, reused });
      service.deposit('alice', aliceId, DEPOSITS[0].amount);
      service.deposit('bob', bobId, DEPOSITS[1].amount);
    },
    checks: [
      {
        name: 'every deposit applied exactly once',
        check({ sim, service }) {
          for (const { account, amount } of DEPOSITS) {
            const actual = service.balance(account);
            if (actual !== amount) {
              sim.env.record('idempotency.invariant_violation', { account, expected: amount, actual });
              throw new InvariantViolation(`${account} has balance ${actual}, expected ${amount}`);
            }
          }
        },
      },
    ],
  });
}

/** Per-account dedupe: passes on every seed. */
export const idempotency = idempotencyCase('idempotency', false);
/** Global dedupe: fails on the seeds where BUGGIFY reuses a request id. */
export const idempotencyBug = idempotencyCase('idempotency-bug', true);
