import { fileURLToPath } from 'node:url';
import { InvalidArgument, describeValue } from '../kernel/errors.js';
import type { AttributeValue } from '../kernel/trace/run-attribute.js';
import { formatAttributeValue } from '../kernel/trace/run-attribute.js';
import { isNonEmptyText } from './assertions.js';
import { DEFAULT_EPOCH_MS } from './hermetic/hermetic-scope.js';
import type { World } from './world.js';

/** A named invariant over the state a scenario left behind. A check fails by throwing. */
export interface Check<State> {
  readonly name: string;
  check(state: State): unknown;
}

/**
 * A liveness property: something that must become true once faults stop. After the scenario and
 * the checks, the world calls `control.calm()` and evaluates `check` at every tick until it
 * returns without throwing; if it still throws `withinNs` after calm, the run fails as
 * `liveness_failed` with the last error.
 */
export interface EventuallyCheck<State> {
  readonly name: string;
  check(state: State): unknown;
  /** How long after calm the check may take, in simulated ns (default 10 s). */
  readonly withinNs?: number;
}

/** Default time an eventually-check has after calm: 10 s of simulated time. */
export const DEFAULT_EVENTUALLY_WITHIN_NS = 10_000_000_000;

/** What `defineCase` takes. `init`, `scenario`, checks and `deinit` may be sync or async. */
export interface CaseDefinition<State> {
  /** The case's name, written to the trace as `run.name`. */
  readonly name: string;
  /** One line for `mar list`. */
  readonly description?: string;
  /** Labels written as `run.tag` events, e.g. `example:retry_queue`. */
  readonly tags?: readonly string[];
  /** Typed run attributes written as `run.attribute` events. */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  /** Simulated tick in ns (default 1 ms). */
  readonly tickNs?: number;
  /** Most events a run may record before it fails as a runaway (default 1,000,000). */
  readonly maxEvents?: number;
  /** Most timers a run may fire before it fails as a runaway, e.g. an interval nobody stops (default 10,000,000). */
  readonly maxSteps?: number;
  /** Builds the state of one run from a fresh world (typically calls `world.simulate`). */
  init(world: World): State | PromiseLike<State>;
  /** Drives the system under test. */
  scenario(state: State): unknown;
  /** Invariants checked after the scenario, in order; the first that throws fails the run. */
  readonly checks?: readonly Check<State>[];
  /** Liveness properties checked after the checks, once every fault has stopped (see {@link EventuallyCheck}). */
  readonly eventually?: readonly EventuallyCheck<State>[];
  /**
   * The `env.sometimes` / `env.reachable` names the case expects its runs to hit: `expectFuzz`
   * fails, naming them, when none of its seeds hit one (the test exercised nothing).
   */
  readonly sometimes?: readonly string[];
  /**
   * Whether the process's timers, `Date`, `performance.now`, `process.hrtime`, `Math.random` and
   * crypto randomness belong to the world while the case runs, and real network calls fail it
   * (default true). `false` leaves them real: code must then use `env` for time and randomness.
   */
  readonly hermetic?: boolean;
  /** What `Date.now()` says at simulated time 0 in a hermetic world, in ms since 1970 (default 2020-01-01T00:00:00Z). */
  readonly epochMs?: number;
  /** Releases what `init` built; runs whenever `init` succeeded. */
  deinit?(state: State): unknown;
}

/** A validated, reusable case: the unit `runCase`, `expectFuzz`, `mar run` and `mar fuzz` run. */
export interface Case<State = any> extends CaseDefinition<State> {
  readonly tags: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly checks: readonly Check<State>[];
  readonly eventually: readonly Required<EventuallyCheck<State>>[];
  readonly sometimes: readonly string[];
  readonly hermetic: boolean;
  readonly epochMs: number;
  /** The file that called `defineCase`, when known; used to print replay commands. */
  readonly definedIn: string | undefined;
}

const CASE_BRAND = Symbol.for('marionette-sim.case');
const ATTRIBUTE_KEY = /^[a-z0-9_]+$/;

/**
 * Defines a case: a world-building `init`, a `scenario`, named `checks` and an optional `deinit`.
 * @throws {InvalidArgument} naming the first field that is missing or malformed.
 */
