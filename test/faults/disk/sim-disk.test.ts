import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';

const always = mar.BuggifyRate.always();
const bytes = (...values: number[]) => Uint8Array.from(values);
const sector = (fill: number, size = 8) => new Uint8Array(size).fill(fill);

function disk(options: mar.DiskOptions = { sectorSize: 8 }, seed = 1) {
  const world = new mar.World({ seed });
  const sim = world.simulate({ disk: options });
  const events = (prefix: string) =>
    world.trace.text().trimEnd().split('\n').map((line) => line.replace(/^event=\d+ /, '')).filter((line) => line.startsWith(prefix));
  return { world, sim, disk: sim.env.disk, control: sim.control.disk, events };
}

describe('simulated disk: I/O', () => {
  it('reads back what was written, zeros where nothing was, and traces every operation', async () => {
    const { disk: d, events } = disk();
    await d.write({ path: 'data/a', offset: 8, bytes: sector(7) });
    expect(await d.read({ path: 'data/a', offset: 0, length: 24 })).toEqual(Uint8Array.from([...sector(0), ...sector(7), ...sector(0)]));
    expect(await d.read({ path: 'never/written', offset: 0, length: 8 })).toEqual(sector(0));
    await d.sync({ path: 'data/a' });
    expect(events('disk.')).toEqual([
      'disk.init sector_size=8 min_latency_ns=0 latency_jitter_ns=0',
      'disk.faults read_error_rate=0/1 write_error_rate=0/1 corrupt_read_rate=0/1 crash_lost_write_rate=0/1 crash_torn_write_rate=0/1',
      'disk.write op=0 path=data/a offset=8 len=8 status=ok latency_ns=0',
      'disk.read op=1 path=data/a offset=0 len=24 status=ok latency_ns=0',
      'disk.read op=2 path=never/written offset=0 len=8 status=ok latency_ns=0',
      'disk.sync op=3 path=data/a status=ok committed_writes=1 latency_ns=0',
    ]);
  });

  it('copies written bytes, so later changes by the caller do not leak into the disk', async () => {
    const { disk: d } = disk();
    const buffer = sector(1);
    await d.write({ path: 'f', offset: 0, bytes: buffer });
    buffer.fill(9);
    expect(await d.read({ path: 'f', offset: 0, length: 8 })).toEqual(sector(1));
  });

  it.each([
    [{ path: 'f', offset: 4, bytes: sector(1) }, /offset must be a non-negative multiple of sectorSize 8, got 4/],
    [{ path: 'f', offset: 0, bytes: bytes(1, 2, 3) }, /length must be a positive multiple of sectorSize 8, got 3/],
    [{ path: 'f', offset: 0, bytes: new Uint8Array(0) }, /length must be a positive multiple/],
    [{ path: '../escape', offset: 0, bytes: sector(1) }, /path must be a relative logical path/],
    [{ path: '/abs', offset: 0, bytes: sector(1) }, /path must be a relative logical path/],
    [{ path: 'a//b', offset: 0, bytes: sector(1) }, /path must be a relative logical path/],
    [{ path: 'f', offset: 0, bytes: [1, 2] }, /bytes must be a Uint8Array/],
  ])('rejects a malformed write %#', async (request, message) => {
    const { disk: d } = disk();
    expect(() => d.write(request as never)).toThrow(mar.InvalidArgument);
    expect(() => d.write(request as never)).toThrow(message);
  });

  it('rejects misaligned reads and a bad sector size', () => {
    const { disk: d } = disk();
    expect(() => d.read({ path: 'f', offset: 0, length: 5 })).toThrow(/length must be a positive multiple of sectorSize 8, got 5/);
    expect(() => new mar.World({ seed: 1 }).simulate({ disk: { sectorSize: 12 } })).toThrow(/sectorSize must be a power of two/);
  });

  it('advances simulated time by each operation latency', async () => {
    const { sim, disk: d, events } = disk({ sectorSize: 8, minLatencyNs: 100, latencyJitterNs: 50 });
    await d.write({ path: 'f', offset: 0, bytes: sector(1) });
    const latency = Number(/latency_ns=(\d+)/.exec(events('disk.write')[0]!)![1]);
    expect(latency).toBeGreaterThanOrEqual(100);
    expect(latency).toBeLessThanOrEqual(150);
    expect(sim.env.clock.now()).toBe(latency);
  });
});

