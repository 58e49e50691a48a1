import { randomBytes } from 'node:crypto';
import { BuggifyRate } from '../faults/buggify-rate.js';
import { assertHookName } from '../faults/buggify-hook.js';
import type { Disk } from '../faults/disk/disk-types.js';
import { createProductionDisk, type ProductionDiskOptions } from '../faults/disk/production-disk.js';
import { WorldMisuse } from '../kernel/errors.js';
import { parseSeed, type SeedInput } from '../kernel/parse-seed.js';
import { Prng } from '../kernel/prng.js';
import { assertAssertionName, assertDetails, assertionFailure } from './assertions.js';
import { assertDurationNs } from './sim-env.js';
import type { Clock, Env, Random } from './simulation-types.js';
import { assertEventName, formatStructuredFields, validateRawRecord, type TraceFields } from '../kernel/trace/record-format.js';

/** Options of {@link createProductionEnv}. */
export interface ProductionEnvOptions {
  /** Seed of `random` (default: 8 bytes from `crypto.randomBytes`). */
  readonly seed?: SeedInput;
  /** Receives every recorded event as `name k=v ...` (default: dropped). */
  readonly record?: (line: string) => void;
  /** A real disk under `root` (see `createProductionDisk`); without it `env.disk` throws. */
  readonly disk?: ProductionDiskOptions;
}

/**
 * The production twin of a simulated `env`: the same shape, backed by the real monotonic clock
 * (`process.hrtime`), real timers, a PRNG seeded from `crypto` (or `seed`), and BUGGIFY that
 * never fires. Records are validated exactly as in simulation and handed to `record`.
 */
export function createProductionEnv(options: ProductionEnvOptions = {}): Env {
  const originNs = process.hrtime.bigint();
  const prng = Prng.fromSeed(options.seed === undefined ? randomBytes(8).readBigUInt64BE() : parseSeed(options.seed));
  const sink = options.record ?? (() => {});
  const clock: Clock = {
    now: () => Number(process.hrtime.bigint() - originNs),
    sleep: (durationNs) => {
      assertDurationNs(durationNs, 'clock.sleep');
      return new Promise((resolve) => setTimeout(resolve, Math.ceil(durationNs / 1e6)));
    },
  };
  const random: Random = {
    u32: () => prng.intLessThan(4294967296),
    u64: () => prng.u64(),
    intLessThan: (bound) => prng.intLessThan(bound),
    bool: () => prng.bool(),
  };
  const disk = options.disk === undefined ? undefined : createProductionDisk(options.disk);
  return {
    clock,
    random,
    get disk(): Disk {
      if (disk === undefined) throw new WorldMisuse('env.disk: this production env has no disk; pass { disk: { root } } to createProductionEnv');
      return disk;
    },
    buggify(hook: string, rate: BuggifyRate): boolean {
      assertHookName(hook, 'buggify');
      BuggifyRate.from(rate, 'buggify');
      return false;
    },
    record(nameOrRaw: string, fields?: TraceFields): void {
      if (fields === undefined && typeof nameOrRaw === 'string' && nameOrRaw.includes(' ')) {
        sink(validateRawRecord(nameOrRaw, 'record'));
        return;
      }
      assertEventName(nameOrRaw, 'record');
      sink(fields === undefined ? nameOrRaw : nameOrRaw + formatStructuredFields(fields, 'record'));
    },
    // Production keeps the assertions that guard correctness and drops the coverage notes.
    always(name: string, condition: boolean, details?: TraceFields): void {
      assertAssertionName(name, 'env.always');
      assertDetails(details, 'env.always');
      if (!condition) throw assertionFailure('always', name, details);
    },
    sometimes(name: string, _condition: boolean, details?: TraceFields): void {
      assertAssertionName(name, 'env.sometimes');
      assertDetails(details, 'env.sometimes');
    },
    reachable(name: string): void {
      assertAssertionName(name, 'env.reachable');
    },
    unreachable(name: string, details?: TraceFields): void {
      assertAssertionName(name, 'env.unreachable');
      assertDetails(details, 'env.unreachable');
      throw assertionFailure('unreachable', name, details);
    },
  };
}
