/**
 * The "no harness" baseline: the same `Env` shape with nothing behind it but a counter for time,
 * the same xoshiro128** generator used directly, and plain string lines. The bench runs the examples' own service
 * classes against this to measure what the harness costs on top of the scenario logic itself.
 */
import { Prng, type BuggifyRate, type Disk, type Env, type TraceFields } from '../src/index.js';

export class BareEnv implements Env {
  nowNs = 0;
  readonly lines: string[] = [];
  private readonly prng: Prng;

  constructor(seed: number) {
    this.prng = Prng.fromSeed(BigInt(seed));
  }

  readonly clock = {
    now: (): number => this.nowNs,
    sleep: (durationNs: number): Promise<void> => {
      this.nowNs += durationNs;
      return Promise.resolve();
    },
  };

  readonly random = {
    u32: (): number => this.prng.nextU32(),
    u64: (): bigint => this.prng.u64(),
    intLessThan: (bound: number): number => this.prng.intLessThan(bound),
    bool: (): boolean => this.prng.bool(),
  };

  buggify(_hook: string, rate: BuggifyRate): boolean {
    return rate.fires(this.prng.intLessThan(rate.denominator));
  }

  record(name: string, fields?: TraceFields): void {
    let line = name;
    if (fields !== undefined) for (const key in fields) line += ` ${key}=${String(fields[key])}`;
    this.lines.push(line);
  }

  get disk(): Disk {
    throw new Error('the bare env has no disk');
  }

  always(name: string, condition: boolean): void {
    if (!condition) throw new Error(`always ${name} was false`);
  }

  sometimes(): void {}

  reachable(): void {}

  unreachable(name: string): void {
    throw new Error(`unreachable ${name} was reached`);
  }

  text(): string {
    return this.lines.join('\n');
  }
}
