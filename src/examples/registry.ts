import { markBuiltinCase } from '../kernel/case-reference.js';
import type { Case } from '../kernel/define-case.js';
import { idempotency, idempotencyBug } from './idempotency.js';
import { retryQueue, retryQueueBug } from './retry-queue.js';

/** Every built-in example case by the name the command line uses, in listing order. */
export const BUILTIN_CASES: ReadonlyMap<string, Case> = new Map<string, Case>(
  [retryQueue, retryQueueBug, idempotency, idempotencyBug].map((c) => [c.name, c]),
);

for (const [name, c] of BUILTIN_CASES) markBuiltinCase(c, name);

/** The built-in case called `name`, or undefined. */
export function findBuiltinCase(name: string): Case | undefined {
  return BUILTIN_CASES.get(name);
}
