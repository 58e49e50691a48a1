import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { requestCodec, responseCodec, toyDbTransport, type ToyRequest } from '../../../src/examples/toy-db.js';
import fc from 'fast-check';

function simulated() {
  const world = new mar.World({ seed: 1 });
  const sim = world.simulate({ network: { nodes: 2 } });
  return { sim, server: toyDbTransport.server(sim.endpoint<Uint8Array>(0)), client: toyDbTransport.client(sim.endpoint<Uint8Array>(1)) };
}

describe('CodecTransport', () => {
  it('carries typed requests and responses over simulated byte endpoints', async () => {
    const { server, client } = simulated();
    client.send(0, { kind: 'set', value: -5n });
    expect(await server.receive()).toEqual({ from: 1, message: { kind: 'set', value: -5n } });
    server.send(1, { kind: 'value', value: 2n ** 63n - 1n });
    expect(await client.receive()).toEqual({ from: 0, message: { kind: 'value', value: 2n ** 63n - 1n } });
    expect(await client.receive()).toBeNull();
  });

  it('turns malformed bytes into a CodecError naming the sender, and stays usable', async () => {
    const { sim, server, client } = simulated();
    sim.endpoint<Uint8Array>(1).send(0, Uint8Array.of(0x02, 1, 2));
    client.send(0, { kind: 'get' });
    const error = await server.receive().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(mar.CodecError);
    expect(error).toMatchObject({ name: 'CodecError', from: 1, byteLength: 3 });
    expect((error as Error).message).toMatch(/3 bytes from node 1 do not decode: expected 9 bytes/);
    expect(await server.receive()).toEqual({ from: 1, message: { kind: 'get' } });
  });

  it('round-trips every request and response of the toy-db codec', () => {
    const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const request = fc.oneof(
      fc.constant<ToyRequest>({ kind: 'get' }),
      i64.map((value): ToyRequest => ({ kind: 'set', value })),
      i64.map((delta): ToyRequest => ({ kind: 'add', delta })),
    );
    fc.assert(
      fc.property(request, (r) => {
        expect(requestCodec.decode(requestCodec.encode(r))).toEqual(r);
      }),
    );
    fc.assert(
      fc.property(i64, (value) => {
        expect(responseCodec.decode(responseCodec.encode({ kind: 'value', value }))).toEqual({ kind: 'value', value });
      }),
    );
  });

  it('rejects codecs without encode and decode, and encoders that do not return bytes', () => {
    expect(() => new mar.CodecTransport({ request: {} as never, response: responseCodec })).toThrow(/request must be a codec/);
    const bad = new mar.CodecTransport({ request: { encode: () => 'text' as never, decode: () => 0 }, response: responseCodec });
    const { sim } = simulated();
    expect(() => bad.client(sim.endpoint<Uint8Array>(1)).send(0, 1)).toThrow(/encode must return a Uint8Array/);
  });
});
