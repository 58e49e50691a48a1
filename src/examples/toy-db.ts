/**
 * Toy DB: a protocol adapter over `CodecTransport`. The wire format is one tag byte plus an
 * optional little-endian i64, so database code sees typed requests and responses instead of bytes.
 * The scenario also sends malformed bytes: the server gets a typed `CodecError` and answers with
 * an error response instead of crashing.
 */
import { CodecError, CodecTransport, defineCase, type Codec, type Simulation, type TypedChannel, type World } from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';

/** Requests of the toy database. */
export type ToyRequest = { readonly kind: 'get' } | { readonly kind: 'set'; readonly value: bigint } | { readonly kind: 'add'; readonly delta: bigint };
/** Responses of the toy database. */
export type ToyResponse = { readonly kind: 'ok' } | { readonly kind: 'value'; readonly value: bigint } | { readonly kind: 'error' };

const TAG = { get: 0x01, set: 0x02, add: 0x03, ok: 0x10, value: 0x11, error: 0x1f } as const;

function withI64(tag: number, value: bigint): Uint8Array {
  const bytes = new Uint8Array(9);
  bytes[0] = tag;
  new DataView(bytes.buffer).setBigInt64(1, value, true);
  return bytes;
}

function readI64(bytes: Uint8Array): bigint {
  if (bytes.length !== 9) throw new RangeError(`expected 9 bytes for tag ${bytes[0]}, got ${bytes.length}`);
  return new DataView(bytes.buffer, bytes.byteOffset, 9).getBigInt64(1, true);
}

function expectLength(bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new RangeError(`expected ${length} byte(s) for tag ${bytes[0]}, got ${bytes.length}`);
}

/** Request codec: tag 1 get, tag 2 set + i64, tag 3 add + i64. */
export const requestCodec: Codec<ToyRequest> = {
  encode(request) {
    if (request.kind === 'get') return Uint8Array.of(TAG.get);
    return withI64(request.kind === 'set' ? TAG.set : TAG.add, request.kind === 'set' ? request.value : request.delta);
  },
  decode(bytes) {
    switch (bytes[0]) {
      case TAG.get:
        expectLength(bytes, 1);
        return { kind: 'get' };
      case TAG.set:
        return { kind: 'set', value: readI64(bytes) };
      case TAG.add:
        return { kind: 'add', delta: readI64(bytes) };
      default:
        throw new RangeError(`unknown request tag ${bytes[0]}`);
    }
  },
};

/** Response codec: tag 0x10 ok, tag 0x11 value + i64, tag 0x1F error. */
export const responseCodec: Codec<ToyResponse> = {
  encode(response) {
    if (response.kind === 'value') return withI64(TAG.value, response.value);
    return Uint8Array.of(response.kind === 'ok' ? TAG.ok : TAG.error);
  },
  decode(bytes) {
    switch (bytes[0]) {
      case TAG.ok:
        expectLength(bytes, 1);
        return { kind: 'ok' };
      case TAG.value:
        return { kind: 'value', value: readI64(bytes) };
      case TAG.error:
        expectLength(bytes, 1);
        return { kind: 'error' };
      default:
        throw new RangeError(`unknown response tag ${bytes[0]}`);
    }
  },
};

/** The toy database protocol. */
export const toyDbTransport = new CodecTransport({ request: requestCodec, response: responseCodec });

/** The database server: one i64 register. It only sees typed requests. */
export class ToyDbServer {
  value = 0n;

  constructor(
    private readonly channel: TypedChannel<ToyRequest, ToyResponse>,
    private readonly record: (name: string, fields: Record<string, string | bigint | number | boolean>) => void,
  ) {}

  /** Serves every pending request; malformed ones get an error response. */
  async serve(): Promise<void> {
    for (;;) {
      let envelope;
      try {
        envelope = await this.channel.receive();
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        this.record('toydb.malformed', { from: error.from, bytes: error.byteLength });
        this.channel.send(error.from, { kind: 'error' });
        continue;
      }
      if (envelope === null) return;
      const request = envelope.message;
      if (request.kind === 'set') this.value = request.value;
      if (request.kind === 'add') this.value = BigInt.asIntN(64, this.value + request.delta);
      const response: ToyResponse = request.kind === 'get' ? { kind: 'value', value: this.value } : { kind: 'ok' };
      this.record('toydb.request', { from: envelope.from, kind: request.kind, value: this.value });
      this.channel.send(envelope.from, response);
    }
  }
}

const SERVER = 0;
const CLIENT = 1;

interface ToyDbState {
  readonly sim: Simulation;
  readonly server: ToyDbServer;
  readonly client: TypedChannel<ToyResponse, ToyRequest>;
  readonly responses: ToyResponse[];
  expected: bigint;
}

/** A client sets, adds and reads a value, then sends bytes that are not a request. */
export const toyDb = defineCase<ToyDbState>({
  name: 'toy-db',
  description: 'typed requests over CodecTransport; malformed bytes get a typed error, not a crash',
  tags: ['example:toy_db'],
  init(world: World) {
    const sim = world.simulate({ network: { nodes: 2 } });
    const server = new ToyDbServer(toyDbTransport.server(sim.endpoint<Uint8Array>(SERVER)), (name, fields) => sim.env.record(name, fields));
    return { sim, server, client: toyDbTransport.client(sim.endpoint<Uint8Array>(CLIENT)), responses: [], expected: 0n };
  },
  async scenario(state) {
    const { sim, server, client } = state;
    const start = BigInt(sim.env.random.intLessThan(1000));
    const delta = BigInt(sim.env.random.intLessThan(1000)) - 500n;
    state.expected = start + delta;
    const requests: ToyRequest[] = [{ kind: 'set', value: start }, { kind: 'add', delta }, { kind: 'get' }];
    for (const request of requests) {
      client.send(SERVER, request);
      await server.serve();
      const reply = await client.receive();
      if (reply !== null) state.responses.push(reply.message);
    }
    sim.endpoint<Uint8Array>(CLIENT).send(SERVER, Uint8Array.of(TAG.set, 1, 2));
    await server.serve();
    const reply = await client.receive();
    if (reply !== null) state.responses.push(reply.message);
    for (const response of state.responses) {
      sim.env.record('toydb.response', { kind: response.kind, value: response.kind === 'value' ? response.value : 0n });
    }
  },
  checks: [
    {
      name: 'get returns the value the requests imply',
      check({ sim, responses, expected }) {
        const read = responses.find((r) => r.kind === 'value');
        if (read?.kind !== 'value' || read.value !== expected) {
          sim.env.record('toydb.invariant_violation', { expected, got: read?.kind === 'value' ? read.value : 'none' });
          throw new InvariantViolation(`get returned ${read?.kind === 'value' ? read.value : 'nothing'}, expected ${expected}`);
        }
      },
    },
    {
      name: 'malformed bytes get an error response',
      check({ responses }) {
        if (responses.at(-1)?.kind !== 'error') throw new InvariantViolation(`last response was ${responses.at(-1)?.kind ?? 'missing'}, expected error`);
      },
    },
  ],
});
