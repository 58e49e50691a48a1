import { microtasksDrained } from '../kernel/_internals/after-microtasks.js';
import { drive, type PhaseOutcome } from './_internals/drive.js';
import type { ChoiceSource } from '../kernel/choice-source.js';
import { isCase, type Case } from './define-case.js';
import { InvalidArgument, describeValue } from '../kernel/errors.js';
import { describeError, type FailureKind, type RunPhase } from './failure.js';
import { encodeTraceText } from '../kernel/trace/escape.js';
import type { Trace } from '../kernel/trace/trace.js';
import { formatAttributeValue } from '../kernel/trace/run-attribute.js';
import type { AssertionHit } from './assertions.js';
import { AssertionFailed } from './errors.js';
import { enterHermetic, exitHermetic } from './hermetic/hermetic-scope.js';
import { endTurn, takeTurn } from './_internals/run-turns.js';
import { World } from './world.js';
import { NONE_PROFILE, type FaultProfile } from '../faults/profiles/fault-profile.js';
import { writeProfileAttributes } from '../faults/profiles/profile-attributes.js';

/** Options of one traced run. */
export interface RunOnceOptions {
  readonly seed: bigint;
  /** The run's concrete fault profile (default `none`). */
  readonly profile?: FaultProfile;
  /** Decisions come from here instead of the seeded PRNG (minimizer replay). */
  readonly choices?: ChoiceSource;
  /** Overrides the case's `maxEvents` (the minimizer bounds candidate runs this way). */
  readonly maxEvents?: number;
  /**
   * Capture stack traces of errors thrown during the run (default true). The fuzz path turns
   * this off, because building stacks dominates the cost of a failing seed, and re-runs a
   * failing seed with stacks when it reports it.
   */
  readonly captureStacks?: boolean;
  /** Sees every event body as it is written (guided search derives the run's coverage from it). */
  readonly observeEvents?: (body: string) => void;
}

/** How one run failed. */
export interface RunFailure {
  readonly kind: Exclude<FailureKind, 'determinism_mismatch' | 'timeout'>;
  readonly phase: RunPhase;
  readonly checkName: string | undefined;
  readonly errorName: string;
  readonly errorMessage: string;
  /** The thrown value itself (undefined for a stall). */
  readonly error: unknown;
}

/** The result of one traced run. */
export interface RunOutcome {
  readonly trace: string;
  readonly eventCount: number;
  readonly finalNs: number;
  readonly failure: RunFailure | undefined;
  /** The `sometimes` and `reachable` names the run hit. */
  readonly assertionHits: readonly AssertionHit[];
}

/**
 * Runs a case once in a fresh world: run metadata, init, scenario, checks in order (the first
 * failing check ends them), then deinit whenever init succeeded. This is the fuzz path; `runCase`
 * runs it twice and compares.
 */
export async function runOnce(c: Case, options: RunOnceOptions): Promise<RunOutcome> {
  if (!isCase(c)) throw new InvalidArgument(`runOnce: expected a case made by defineCase, got ${describeValue(c)}`);
  if (options.captureStacks !== false) return runWorld(c, options);
  suppressStacks();
  try {
    return await runWorld(c, options);
  } finally {
    restoreStacks();
  }
}

/** How many stack-free runs are in progress; the process's own limit is restored when the last ends. */
let stacklessRuns = 0;
let savedStackTraceLimit = Error.stackTraceLimit;

function suppressStacks(): void {
  if (stacklessRuns++ === 0) {
    savedStackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  }
}

function restoreStacks(): void {
  if (--stacklessRuns === 0) Error.stackTraceLimit = savedStackTraceLimit;
}

async function runWorld(c: Case, options: RunOnceOptions): Promise<RunOutcome> {
  const profile = options.profile ?? NONE_PROFILE;
  const maxEvents = options.maxEvents ?? c.maxEvents;
  const world = new World({
    seed: options.seed,
    tickNs: c.tickNs,
    maxEvents,
    maxSteps: c.maxSteps,
    choices: options.choices,
    observeEvents: options.observeEvents,
    profile,
  });
  const turn = takeTurn();
  if (turn !== undefined) await turn;
  try {
    if (!c.hermetic) return await runPhases(c, world);
    enterHermetic(world, c.epochMs);
    try {
      return await runPhases(c, world);
    } finally {
      exitHermetic(); // whether the run passed, failed or threw: globals are the originals again
    }
  } finally {
    endTurn();
  }
}