export function defineCase<State>(definition: CaseDefinition<State>): Case<State> {
  const fail = (what: string, value: unknown): never => {
    throw new InvalidArgument(`defineCase: ${what}, got ${describeValue(value)}`);
  };
  if (typeof definition !== 'object' || definition === null) fail('expected a case definition object', definition);
  const { name, tags = [], attributes = {}, checks = [], eventually = [], sometimes = [], hermetic = true, epochMs = DEFAULT_EPOCH_MS } = definition;
  if (!isNonEmptyText(name)) fail('name must be non-empty text', name);
  for (const key of ['init', 'scenario'] as const) {
    if (typeof definition[key] !== 'function') fail(`${key} must be a function`, definition[key]);
  }
  if (definition.deinit !== undefined && typeof definition.deinit !== 'function') fail('deinit must be a function', definition.deinit);
  if (!Array.isArray(tags) || !tags.every(isNonEmptyText)) {
    fail('tags must be an array of non-empty strings', tags);
  }
  for (const [key, value] of Object.entries(attributes)) {
    if (!ATTRIBUTE_KEY.test(key)) fail(`attribute key must be lowercase letters, digits and "_"`, key);
    formatAttributeValue(value, `defineCase: attribute ${key}`);
  }
  /** Checks a list of named checks: an array, each with a non-empty, unique name and a check function. */
  const namedChecks = <C extends { readonly name: string; readonly check: unknown }>(list: readonly C[], field: string, label: string, more?: (check: C) => void) => {
    if (!Array.isArray(list)) fail(`${field} must be an array`, list);
    const names = new Set<string>();
    for (const check of list) {
      if (!isNonEmptyText(check?.name)) fail(`every ${label} needs a non-empty name`, check?.name);
      if (typeof check.check !== 'function') fail(`${label} ${JSON.stringify(check.name)} needs a check function`, check.check);
      more?.(check);
      if (names.has(check.name)) fail(`${label} names must be unique`, check.name);
      names.add(check.name);
    }
  };
  namedChecks(checks, 'checks', 'check');
  namedChecks(eventually, 'eventually', 'eventually-check', (check) => {
    if (check.withinNs !== undefined && (!Number.isSafeInteger(check.withinNs) || check.withinNs < 1)) {
      fail(`eventually-check ${JSON.stringify(check.name)}: withinNs must be a positive safe integer of ns`, check.withinNs);
    }
  });
  if (!Array.isArray(sometimes) || !sometimes.every(isNonEmptyText)) {
    fail('sometimes must be an array of non-empty names', sometimes);
  }
  if (new Set(sometimes).size !== sometimes.length) fail('sometimes names must be unique', sometimes);
  if (typeof hermetic !== 'boolean') fail('hermetic must be a boolean', hermetic);
  if (!Number.isSafeInteger(epochMs)) fail('epochMs must be a safe integer of ms', epochMs);
  for (const key of ['tickNs', 'maxEvents', 'maxSteps'] as const) {
    const value = definition[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) fail(`${key} must be a positive safe integer`, value);
  }
  // Copied field by field, so a definition given as a class instance keeps its methods.
  const result = {
    name,
    description: definition.description,
    tickNs: definition.tickNs,
    maxEvents: definition.maxEvents,
    maxSteps: definition.maxSteps,
    init: definition.init.bind(definition),
    scenario: definition.scenario.bind(definition),
    deinit: definition.deinit?.bind(definition),
    tags: Object.freeze([...tags]),
    attributes: Object.freeze({ ...attributes }),
    checks: Object.freeze([...checks]),
    eventually: Object.freeze(
      eventually.map((check) => Object.freeze({ name: check.name, check: check.check.bind(check), withinNs: check.withinNs ?? DEFAULT_EVENTUALLY_WITHIN_NS })),
    ),
    sometimes: Object.freeze([...sometimes]),
    hermetic,
    epochMs,
    definedIn: callerFile(),
    [CASE_BRAND]: true,
  };
  return Object.freeze(result);
}

/** True for objects made by `defineCase` (in this or another copy of the library). */
export function isCase(value: unknown): value is Case {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[CASE_BRAND] === true;
}

/** The file of the code that called `defineCase`, read from the stack; undefined when unknown. */
function callerFile(): string | undefined {
  const stack = new Error().stack?.split('\n') ?? [];
  for (const line of stack.slice(1)) {
    if (line.includes('define-case.')) continue;
    const match = /\(?((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):\d+:\d+\)?\s*$/.exec(line);
    if (match === null) return undefined;
    const location = match[1] as string;
    return location.startsWith('file://') ? fileURLToPath(location) : location;
  }
  return undefined;
}
