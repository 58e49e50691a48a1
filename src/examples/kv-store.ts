/**
 * KV store: a fixed-size append-only WAL, one record per 16-byte sector (magic, key, value,
 * checksum). A synced record survives a crash, an unsynced one may not, and recovery must never
 * return a record that was not written whole. The buggy store trusts the magic alone, so a torn
 * write (magic and key landed, value and checksum not) comes back as a phantom record.
 */
import { BuggifyRate, defineCase, type Env, type Simulation, type World } from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';
import { retryIo } from './_shared/retry-io.js';
import { decodeRecord, encodeRecord, recordBytes, type DecodedRecord } from './_shared/wal-record.js';

const MAGIC = 0x4b565731; // "KVW1"
const RECORD_BYTES = recordBytes(2);
const WAL_PATH = 'kv.wal';
/** Recovery reads at most this many records: a bound on the scan. */
const MAX_RECORDS = 64;
/** An invalid record is re-read this often before recovery stops at it: a read can be corrupted in flight. */
const REREADS = 3;

/** A recovered record. */
export interface KvRecord {
  readonly key: number;
  readonly value: number;
}

/** Options of {@link KvStore}. */
export interface KvStoreOptions {
  /** The bug: accept a record whose magic is right without checking its checksum. */
  readonly acceptMagicOnly: boolean;
}

/** A production-shaped KV store over `env.disk`: runs unchanged on the simulated and the real disk. */
export class KvStore {
  private nextOffset = 0;

  constructor(
    private readonly env: Env,
    private readonly options: KvStoreOptions,
  ) {}

  /** Appends a record (not yet durable); returns its offset. */
  async append(key: number, value: number): Promise<number> {
    const offset = this.nextOffset;
    await retryIo(this.env, () => this.env.disk.write({ path: WAL_PATH, offset, bytes: encodeRecord(MAGIC, [key, value]) }));
    this.nextOffset += RECORD_BYTES;
    this.env.record('kv.append', { key, value, offset });
    return offset;
  }

  /** Makes every appended record durable. */
  async sync(): Promise<void> {
    await this.env.disk.sync({ path: WAL_PATH });
    this.env.record('kv.sync', { records: this.nextOffset / RECORD_BYTES });
  }

  /** Scans the WAL from the start and returns its records, stopping at the first invalid one. */
  async recover(): Promise<KvRecord[]> {
    const records: KvRecord[] = [];
    const mode = this.options.acceptMagicOnly ? 'buggy_accept_magic_only' : 'checksum';
    for (let i = 0; i < MAX_RECORDS; i++) {
      const offset = i * RECORD_BYTES;
      const acceptable = (record: DecodedRecord) => record.status === 'ok' || (record.status === 'bad_checksum' && this.options.acceptMagicOnly);
      let decoded = decodeRecord(await this.readRecord(offset), MAGIC, 2);
      for (let reread = 0; !acceptable(decoded) && reread < REREADS; reread++) {
        decoded = decodeRecord(await this.readRecord(offset), MAGIC, 2);
      }
      if (!acceptable(decoded)) {
        this.env.record('kv.recover.reject', { offset, reason: decoded.status });
        break;
      }
      const [key, value] = (decoded as { fields: number[] }).fields as [number, number];
      records.push({ key, value });
      this.env.record('kv.recover.record', { offset, key, value, mode });
    }
    this.nextOffset = records.length * RECORD_BYTES;
    this.env.record('kv.recover.done', { records: records.length });
    return records;
  }

  private readRecord(offset: number): Promise<Uint8Array> {
    return retryIo(this.env, () => this.env.disk.read({ path: WAL_PATH, offset, length: RECORD_BYTES }));
  }
}

interface KvState {
  readonly sim: Simulation;
  readonly store: KvStore;
  readonly written: KvRecord[];
  readonly synced: KvRecord[];
  recovered: KvRecord[];
}

const init = (acceptMagicOnly: boolean) => (world: World): KvState => {
  const sim = world.simulate({ disk: { sectorSize: RECORD_BYTES } });
  return { sim, store: new KvStore(sim.env, { acceptMagicOnly }), written: [], synced: [], recovered: [] };
};

/** How the scripted scenario crashes the unsynced record. */
export type KvCrashMode = 'lost' | 'torn';

/**
 * The scripted scenario: one synced record, one unsynced record, a crash that loses or tears the
 * unsynced one, a restart, optionally scripted corruption of the second sector, and recovery.
 */