/** Runs the phases of a case in `world`: metadata, init, scenario, checks, eventually, deinit. */
async function runPhases(c: Case, world: World): Promise<RunOutcome> {
  const compiled = compile(c);
  let failure: RunFailure | undefined;
  try {
    for (const line of compiled.metadata) world.emit(line);
    writeProfileAttributes(world.profile, world);
  } catch {
    // Only the event limit can stop the metadata (maxEvents smaller than the run's header).
    failure = failureOf({ status: 'fatal', error: world.fatal }, 'init', undefined, world);
  }

  let state: unknown;
  let initialized = false;
  if (failure === undefined) {
    let init = drive(world, () => c.init(world));
    if (init instanceof Promise) init = await init;
    if (init.status === 'ok') {
      state = init.value;
      initialized = true;
    } else {
      failure = failureOf(init, 'init', undefined, world);
    }
  }
  if (failure === undefined) {
    let scenario = drive(world, () => c.scenario(state));
    if (scenario instanceof Promise) scenario = await scenario;
    if (scenario.status !== 'ok') failure = failureOf(scenario, 'scenario', undefined, world);
  }
  if (failure === undefined) {
    for (let i = 0; i < c.checks.length; i++) {
      const check = c.checks[i]!;
      let outcome = drive(world, () => check.check(state));
      if (outcome instanceof Promise) outcome = await outcome;
      if (outcome.status !== 'ok') {
        failure = failureOf(outcome, 'check', check.name, world, compiled.checkNames[i]);
        break;
      }
      emitIfOpen(world, `check.pass name=${compiled.checkNames[i]}`);
    }
  }
  if (failure === undefined && c.eventually.length > 0) failure = await runEventually(c, world, state, compiled);
  if (initialized && c.deinit !== undefined) {
    const deinit = c.deinit;
    let outcome = drive(world, () => deinit(state));
    if (outcome instanceof Promise) outcome = await outcome;
    if (outcome.status !== 'ok' && failure === undefined) failure = failureOf(outcome, 'deinit', undefined, world);
  }
  // Let work the run left runnable (a fire-and-forget promise chain) finish while the world is
  // still open, so it never throws into the void after close; work waiting on time never resumes.
  world.stopTime();
  await microtasksDrained();
  const eventCount = world.trace.eventCount;
  const finalNs = world.nowNs;
  world.close();
  return new Outcome(world.trace, eventCount, finalNs, failure, world.assertionHits);
}

/**
 * The liveness phase: calm every fault, then evaluate every eventually-check at each tick (and at
 * its deadline) until all have passed; a check still failing `withinNs` after calm fails the run
 * as `liveness_failed` with its last error. A check that stalls or stops the world fails the run
 * as that.
 */
async function runEventually(c: Case, world: World, state: unknown, compiled: CompiledCase): Promise<RunFailure | undefined> {
  const startNs = world.nowNs;
  let calmed = drive(world, () => {
    world.emit(`liveness.start checks=${c.eventually.length} now_ns=${startNs}`);
    world.calm();
  });
  if (calmed instanceof Promise) calmed = await calmed;
  if (calmed.status !== 'ok') return failureOf(calmed, 'eventually', undefined, world);
  const pending = c.eventually.map((check, i) => ({ check, name: compiled.eventuallyNames[i]! }));
  for (;;) {
    for (let i = 0; i < pending.length; i++) {
      const { check, name } = pending[i]!;
      let outcome = drive(world, () => check.check(state));
      if (outcome instanceof Promise) outcome = await outcome;
      if (outcome.status === 'ok') {
        emitIfOpen(world, `liveness.pass name=${name} at_ns=${world.nowNs}`);
        pending.splice(i--, 1);
      } else if (outcome.status !== 'error') {
        return failureOf(outcome, 'eventually', check.name, world, name);
      } else if (world.nowNs >= startNs + check.withinNs) {
        const { name: errorName, message } = describeError(outcome.error);
        emitIfOpen(world, `liveness.fail name=${name} error=${encodeTraceText(errorName)} now_ns=${world.nowNs}`);
        return { kind: 'liveness_failed', phase: 'eventually', checkName: check.name, errorName, errorMessage: message, error: outcome.error };
      }
    }
    if (pending.length === 0) return undefined;
    // The next tick, or a check's deadline if that comes first: every check gets a last look
    // exactly at it. (A deadline already behind, passed while another check moved time, is due now.)
    let nextNs = world.nowNs + world.tickNs;
    for (const { check } of pending) nextNs = Math.min(nextNs, Math.max(world.nowNs, startNs + check.withinNs));
    let ticked = drive(world, () => world.sleepUntil(nextNs));
    if (ticked instanceof Promise) ticked = await ticked;
    if (ticked.status !== 'ok') return failureOf(ticked, 'eventually', undefined, world);
  }
}