describe('simulated disk: durability and crashes', () => {
  it('lands every pending write on crash under the none profile', async () => {
    const { disk: d, control, events } = disk();
    await d.write({ path: 'f', offset: 0, bytes: sector(1) });
    await control.crash();
    await control.restart();
    expect(await d.read({ path: 'f', offset: 0, length: 8 })).toEqual(sector(1));
    expect(events('disk.crash')).toEqual([
      'disk.crash_write op=0 path=f offset=0 len=8 result=landed',
      'disk.crash pending_writes=1 landed=1 lost=0 torn=0',
    ]);
    expect(events('disk.restart')).toEqual(['disk.restart status=ok']);
  });

  it('keeps synced data and loses unsynced data when crashes lose writes', async () => {
    const { disk: d, control } = disk();
    await control.setFaults({ crashLostWriteRate: always });
    await d.write({ path: 'f', offset: 0, bytes: sector(1) });
    await d.sync({ path: 'f' });
    await d.write({ path: 'f', offset: 8, bytes: sector(2) });
    await d.write({ path: 'f', offset: 0, bytes: sector(3) });
    expect(await d.read({ path: 'f', offset: 0, length: 16 })).toEqual(Uint8Array.from([...sector(3), ...sector(2)]));
    await control.crash();
    await control.restart();
    expect(await d.read({ path: 'f', offset: 0, length: 16 })).toEqual(Uint8Array.from([...sector(1), ...sector(0)]));
  });

  it('syncs only the path it is given', async () => {
    const { disk: d, control } = disk();
    await control.setFaults({ crashLostWriteRate: always });
    await d.write({ path: 'a', offset: 0, bytes: sector(1) });
    await d.write({ path: 'b', offset: 0, bytes: sector(2) });
    await d.sync({ path: 'a' });
    await control.crash();
    await control.restart();
    expect(await d.read({ path: 'a', offset: 0, length: 8 })).toEqual(sector(1));
    expect(await d.read({ path: 'b', offset: 0, length: 8 })).toEqual(sector(0));
  });

  it('tears a write at a 4-byte boundary strictly inside it', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const { disk: d, control, events } = disk({ sectorSize: 16 }, seed);
      await control.setFaults({ crashTornWriteRate: always });
      await d.write({ path: 'f', offset: 0, bytes: sector(0xab, 16) });
      await control.crash();
      await control.restart();
      const after = await d.read({ path: 'f', offset: 0, length: 16 });
      const landed = Number(/landed_bytes=(\d+)/.exec(events('disk.crash_write')[0]!)![1]);
      expect([4, 8, 12]).toContain(landed);
      expect(after).toEqual(Uint8Array.from({ length: 16 }, (_, i) => (i < landed ? 0xab : 0)));
    }
  });

  it('rejects I/O with DiskCrashed while crashed, and an operation in flight across a crash', async () => {
    const { disk: d, control, events } = disk({ sectorSize: 8, minLatencyNs: 1000 });
    const inFlight = d.write({ path: 'f', offset: 0, bytes: sector(1) });
    await control.crash();
    await expect(inFlight).rejects.toThrow(mar.DiskCrashed);
    await expect(d.read({ path: 'f', offset: 0, length: 8 })).rejects.toThrow(mar.DiskCrashed);
    await expect(d.sync({ path: 'f' })).rejects.toThrow(/the disk is crashed/);
    expect(events('disk.read')).toEqual(['disk.read op=1 path=f offset=0 len=8 status=crashed latency_ns=0']);
    await control.restart();
    expect(await d.read({ path: 'f', offset: 0, length: 8 })).toEqual(sector(1));
  });

  it('inverts a sector with scripted corruption', async () => {
    const { disk: d, control, events } = disk();
    await d.write({ path: 'f', offset: 8, bytes: sector(0x0f) });
    await control.corruptSector('f', 8);
    expect(await d.read({ path: 'f', offset: 8, length: 8 })).toEqual(sector(0xf0));
    expect(events('disk.fault ')).toEqual(['disk.fault path=f offset=8 kind=scripted_corruption']);
    await expect(control.corruptSector('f', 3)).rejects.toThrow(/offset must be a non-negative multiple/);
  });
});

describe('simulated disk: injected faults', () => {
  it('fails reads and writes with DiskIoError; a failed write writes nothing', async () => {
    const { disk: d, control, events } = disk();
    await control.setFaults({ writeErrorRate: always });
    await expect(d.write({ path: 'f', offset: 0, bytes: sector(1) })).rejects.toThrow(mar.DiskIoError);
    await control.setFaults({ writeErrorRate: mar.BuggifyRate.never(), readErrorRate: always });
    await expect(d.read({ path: 'f', offset: 0, length: 8 })).rejects.toMatchObject({ name: 'DiskIoError', code: 'EIO' });
    await control.setFaults({ readErrorRate: mar.BuggifyRate.never() });
    expect(await d.read({ path: 'f', offset: 0, length: 8 })).toEqual(sector(0));
    expect(events('disk.fault ')).toEqual([
      'disk.fault op=0 path=f kind=write_error rate=1/1 roll=0 fired=true',
      'disk.fault op=1 path=f kind=read_error rate=1/1 roll=0 fired=true',
    ]);
    expect(events('disk.write')).toEqual(['disk.write op=0 path=f offset=0 len=8 status=error latency_ns=0']);
  });

  it('corrupts exactly one byte of a read while the stored data stays intact', async () => {
    const { disk: d, control } = disk();
    await d.write({ path: 'f', offset: 0, bytes: sector(0x55, 16).subarray(0, 16) });
    await control.setFaults({ corruptReadRate: always });
    const corrupted = await d.read({ path: 'f', offset: 0, length: 16 });
    expect(corrupted.filter((b) => b !== 0x55)).toEqual(Uint8Array.of(0xaa));
    await control.setFaults({ corruptReadRate: mar.BuggifyRate.never() });
    expect(await d.read({ path: 'f', offset: 0, length: 16 })).toEqual(sector(0x55, 16));
  });

  it('validates fault rates', async () => {
    const { control } = disk();
    await expect(control.setFaults({ readErrorRate: 'often' } as never)).rejects.toThrow(mar.InvalidRate);
  });

  it('has no disk unless one is configured', () => {
    const sim = new mar.World({ seed: 1 }).simulate({});
    expect(() => sim.env.disk).toThrow(/this simulation has no disk; pass \{ disk: \{ ... \} \} to world.simulate/);
    expect(() => sim.control.disk).toThrow(mar.WorldMisuse);
  });
});

describe('simulated disk: control validation', () => {
  it('rejects unknown and missing fault options', async () => {
    const { control } = disk();
    await expect(control.setFaults({ readErrRate: mar.BuggifyRate.always() } as never)).rejects.toThrow(/unknown option readErrRate/);
    await expect(control.setFaults({})).rejects.toThrow(/give at least one of/);
  });
});
