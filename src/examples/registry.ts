import type { Case } from '../index.js';
import {
  durableBroadcast,
  durableBroadcastBug,
  durableBroadcastSwarm,
  durableBroadcastSwarmBug,
} from './durable-broadcast.js';
import { idempotency, idempotencyBug } from './idempotency.js';
import { leaseHeartbeat, leaseHeartbeatBug } from './lease-heartbeat.js';
import { deepState, deepStateBug } from './deep-state.js';
import { sometimesCoverage } from './sometimes-coverage.js';
import { kvStore, kvStoreBug, kvStoreSwarm, kvStoreSwarmBug } from './kv-store.js';
import {
  replicatedRegister,
  replicatedRegisterBug,
  replicatedRegisterConflict,
  replicatedRegisterPartition,
  replicatedRegisterReads,
  replicatedRegisterStaleReadBug,
  replicatedRegisterSwarm,
  replicatedRegisterSwarmBug,
} from './replicated-register.js';
import { retryQueue, retryQueueBug, retryQueueSwarm, retryQueueSwarmBug } from './retry-queue.js';
import { toyDb } from './toy-db.js';

/** Every built-in example case by the name the command line uses, in listing order. */
export const BUILTIN_CASES: ReadonlyMap<string, Case> = new Map<string, Case>(
  [
    retryQueue,
    retryQueueBug,
    retryQueueSwarm,
    retryQueueSwarmBug,
    idempotency,
    idempotencyBug,
    kvStore,
    kvStoreBug,
    kvStoreSwarm,
    kvStoreSwarmBug,
    replicatedRegister,
    replicatedRegisterPartition,
    replicatedRegisterConflict,
    replicatedRegisterBug,
    replicatedRegisterSwarm,
    replicatedRegisterSwarmBug,
    replicatedRegisterReads,
    replicatedRegisterStaleReadBug,
    toyDb,
    durableBroadcast,
    durableBroadcastBug,
    durableBroadcastSwarm,
    durableBroadcastSwarmBug,
    leaseHeartbeat,
    leaseHeartbeatBug,
    sometimesCoverage,
    deepState,
    deepStateBug,
  ].map((c) => [c.name, c]),
);

/** The built-in case called `name`, or undefined. */
export function findBuiltinCase(name: string): Case | undefined {
  return BUILTIN_CASES.get(name);
}