/**
 * A run's outcome. Its trace text is made when first read: on the fuzz path nobody reads a
 * passing seed's. (A class, so every outcome has one shape and the getter lives on the prototype.)
 */
class Outcome implements RunOutcome {
  private text: string | undefined;

  constructor(
    private readonly events: Trace,
    readonly eventCount: number,
    readonly finalNs: number,
    readonly failure: RunFailure | undefined,
    readonly assertionHits: readonly AssertionHit[],
  ) {}

  get trace(): string {
    return (this.text ??= this.events.text());
  }
}

/** Trace lines that depend only on the case, formatted once per case. */
interface CompiledCase {
  readonly metadata: readonly string[];
  /** Check names in trace (encoded) form. */
  readonly checkNames: readonly string[];
  /** Eventually-check names in trace (encoded) form. */
  readonly eventuallyNames: readonly string[];
}

const compiledCases = new WeakMap<Case, CompiledCase>();

function compile(c: Case): CompiledCase {
  let compiled = compiledCases.get(c);
  if (compiled === undefined) {
    const metadata = [`run.name value=${encodeTraceText(c.name)}`, ...c.tags.map((tag) => `run.tag value=${encodeTraceText(tag)}`)];
    for (const key in c.attributes) {
      metadata.push(`run.attribute key=${key} value=${formatAttributeValue(c.attributes[key]!, 'run.attribute')}`);
    }
    const encode = (check: { readonly name: string }): string => encodeTraceText(check.name);
    compiled = { metadata, checkNames: c.checks.map(encode), eventuallyNames: c.eventually.map(encode) };
    compiledCases.set(c, compiled);
  }
  return compiled;
}

/** Turns a failed phase into a run failure and writes its trace event (when the world still accepts events). */
function failureOf(
  outcome: Exclude<PhaseOutcome<unknown>, { status: 'ok' }>,
  phase: RunPhase,
  checkName: string | undefined,
  world: World,
  encodedCheckName?: string,
): RunFailure {
  const check = encodedCheckName === undefined ? '' : ` name=${encodedCheckName}`;
  if (outcome.status === 'stalled') {
    const failure: RunFailure = {
      kind: 'stalled',
      phase,
      checkName,
      errorName: 'Stalled',
      errorMessage:
        `the ${phase} awaited a promise the simulation never settles (a real timer, real I/O or a forgotten promise) ` +
        `at simulated ${world.nowNs} ns`,
      error: undefined,
    };
    emitIfOpen(world, `run.stalled phase=${phase}${check} now_ns=${world.nowNs}`);
    return failure;
  }
  const { name, message } = describeError(outcome.error);
  if (outcome.error instanceof AssertionFailed) {
    // Traced where it failed (assert.fail); the run ends as the assertion's failure, whatever the phase.
    return { kind: 'assertion_failed', phase, checkName: outcome.error.assertion, errorName: name, errorMessage: message, error: outcome.error };
  }
  const kind = phase === 'check' && outcome.status === 'error' ? 'check_failed' : 'scenario_error';
  emitIfOpen(world, phase === 'check' ? `check.fail${check} error=${encodeTraceText(name)}` : `run.error phase=${phase} error=${encodeTraceText(name)}`);
  return { kind, phase, checkName, errorName: name, errorMessage: message, error: outcome.error };
}

/** Writes a runner event unless the world is stopped or full (the runner never fails a run itself). */
function emitIfOpen(world: World, body: string): void {
  if (!world.failed && world.trace.eventCount < world.trace.maxEvents) world.emit(body);
}
