import { markBuiltinCase } from '../harness/case-reference.js';
import type { Case } from '../harness/define-case.js';

/**
 * Cases found by name (`mar run retry-queue`, `mar fuzz lease-heartbeat-bug`). The layer above
 * registers them (the command line and the campaign workers register the built-in examples), so
 * search never imports the examples, which sit on the public entry above it.
 */
const named = new Map<string, Case>();

/** Makes `cases` findable by their names; replay commands then name them by those names. */
export function registerNamedCases(cases: ReadonlyMap<string, Case>): void {
  for (const [name, c] of cases) {
    named.set(name, c);
    markBuiltinCase(c, name);
  }
}

/** The case registered as `name`, or undefined. */
export function namedCase(name: string): Case | undefined {
  return named.get(name);
}
