import { WorldCore, type WorldCoreOptions } from '../kernel/world.js';
import { InvalidArgument, WorldMisuse, describeValue } from '../kernel/errors.js';
import { BuggifyRate } from '../faults/buggify-rate.js';
import { assertHookName } from '../faults/buggify-hook.js';
import { NONE_PROFILE, normalizeProfile, type FaultProfile } from '../faults/profiles/fault-profile.js';
import { hookPolicy, type BuggifyHookPolicy } from '../faults/profiles/hook-policy.js';
import type { TraceFields } from '../kernel/trace/record-format.js';
import { eventFormat } from '../kernel/trace/event-format.js';
import { assertAssertionName, assertDetails, assertionFailure, type AssertionHit } from './assertions.js';
import { Incarnation } from './hosts/host-manager.js';
import { createSimulation, type SimulationParts } from './simulation.js';
import type { Simulation, SimulateOptions } from './simulation-types.js';

const NO_HITS: readonly AssertionHit[] = Object.freeze([]);

const BUGGIFY_DISABLED = eventFormat`buggify hook=${'hook'} rate=${'numerator'}/${'denominator'} roll=disabled fired=false`;
const BUGGIFY = eventFormat`buggify hook=${'hook'} rate=${'numerator'}/${'denominator'} roll=${'roll'} fired=${'fired'}`;

/** Options of a {@link World}. */
export interface WorldOptions extends WorldCoreOptions {
  /**
   * The run's fault profile (default `none`): `simulate` applies its network, disk and host
   * faults, and its BUGGIFY part decides which hooks may fire (unless `hookPolicy` is given).
   */
  readonly profile?: FaultProfile;
  /** Decides, per BUGGIFY hook and for the whole run, whether the hook may fire. Default: the profile's. */
  readonly hookPolicy?: BuggifyHookPolicy;
}

/**
 * The deterministic world of one run: the kernel's PRNG, clock, trace and scheduler, plus the
 * run's fault profile, BUGGIFY and the simulation (network, disk, hosts) it builds once.
 *
 * Time moves only when the scheduler fires a timer (`control.tick`, `control.runFor`,
 * `env.clock.sleep`, simulated I/O latency and, in hermetic worlds, `setTimeout` and friends all
 * set timers), and it fires one only when the microtask queue has drained, so concurrent simulated
 * activities interleave in a fixed order.
 */
export class World extends WorldCore {
  /** The run's fault profile. */
  readonly profile: FaultProfile;

  private readonly hookPolicy: BuggifyHookPolicy | undefined;
  private readonly hookStates = new Map<string, boolean>();
  /** The `sometimes` and `reachable` names hit in this run, with their kind, in the order first hit. */
  private readonly hits = new Map<string, 'sometimes' | 'reachable'>();
  private simulation: SimulationParts | undefined;

  constructor(options: WorldOptions) {
    super(options);
    if (options.profile !== undefined && (typeof options.profile !== 'object' || options.profile === null)) {
      throw new InvalidArgument(`World: profile must be a profile object (use resolveProfile for named profiles), got ${describeValue(options.profile)}`);
    }
    this.profile = options.profile === undefined ? NONE_PROFILE : normalizeProfile(options.profile, 'World: profile');
    this.hookPolicy = options.hookPolicy ?? hookPolicy(this.profile.buggify);
  }

  /**
   * Evaluates a BUGGIFY hook: the world draws a roll in `[0, rate.denominator)` and the hook fires
   * when the rate says so. Traced as `buggify hook=... rate=n/d roll=... fired=...`; a hook the
   * run's profile disabled is traced with `roll=disabled` and never fires.
   */
  buggify(hook: string, rate: BuggifyRate): boolean {
    this.assertOwnerAlive();
    assertHookName(hook, 'buggify');
    const checked = rate instanceof BuggifyRate ? rate : BuggifyRate.from(rate, 'buggify');
    if (!this.hookEnabled(hook)) {
      this.emitEvent(BUGGIFY_DISABLED, hook, checked.numerator, checked.denominator);
      return false;
    }
    const roll = this.choices.intLessThan(checked.denominator);
    const fired = checked.fires(roll);
    this.emitEvent(BUGGIFY, hook, checked.numerator, checked.denominator, roll, fired);
    return fired;
  }

  /**
   * Builds the simulation of this world, once. The returned object holds the app-facing `env`,
   * the harness-only `control`, `endpoint(node)` (with a network) and `host(id, main)`.
   */
  simulate(options?: SimulateOptions): Simulation {
    if (this.simulation !== undefined) throw new WorldMisuse('world.simulate: a world builds its simulation only once');
    this.simulation = createSimulation(this, options ?? {});
    return this.simulation.simulation;
  }

  /**
   * @internal Ends every fault at once (`control.calm()`); a world that built no simulation only
   * traces `control.calm`. The liveness phase calls this before its eventually-checks.
   */
  calm(): void {
    if (this.simulation === undefined) this.emit('control.calm');
    else this.simulation.calm();
  }

  /**
   * @internal An error nobody caught (a timer callback threw; in Node an uncaught exception):
   * fails the run, as the error of the host whose code threw it when there is one.
   */
  failUncaught(error: unknown): void {
    const owner = this.currentOwner;
    if (owner instanceof Incarnation) owner.fail(error);
    else this.fail(error);
  }

  /** @internal `env.always`: a false condition fails the run at once. */
  assertAlways(name: string, condition: boolean, details: TraceFields | undefined): void {
    assertAssertionName(name, 'env.always');
    assertDetails(details, 'env.always');
    if (condition) return;
    this.failAssertion('always', name, details);
  }

  /** @internal `env.unreachable`: reaching it fails the run at once. */
  assertUnreachable(name: string, details: TraceFields | undefined): void {
    assertAssertionName(name, 'env.unreachable');
    assertDetails(details, 'env.unreachable');
    this.failAssertion('unreachable', name, details);
  }

  /** @internal `env.sometimes` and `env.reachable`: notes the first hit of `name` in this run. */
  noteSometimes(kind: 'sometimes' | 'reachable', name: string, condition: boolean, details: TraceFields | undefined): void {
    assertAssertionName(name, `env.${kind}`);
    assertDetails(details, `env.${kind}`);
    if (!condition || this.hits.has(name)) return;
    this.hits.set(name, kind);
    this.record(`assert.${kind}`, { name, ...details });
  }

  /** @internal The `sometimes` and `reachable` names this run hit. */
  get assertionHits(): readonly AssertionHit[] {
    if (this.hits.size === 0) return NO_HITS; // most runs of most cases: no array to make
    return [...this.hits].map(([name, kind]) => ({ name, kind }));
  }

  private failAssertion(kind: 'always' | 'unreachable', name: string, details: TraceFields | undefined): never {
    this.record('assert.fail', { name, kind, ...details });
    const error = assertionFailure(kind, name, details);
    this.fail(error);
    throw error;
  }

  private hookEnabled(hook: string): boolean {
    if (this.hookPolicy === undefined) return true;
    let enabled = this.hookStates.get(hook);
    if (enabled === undefined) {
      enabled = this.hookPolicy.enabled(hook, this.choices);
      this.hookStates.set(hook, enabled);
      this.emit(`buggify.hook hook=${hook} enabled=${enabled}`);
    }
    return enabled;
  }
}
