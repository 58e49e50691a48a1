/**
 * Linearizability checker figures: `checkLinearizable` on histories of concurrent clients, time
 * and memory per history, against Porcupine's published figures (Go 1.19, a 2-core machine).
 *
 * The histories come from a deterministic generator (clients against a real sequential object,
 * each operation taking effect at a random instant inside its [call, return] interval, so every
 * history is linearizable by construction) and from a workload run in a simulated world and
 * recorded with `createHistory`. Every history must come back `ok`; a mutated one must come back
 * `illegal`.
 */
import {
  checkLinearizable,
  createHistory,
  defineCase,
  models,
  type CasRegisterInput,
  type Env,
  type KvInput,
  type LinearizabilityResult,
  type Model,
  type Operation,
  type RecordedOperation,
} from '../src/index.js';
import { runOnce } from '../src/harness/run-once.js';
import { Prng } from '../src/kernel/prng.js';
import { median } from './measure.js';

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

/** What {@link generateHistory} builds. */
export interface GeneratorOptions {
  readonly seed: bigint;
  /** `casRegister`: one register, Jepsen's read / write / cas mix; `kv`: get / put / append over `keys` keys. */
  readonly object: 'casRegister' | 'kv';
  /** Concurrent client slots; a crashed client is replaced by a new client id (as Jepsen does). */
  readonly clients: number;
  readonly operations: number;
  /**
   * Mean number of operations in flight (the overlap), at most `clients`: clients think between
   * operations so that on average this many are between call and return.
   */
  readonly inFlight: number;
  /** Share of operations whose client crashes (outcome unknown: no output, return `Infinity`), per mille. */
  readonly unknownPerMille: number;
  /** kv: how many keys. */
  readonly keys?: number;
  /** casRegister: values are drawn from `0 .. values-1` (Jepsen's etcd test: 5). */
  readonly values?: number;
  /** kv: relative weights of get, put and append (default 2:1:1). */
  readonly kvMix?: readonly [get: number, put: number, append: number];
  /** Share of slow operations, per mille: they take 20 times the usual latency (a long tail). */
  readonly slowPerMille?: number;
}

/** Mean duration of an operation, in generator ticks. */
const LATENCY = 1000;

interface Draft<Input> {
  readonly id: number;
  readonly client: number;
  readonly input: Input;
  readonly call: number;
  readonly return: number;
  /** The instant it takes effect (inside [call, return]); `Infinity` for an unknown one that never does. */
  readonly at: number;
  readonly unknown: boolean;
}

/**
 * A history of `clients` concurrent clients against a sequential register or kv store: each
 * operation takes effect at a random instant inside its [call, return] interval (outputs are
 * computed by applying the operations in the order of those instants), so the history is
 * linearizable by construction. A crashed client's operation takes effect or not (a fair coin)
 * and stays open for ever; its slot goes on with a new client id after the time-out.
 */
/** The real object behind generated and simulated histories: one register and one kv store, applied one operation at a time. */
class SequentialObject {
  private register: number | null = null;
  private readonly store = new Map<string, string>();

  /** Applies `input` and returns its output (`null` for writes). */
  apply(input: CasRegisterInput<number> | KvInput): unknown {
    switch (input.op) {
      case 'read':
        return this.register;
      case 'write':
        this.register = input.value;
        return null;
      case 'cas': {
        const swapped = this.register === input.from;
        if (swapped) this.register = input.to;
        return swapped;
      }
      case 'get':
        return this.store.get(input.key) ?? null;
      case 'put':
        this.store.set(input.key, input.value);
        return null;
      case 'append':
        this.store.set(input.key, (this.store.get(input.key) ?? '') + input.value);
        return null;
    }
  }
}

