/**
 * The bare twins of the benchmarked examples: the same service classes and scenario steps, run
 * against {@link BareEnv} with no world, no scheduler, no validation and no trace format.
 */
import { RetryQueue } from '../src/examples/retry-queue.js';
import { DepositService } from '../src/examples/idempotency.js';
import { BuggifyRate } from '../src/index.js';
import { InvariantViolation } from '../src/examples/_shared/invariant-violation.js';
import { BareEnv } from './bare-env.js';

/**
 * How the bare twin reports a violation: `throw` builds and throws the same error the example's
 * check throws (what plain test code does); `return` only returns false (the pure logic).
 */
export type BareCheckStyle = 'throw' | 'return';

class BareViolation {}
const RETURNED = new BareViolation();

function finish(env: BareEnv, style: BareCheckStyle, check: (fail: (message: string) => never) => void): boolean {
  let failed = false;
  try {
    check((message) => {
      throw style === 'throw' ? new InvariantViolation(message) : RETURNED;
    });
  } catch {
    failed = true;
  }
  env.text();
  return failed;
}

const TICK_NS = 1_000_000;
const ONE_IN_8 = BuggifyRate.oneIn(8);

/** retry-queue-bug without the harness; returns whether the invariant failed. */
export async function bareRetryQueueBug(seed: number, style: BareCheckStyle): Promise<boolean> {
  const env = new BareEnv(seed);
  const queue = new RetryQueue(env, 7, { leaseNs: 5 * TICK_NS, acceptStaleCompletions: true });
  queue.leaseTo(1);
  await env.clock.sleep(5 * TICK_NS);
  queue.expireLeases();
  queue.leaseTo(2);
  await env.clock.sleep(env.random.intLessThan(3) * TICK_NS);
  queue.complete(1);
  queue.complete(2);
  return finish(env, style, (fail) => {
    if (queue.completions > 1) {
      env.record('queue.invariant_violation', { job: 7, completions: queue.completions });
      fail(`job 7 completed ${queue.completions} times`);
    }
  });
}

/** idempotency-bug without the harness; returns whether the invariant failed. */
export async function bareIdempotencyBug(seed: number, style: BareCheckStyle): Promise<boolean> {
  const env = new BareEnv(seed);
  const service = new DepositService(env, true);
  const aliceId = env.random.intLessThan(1_000_000);
  const reused = env.buggify('reuse_request_id_across_accounts', ONE_IN_8);
  const bobId = reused ? aliceId : (aliceId + 1 + env.random.intLessThan(999_999)) % 1_000_000;
  env.record('idempotency.requests', { alice_id: aliceId, bob_id: bobId, reused });
  service.deposit('alice', aliceId, 100);
  service.deposit('bob', bobId, 50);
  return finish(env, style, (fail) => {
    for (const [account, amount] of [['alice', 100], ['bob', 50]] as const) {
      const actual = service.balance(account);
      if (actual !== amount) {
        env.record('idempotency.invariant_violation', { account, expected: amount, actual });
        fail(`${account} has balance ${actual}, expected ${amount}`);
      }
    }
  });
}
