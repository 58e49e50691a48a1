import { drive, type PhaseOutcome } from './_internals/drive.js';
import type { ChoiceSource } from './choice-source.js';
import type { Case } from './define-case.js';
import { describeError, type FailureKind, type RunPhase } from './failure.js';
import { encodeTraceText } from './trace/escape.js';
import { formatAttributeValue } from './trace/run-attribute.js';
import { World, type BuggifyHookPolicy } from './world.js';

/** Options of one traced run. */
export interface RunOnceOptions {
  readonly seed: bigint;
  /** Decisions come from here instead of the seeded PRNG (minimizer replay). */
  readonly choices?: ChoiceSource;
  /** Per-hook BUGGIFY enablement (fault profiles). */
  readonly hookPolicy?: BuggifyHookPolicy;
  /** Run attributes written after the case's own (the expanded fault profile). */
  readonly extraAttributes?: ReadonlyArray<readonly [string, string | number | bigint | boolean]>;
  /** Called with the world before `init`, so subsystems can apply a fault profile. */
  readonly prepare?: (world: World) => void;
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
}

/**
 * Runs a case once in a fresh world: run metadata, init, scenario, checks in order (the first
 * failing check ends them), then deinit whenever init succeeded. This is the fuzz path; `runCase`
 * runs it twice and compares.
 */
export async function runOnce(c: Case, options: RunOnceOptions): Promise<RunOutcome> {
  const world = new World({
    seed: options.seed,
    tickNs: c.tickNs,
    maxEvents: c.maxEvents,
    choices: options.choices,
    hookPolicy: options.hookPolicy,
  });
  let failure: RunFailure | undefined;
  try {
    writeRunMetadata(world, c, options);
    options.prepare?.(world);
  } catch (error) {
    failure = failureOf({ status: 'error', error }, 'init', undefined, world);
  }

  let state: unknown;
  let initialized = false;
  if (failure === undefined) {
    const init = await drive(world, () => c.init(world));
    if (init.status === 'ok') {
      state = init.value;
      initialized = true;
    } else {
      failure = failureOf(init, 'init', undefined, world);
    }
  }
  if (failure === undefined) {
    const scenario = await drive(world, () => c.scenario(state));
    if (scenario.status !== 'ok') failure = failureOf(scenario, 'scenario', undefined, world);
  }
  if (failure === undefined) {
    for (const check of c.checks) {
      const outcome = await drive(world, () => check.check(state));
      if (outcome.status !== 'ok') {
        failure = failureOf(outcome, 'check', check.name, world);
        break;
      }
      emitIfOpen(world, `check.pass name=${encodeTraceText(check.name)}`);
    }
  }
  if (initialized && c.deinit !== undefined) {
    const deinit = c.deinit;
    const outcome = await drive(world, () => deinit(state));
    if (outcome.status !== 'ok' && failure === undefined) failure = failureOf(outcome, 'deinit', undefined, world);
  }
  const eventCount = world.trace.eventCount;
  const finalNs = world.nowNs;
  world.close();
  return { trace: world.trace.text(), eventCount, finalNs, failure };
}

function writeRunMetadata(world: World, c: Case, options: RunOnceOptions): void {
  world.emit(`run.name value=${encodeTraceText(c.name)}`);
  for (const tag of c.tags) world.emit(`run.tag value=${encodeTraceText(tag)}`);
  for (const key in c.attributes) {
    world.emit(`run.attribute key=${key} value=${formatAttributeValue(c.attributes[key]!, 'run.attribute')}`);
  }
  for (const [key, value] of options.extraAttributes ?? []) {
    world.emit(`run.attribute key=${key} value=${formatAttributeValue(value, 'run.attribute')}`);
  }
}

/** Turns a failed phase into a run failure and writes its trace event (when the world still accepts events). */
function failureOf(
  outcome: Exclude<PhaseOutcome<unknown>, { status: 'ok' }>,
  phase: RunPhase,
  checkName: string | undefined,
  world: World,
): RunFailure {
  const check = checkName === undefined ? '' : ` name=${encodeTraceText(checkName)}`;
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
  const kind = phase === 'check' && outcome.status === 'error' ? 'check_failed' : 'scenario_error';
  emitIfOpen(world, phase === 'check' ? `check.fail${check} error=${encodeTraceText(name)}` : `run.error phase=${phase} error=${encodeTraceText(name)}`);
  return { kind, phase, checkName, errorName: name, errorMessage: message, error: outcome.error };
}

/** Writes a runner event unless the world is stopped or full (the runner never fails a run itself). */
function emitIfOpen(world: World, body: string): void {
  if (world.fatal === undefined && world.trace.eventCount < world.trace.maxEvents) world.emit(body);
}