export function generateHistory(options: GeneratorOptions): Operation<CasRegisterInput<number> | KvInput, unknown>[] {
  const { clients, operations, inFlight, unknownPerMille, object } = options;
  const keys = options.keys ?? 10;
  const values = options.values ?? 5;
  const [getWeight, putWeight, appendWeight] = options.kvMix ?? [2, 1, 1];
  const slowPerMille = options.slowPerMille ?? 0;
  const random = Prng.fromSeed(options.seed);
  // in flight = clients * latency / (latency + gap)  =>  gap = latency * (clients / inFlight - 1)
  const meanGap = Math.max(0, Math.round(LATENCY * (clients / Math.min(inFlight, clients) - 1)));
  const free = Array.from({ length: clients }, () => random.intLessThan(LATENCY));
  const clientOf = Array.from({ length: clients }, (_, slot) => slot);
  const drafts: Draft<CasRegisterInput<number> | KvInput>[] = [];
  for (let id = 0; id < operations; id++) {
    let slot = 0;
    for (let s = 1; s < clients; s++) if (free[s]! < free[slot]!) slot = s;
    const call = free[slot]! + (meanGap === 0 ? 0 : random.intLessThan(2 * meanGap + 1));
    const slow = slowPerMille > 0 && random.intLessThan(1000) < slowPerMille;
    const duration = (1 + random.intLessThan(2 * LATENCY - 1)) * (slow ? 20 : 1);
    const ret = call + duration;
    let input: CasRegisterInput<number> | KvInput;
    if (object === 'casRegister') {
      const pick = random.intLessThan(3);
      input = pick === 0 ? { op: 'read' } : pick === 1 ? { op: 'write', value: random.intLessThan(values) } : { op: 'cas', from: random.intLessThan(values), to: random.intLessThan(values) };
    } else {
      const key = `k${random.intLessThan(keys)}`;
      const pick = random.intLessThan(getWeight + putWeight + appendWeight);
      input = pick < getWeight ? { op: 'get', key } : pick < getWeight + putWeight ? { op: 'put', key, value: `v${id}` } : { op: 'append', key, value: `.${id}` };
    }
    const unknown = random.intLessThan(1000) < unknownPerMille;
    const takesEffect = !unknown || random.bool();
    const at = takesEffect ? call + random.intLessThan(duration + 1) : Number.POSITIVE_INFINITY;
    drafts.push({ id, client: clientOf[slot]!, input, call, return: unknown ? Number.POSITIVE_INFINITY : ret, at, unknown });
    free[slot] = ret;
    if (unknown) clientOf[slot]! += clients;
  }
  // Apply in the order the operations take effect; equal instants lie inside both intervals, so any order of them is valid.
  const order = drafts.filter((d) => d.at !== Number.POSITIVE_INFINITY).sort((a, b) => a.at - b.at || a.id - b.id);
  const outputs = new Map<number, unknown>();
  const real = new SequentialObject();
  for (const d of order) outputs.set(d.id, real.apply(d.input));
  return drafts.map((d) => ({ id: d.id, client: d.client, input: d.input, output: d.unknown ? undefined : outputs.get(d.id), call: d.call, return: d.return }));
}

// ---------------------------------------------------------------------------------------------
// Histories from a simulated world
// ---------------------------------------------------------------------------------------------

interface SimState {
  readonly env: Env;
  readonly history: ReturnType<typeof createHistory<CasRegisterInput<number> | KvInput, unknown>>;
}

/**
 * Runs `operations` operations of `clients` clients against an in-memory register or kv store in
 * a simulated world (a request in flight, the store applies it, a response in flight, each a
 * simulated sleep; about 1% of responses are lost: the client records `info` and a new client
 * takes its place), recorded with `createHistory`; returns the recorded operations.
 */
