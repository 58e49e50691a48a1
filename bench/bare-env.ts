/**
 * The "no harness" baseline: the same `Env` shape with nothing behind it but a counter for time,
 * a bare xoshiro128** generator and plain string lines. The bench runs the examples' own service
 * classes against this to measure what the harness costs on top of the scenario logic itself.
 */
import type { BuggifyRate, Disk, Env, TraceFields } from '../src/index.js';

export class BareEnv implements Env {
  nowNs = 0;
  readonly lines: string[] = [];
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    this.s0 = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.s1 = 0x243f6a88;
    this.s2 = 0x85a308d3;
    this.s3 = 0x13198a2e;
  }

  readonly clock = {
    now: (): number => this.nowNs,
    sleep: (durationNs: number): Promise<void> => {
      this.nowNs += durationNs;
      return Promise.resolve();
    },
  };

  readonly random = {
    u32: (): number => this.next(),
    u64: (): bigint => (BigInt(this.next()) << 32n) | BigInt(this.next()),
    intLessThan: (bound: number): number => this.next() % bound,
    bool: (): boolean => (this.next() & 1) === 1,
  };

  buggify(_hook: string, rate: BuggifyRate): boolean {
    return this.next() % rate.denominator >= rate.denominator - rate.numerator;
  }

  record(name: string, fields?: TraceFields): void {
    let line = name;
    if (fields !== undefined) for (const key in fields) line += ` ${key}=${String(fields[key])}`;
    this.lines.push(line);
  }

  get disk(): Disk {
    throw new Error('the bare env has no disk');
  }

  text(): string {
    return this.lines.join('\n');
  }

  private next(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