export function kvStoreScriptedCase(name: string, options: { acceptMagicOnly: boolean; crash: KvCrashMode; corruptSecondSector: boolean }) {
  return defineCase<KvState>({
    name,
    description: options.acceptMagicOnly
      ? 'WAL recovery that trusts the magic alone brings back a torn unsynced record'
      : 'synced record survives a crash; lost and corrupted unsynced data is rejected by checksum',
    tags: ['example:kv_store'],
    attributes: { crash: options.crash, corrupt_second_sector: options.corruptSecondSector },
    init: init(options.acceptMagicOnly),
    async scenario(state) {
      const { sim, store } = state;
      await store.append(1, 100);
      await store.sync();
      state.synced.push({ key: 1, value: 100 });
      await store.append(2, 200);
      state.written.push({ key: 1, value: 100 }, { key: 2, value: 200 });
      const always = BuggifyRate.always();
      await sim.control.disk.setFaults(options.crash === 'lost' ? { crashLostWriteRate: always } : { crashTornWriteRate: always });
      await sim.control.disk.crash();
      await sim.control.disk.restart();
      if (options.corruptSecondSector) await sim.control.disk.corruptSector(WAL_PATH, RECORD_BYTES);
      state.recovered = await new KvStore(sim.env, { acceptMagicOnly: options.acceptMagicOnly }).recover();
    },
    checks: [syncedRecoveredOnce, {
      name: 'unsynced record not recovered',
      check({ sim, recovered }) {
        if (recovered.some((record) => record.key !== 1)) {
          sim.env.record('kv.invariant_violation', { reason: 'unsynced_record_recovered' });
          throw new InvariantViolation(`recovered ${JSON.stringify(recovered)}; only key 1 was synced`);
        }
      },
    }],
  });
}

const syncedRecoveredOnce = {
  name: 'synced records recovered exactly once',
  check({ sim, synced, recovered }: KvState) {
    for (const record of synced) {
      const copies = recovered.filter((r) => r.key === record.key && r.value === record.value).length;
      if (copies !== 1) {
        sim.env.record('kv.invariant_violation', { reason: 'synced_record_lost', key: record.key, copies });
        throw new InvariantViolation(`synced record ${record.key}=${record.value} recovered ${copies} times`);
      }
    }
  },
};

/**
 * The probabilistic scenario: a seeded number of records, each synced or not at random, then a
 * crash and recovery under whatever disk faults the profile sets. Under `none` a crash lands every
 * write, so nothing can go wrong; under `swarm`, torn writes and corrupt reads expose the buggy store.
 */
export function kvStoreSwarmCase(name: string, acceptMagicOnly: boolean) {
  return defineCase<KvState>({
    name,
    description: acceptMagicOnly
      ? 'magic-only WAL recovery under profile disk faults (fails only when the profile tears writes or corrupts reads)'
      : 'checksummed WAL recovery under profile disk faults',
    tags: ['example:kv_store', 'probabilistic'],
    init: init(acceptMagicOnly),
    async scenario(state) {
      const { sim, store } = state;
      const { env } = sim;
      const count = 1 + env.random.intLessThan(6);
      for (let key = 1; key <= count; key++) {
        const record = { key, value: env.random.intLessThan(1_000_000) };
        await store.append(record.key, record.value);
        state.written.push(record);
        if (env.random.bool()) {
          await store.sync();
          state.synced.push(...state.written.filter((r) => !state.synced.includes(r)));
        }
      }
      await sim.control.disk.crash();
      await sim.control.disk.restart();
      state.recovered = await new KvStore(env, { acceptMagicOnly }).recover();
    },
    checks: [
      syncedRecoveredOnce,
      {
        name: 'recovered records were written whole',
        check({ sim, written, recovered }) {
          for (const record of recovered) {
            if (!written.some((w) => w.key === record.key && w.value === record.value)) {
              sim.env.record('kv.invariant_violation', { reason: 'phantom_record', key: record.key, value: record.value });
              throw new InvariantViolation(`recovered ${record.key}=${record.value}, which was never written`);
            }
          }
        },
      },
    ],
  });
}

/** Correct store: the unsynced record is lost by the crash, and sector 2 is corrupted; only the synced record comes back. */
export const kvStore = kvStoreScriptedCase('kv-store', { acceptMagicOnly: false, crash: 'lost', corruptSecondSector: true });
/** Buggy store: the crash tears the unsynced record and recovery accepts it on its magic alone. */
export const kvStoreBug = kvStoreScriptedCase('kv-store-bug', { acceptMagicOnly: true, crash: 'torn', corruptSecondSector: false });
/** Correct store under the profile's disk faults. */
export const kvStoreSwarm = kvStoreSwarmCase('kv-store-swarm', false);
/** Buggy store under the profile's disk faults: rare under `none`, found by `swarm`. */
export const kvStoreSwarmBug = kvStoreSwarmCase('kv-store-swarm-bug', true);