async function simulatedHistory(object: 'casRegister' | 'kv', clients: number, operations: number, seed: bigint): Promise<readonly RecordedOperation[]> {
  let recorded: readonly RecordedOperation[] = [];
  const c = defineCase<SimState>({
    name: `bench-linearizability-${object}-${clients}x${operations}`,
    hermetic: false,
    maxEvents: 40 * operations + 1000,
    init(world) {
      const sim = world.simulate();
      return { env: sim.env, history: createHistory(sim.env) };
    },
    async scenario({ env, history }) {
      const real = new SequentialObject();
      let issued = 0;
      const client = async (slot: number) => {
        let id = slot;
        while (issued < operations) {
          const n = issued++;
          await env.clock.sleep(1 + env.random.intLessThan(2_000_000));
          let input: CasRegisterInput<number> | KvInput;
          if (object === 'casRegister') {
            const pick = env.random.intLessThan(3);
            input = pick === 0 ? { op: 'read' } : pick === 1 ? { op: 'write', value: env.random.intLessThan(5) } : { op: 'cas', from: env.random.intLessThan(5), to: env.random.intLessThan(5) };
          } else {
            const key = `k${env.random.intLessThan(10)}`;
            const pick = env.random.intLessThan(4);
            input = pick < 2 ? { op: 'get', key } : pick === 2 ? { op: 'put', key, value: `v${n}` } : { op: 'append', key, value: `.${n}` };
          }
          const pending = history.invoke(id, input);
          await env.clock.sleep(1 + env.random.intLessThan(1_000_000)); // the request in flight
          const output = real.apply(input);
          await env.clock.sleep(1 + env.random.intLessThan(1_000_000)); // the response in flight
          if (env.random.intLessThan(100) === 0) {
            pending.info(); // the response was lost: outcome unknown, a new client takes over
            id += clients;
          } else {
            pending.ok(output);
          }
        }
      };
      await Promise.all(Array.from({ length: clients }, (_, slot) => client(slot)));
    },
    checks: [
      {
        name: 'capture the history',
        check({ history }) {
          recorded = history.operations;
        },
      },
    ],
  });
  const outcome = await runOnce(c, { seed, captureStacks: false });
  if (outcome.failure !== undefined) throw new Error(`simulated workload failed: ${outcome.failure.errorMessage}`);
  return recorded;
}

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

type AnyModel = Model<any, any, any>;
type AnyOperations = readonly Operation<any, any>[];

/**
 * Porcupine's figures from the issue (Go 1.19, a 2-core machine), with the search steps its
 * checker takes on those histories (counted with a step counter added to a copy of Porcupine
 * 55508eb, on its own test data). `checkLinearizable` takes the same steps on the same histories
 * (3,834,787, 918,107 and 1,646,315: the same search, up to tie order), so the time per step
 * compares the two checkers on any shape; total times compare only on histories of equal difficulty.
 */
const PORCUPINE = {
  etcd: { ms: 600, steps: 3_834_765, data: "102 Jepsen etcd histories: 8,450 ops, 15% unknown, 79 of them illegal" },
  kv50: { ms: 200, steps: 918_097, data: 'the 6.824 c50-ok log: 1,712 ops, 48 of 50 clients in flight' },
  kv10Whole: { ms: 3000, steps: 1_646_314, data: 'the 6.824 c10-ok log: 337 ops, 9 of 10 clients in flight' },
} as const;

interface Measured {
  readonly result: LinearizabilityResult;
  readonly ms: number;
  /** Growth of heapUsed + arrayBuffers over the check (from a collected heap, no GC forced in between), MiB. */
  readonly memMiB: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
/** V8 heap plus ArrayBuffer memory (large typed arrays, such as the search's bitsets, live outside the heap). */
const memoryNow = (): number => {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};

/**
 * A collected heap: full GCs until the ArrayBuffer memory freed by an earlier check (released
 * after the collection, on a later turn) is gone, so the next memory figure starts from it.
 */
async function settle(): Promise<void> {
  if (gc === undefined) return;
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = memoryNow();
    if (now >= last - 2 ** 16) return;
    last = now;
  }
}

/**
 * One check; with `collect`, from a settled heap so the memory figure means something (a forced
 * full GC slows a short check that follows, so timing passes go without).
 */
async function measure(model: AnyModel, operations: AnyOperations, timeoutMs: number | undefined, collect: boolean): Promise<Measured> {
  if (collect) await settle();
  const before = memoryNow();
  const start = performance.now();
  const result = checkLinearizable(model, operations, timeoutMs === undefined ? {} : { timeoutMs });
  const ms = performance.now() - start;
  const memMiB = (memoryNow() - before) / 2 ** 20;
  return { result, ms, memMiB };
}

/** The kv model checked whole: `models.kv()` without `partition`. */
function kvWhole(): AnyModel {
  const { partition: _, ...rest } = models.kv();
  return { ...rest, name: 'kv (whole)' };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const millis = (ms: number) => (ms < 10 ? `${ms.toFixed(2)} ms` : ms < 1000 ? `${ms.toFixed(0)} ms` : seconds(ms));
const mib = (value: number) => `${value.toFixed(1)} MiB`;
const count = (n: number) => Math.round(n).toLocaleString('en-US');
const perStep = (ms: number, steps: number) => `${((ms * 1000) / Math.max(1, steps)).toFixed(2)} µs/step`;
const unknownShare = (ops: AnyOperations) => `${((100 * ops.filter((op) => op.return === Number.POSITIVE_INFINITY).length) / Math.max(1, ops.length)).toFixed(1)}% unknown`;

/** `0.45x Porcupine's 0.60 s (target <= 2x: met)` plus the per-step comparison. */
function versus(ms: number, steps: number, porcupine: { readonly ms: number; readonly steps: number; readonly data: string }): string {
  const ratio = ms / porcupine.ms;
  const stepRatio = ms / steps / (porcupine.ms / porcupine.steps);
  return (
    `${ratio.toFixed(2)}x Porcupine's ${seconds(porcupine.ms)} (target <= 2x: ${ratio <= 2 ? 'met' : 'NOT met'}); ` +
    `per step ${perStep(ms, steps)} vs Porcupine's ${perStep(porcupine.ms, porcupine.steps)} = ${stepRatio.toFixed(1)}x ` +
    `(Porcupine's data, ${porcupine.data}, needs ${count(porcupine.steps)} steps; here ${count(steps)}: ` +
    `${steps < porcupine.steps / 2 ? 'an EASIER shape, so the total-time ratio flatters us' : steps > porcupine.steps * 2 ? 'a HARDER shape, so the total-time ratio is unfair to us' : 'a comparable difficulty'})`
  );
}

export async function linearizabilityBench(roundMs: number): Promise<string[]> {
  const passes = roundMs >= 500 ? 3 : 1;
  const failures: string[] = [];
  const check = (what: string, m: Measured): string => {
    if (m.result.result === 'illegal') failures.push(`!!! FAIL: ${what}: a history linearizable by construction came back illegal:\n${m.result.explanation}`);
    return m.result.result === 'ok' ? 'ok' : m.result.result === 'unknown' ? 'unknown (time budget hit)' : 'ILLEGAL (checker bug)';
  };
  /**
   * One history: a first check from a collected heap (its memory figure), then `passes` more
   * without forcing GC when the first took under a second; the time is their median.
   */
  const timed = async (what: string, model: AnyModel, ops: AnyOperations, timeoutMs?: number) => {
    const first = await measure(model, ops, timeoutMs, true);
    const verdict = check(what, first);
    const runs: Measured[] = [];
    while (runs.length < passes && first.ms < 1000) runs.push(await measure(model, ops, timeoutMs, false));
    const ms = runs.length === 0 ? first.ms : median(runs.map((r) => r.ms));
    return { ms, steps: first.result.steps, memMiB: first.memMiB, verdict, runs: Math.max(1, runs.length) };
  };
  const lines = [
    `## linearizability: checkLinearizable per history (memory = growth of heapUsed + arrayBuffers over one check${gc === undefined ? '; run with --expose-gc for clean figures' : ''})`,
  ];

  // --- etcd-like: 102 cas-register histories of ~85 operations --------------------------------
  const etcdLike = async (label: string, make: (i: number) => AnyOperations) => {
    const histories = Array.from({ length: 102 }, (_, i) => make(i));
    const model = models.casRegister();
    // The first pass checks every verdict and measures memory (a collected heap before each history); the timed passes follow.
    const memory: number[] = [];
    for (const [i, ops] of histories.entries()) {
      const m = await measure(model, ops, undefined, true);
      check(`${label} history ${i}`, m);
      memory.push(m.memMiB);
    }
    const totals: number[] = [];
    let last: Measured[] = [];
    await settle();
    for (let p = 0; p < passes; p++) {
      last = [];
      for (const ops of histories) last.push(await measure(model, ops, undefined, false));
      totals.push(last.reduce((sum, m) => sum + m.ms, 0));
    }
    const ops = histories.reduce((sum, h) => sum + h.length, 0);
    const steps = last.reduce((sum, m) => sum + m.result.steps, 0);
    const unknown = histories.reduce((sum, h) => sum + h.filter((op) => op.return === Number.POSITIVE_INFINITY).length, 0);
    const ok = last.filter((m) => m.result.result === 'ok').length;
    const total = median(totals);
    lines.push(
      `${label}: 102 casRegister histories, ${count(ops)} ops (~${Math.round(ops / 102)} each = ~${Math.round((2 * ops) / 102)} log lines), ` +
        `${((100 * unknown) / ops).toFixed(1)}% unknown: ${seconds(total)} in all (median of ${passes} passes), ` +
        `${millis(median(last.map((m) => m.ms)))} median a history, max ${millis(Math.max(...last.map((m) => m.ms)))}, ` +
        `memory max +${mib(Math.max(...memory))}, ${count(steps)} steps, ${ok}/102 ok`,
      `  vs Porcupine: ${versus(total, steps, PORCUPINE.etcd)}`,
    );
  };
  await etcdLike('etcd-like (5-10 clients, ~70% in flight, values 0-4, 5% unknown)', (i) =>
    generateHistory({ seed: BigInt(1000 + i), object: 'casRegister', clients: 5 + (i % 6), operations: 80 + (i % 11), inFlight: 0.7 * (5 + (i % 6)), unknownPerMille: 50 }),
  );
  await etcdLike("etcd, Jepsen's timeouts (5 clients, 4 in flight, 15% unknown, 5% of ops 20x slower)", (i) =>
    generateHistory({ seed: BigInt(5000 + i), object: 'casRegister', clients: 5, operations: 80 + (i % 11), inFlight: 4, unknownPerMille: 150, slowPerMille: 50 }),
  );

  // --- kv, 50 clients, ~2,000 ops, partitioned by key ----------------------------------------
  const kv50 = async (label: string, options: Omit<GeneratorOptions, 'seed' | 'object' | 'clients' | 'operations'>, timeoutMs: number) => {
    const ops = generateHistory({ seed: 2000n, object: 'kv', clients: 50, operations: 2000, ...options });
    const t = await timed(`kv 50 clients ${label}`, models.kv(), ops, timeoutMs);
    lines.push(
      `kv 50 clients (${label}), ${count(ops.length)} ops (~${count(2 * ops.length)} lines), partitioned by key: ${millis(t.ms)} (median of ${t.runs}), ` +
        `${count(t.steps)} steps, memory +${mib(t.memMiB)}, ${t.verdict}`,
      t.verdict === 'ok' ? `  vs Porcupine: ${versus(t.ms, t.steps, PORCUPINE.kv50)}` : `  vs Porcupine: no verdict within ${seconds(timeoutMs)}; per step ${perStep(t.ms, t.steps)} vs Porcupine's ${perStep(PORCUPINE.kv50.ms, PORCUPINE.kv50.steps)} (Porcupine's c50-ok needs ${count(PORCUPINE.kv50.steps)} steps: this shape is far HARDER)`,
    );
  };
  await kv50('25 in flight, 10 keys, 50% get, 25% put, 25% append', { inFlight: 25, unknownPerMille: 0, keys: 10 }, 30_000);
  await kv50('6.824-like: 48 in flight, 10 keys, 45% get, 5% put, 50% append', { inFlight: 48, unknownPerMille: 0, keys: 10, kvMix: [45, 5, 50] }, 4_000);

  // --- kv, 10 clients, ~350 ops, checked whole ------------------------------------------------
  {
    const ops = generateHistory({ seed: 3000n, object: 'kv', clients: 10, operations: 340, inFlight: 9.2, unknownPerMille: 0, keys: 10, kvMix: [45, 5, 50], slowPerMille: 50 });
    const t = await timed('kv 10 clients whole', kvWhole(), ops, 30_000);
    lines.push(
      `kv 10 clients (6.824-like: ~9 in flight, 10 keys, 5% of ops 20x slower), ${count(ops.length)} ops (~${count(2 * ops.length)} lines), ` +
        `checked whole (kv without partition): ${millis(t.ms)} (median of ${t.runs}), ${count(t.steps)} steps, memory +${mib(t.memMiB)}, ${t.verdict}`,
      `  vs Porcupine: ${versus(t.ms, t.steps, PORCUPINE.kv10Whole)}`,
    );
  }

  // --- scaling: 1,000 to 100,000 operations ---------------------------------------------------
  lines.push('scaling (generated, 0.2% unknown; kv: 10 keys, partitioned, half the clients in flight; casRegister: one register, 4 in flight; budget 4 s a history):');
  for (const object of ['kv', 'casRegister'] as const) {
    for (const clients of [10, 50]) {
      const cells: string[] = [];
      for (const operations of [1_000, 10_000, 100_000]) {
        const ops = generateHistory({
          seed: BigInt(operations + clients),
          object,
          clients,
          operations,
          inFlight: object === 'kv' ? clients / 2 : 4,
          unknownPerMille: 2,
          keys: 10,
        });
        const t = await timed(`${object} ${clients} clients ${operations} ops`, object === 'kv' ? models.kv() : models.casRegister(), ops, 4_000);
        cells.push(`${count(operations)}: ${millis(t.ms)} ${t.verdict === 'ok' ? '' : `${t.verdict} `}(${count(t.steps)} steps, +${mib(t.memMiB)})`);
      }
      lines.push(`  ${object} ${clients} clients: ${cells.join('; ')}`);
    }
  }

  // --- histories recorded in a simulated world ------------------------------------------------
  for (const object of ['casRegister', 'kv'] as const) {
    const cells: string[] = [];
    for (const operations of [1_000, 10_000]) {
      const start = performance.now();
      const ops = await simulatedHistory(object, 10, operations, BigInt(operations));
      const simMs = performance.now() - start;
      const t = await timed(`simulated ${object} ${operations}`, object === 'kv' ? models.kv() : models.casRegister(), ops, 10_000);
      cells.push(`${count(ops.length)} ops (${unknownShare(ops)}, recorded in ${millis(simMs)}): ${millis(t.ms)} ${t.verdict}, ${count(t.steps)} steps, +${mib(t.memMiB)}`);
    }
    lines.push(`simulated world, 10 clients, in-memory ${object === 'kv' ? 'kv store (10 keys, partitioned)' : 'cas register'} recorded with createHistory: ${cells.join('; ')}`);
  }

  // --- a non-linearizable history must come back illegal --------------------------------------
  {
    const verdicts: string[] = [];
    const mutants: [string, AnyModel, Operation<any, any>[], (op: Operation<any, any>) => boolean, unknown][] = [
      ['casRegister', models.casRegister(), generateHistory({ seed: 77n, object: 'casRegister', clients: 10, operations: 1000, inFlight: 4, unknownPerMille: 2 }), (op) => op.input.op === 'read', 99],
      ['kv', models.kv(), generateHistory({ seed: 78n, object: 'kv', clients: 10, operations: 1000, inFlight: 5, unknownPerMille: 2, keys: 10 }), (op) => op.input.op === 'get', 'never-written'],
    ];
    for (const [name, model, ops, isRead, bogus] of mutants) {
      const index = ops.findIndex((op, i) => i >= ops.length / 2 && isRead(op) && op.output !== undefined);
      ops[index] = { ...ops[index]!, output: bogus };
      const m = await measure(model, ops, 10_000, false);
      if (m.result.result !== 'illegal') failures.push(`!!! FAIL: ${name}: a read of a value never written (operation ${index}) came back ${m.result.result}, not illegal`);
      verdicts.push(`${name} ${m.result.result} in ${millis(m.ms)}`);
    }
    lines.push(`mutated (one read of a never-written value in 1,000 ops, must be illegal): ${verdicts.join(', ')}`);
  }

  lines.push(failures.length === 0 ? 'every generated and recorded history came back ok (or unknown where a budget was hit)' : `!!! ${failures.length} CORRECTNESS FAILURE(S):`);
  lines.push(...failures);
  if (failures.length > 0) process.exitCode = 1;
  return lines;
}
