import { InvalidArgument, describeValue } from '../../kernel/errors.js';
import { CodecError } from '../errors.js';
import type { Endpoint, Envelope } from './network-types.js';

/** How one message type becomes bytes and back. `decode` throws on malformed bytes. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** One side of a typed conversation over a byte endpoint: receives `In`, sends `Out`. */
export interface TypedChannel<In, Out> {
  readonly node: number;
  send(to: number, message: Out): void;
  /**
   * The next decoded message, `null` when none is pending.
   * @throws {CodecError} when the bytes that arrived do not decode; the channel stays usable.
   */
  receive(): Promise<Envelope<In> | null>;
}

/**
 * Typed requests and responses over byte endpoints: the user declares a codec per type, and
 * protocol code sees typed values on simulated and production byte endpoints alike. Malformed
 * bytes surface as a {@link CodecError} naming the sender, never as a crash.
 */
export class CodecTransport<Request, Response> {
  private readonly request: Codec<Request>;
  private readonly response: Codec<Response>;

  constructor(codecs: { readonly request: Codec<Request>; readonly response: Codec<Response> }) {
    for (const side of ['request', 'response'] as const) {
      const codec = codecs?.[side];
      if (typeof codec?.encode !== 'function' || typeof codec?.decode !== 'function') {
        throw new InvalidArgument(`CodecTransport: ${side} must be a codec with encode and decode, got ${describeValue(codec)}`);
      }
    }
    this.request = codecs.request;
    this.response = codecs.response;
  }

  /** The server side: receives requests, sends responses. */
  server(endpoint: Endpoint<Uint8Array>): TypedChannel<Request, Response> {
    return channel(endpoint, this.request, this.response);
  }

  /** The client side: sends requests, receives responses. */
  client(endpoint: Endpoint<Uint8Array>): TypedChannel<Response, Request> {
    return channel(endpoint, this.response, this.request);
  }
}

function channel<In, Out>(endpoint: Endpoint<Uint8Array>, incoming: Codec<In>, outgoing: Codec<Out>): TypedChannel<In, Out> {
  return {
    node: endpoint.node,
    send(to: number, message: Out): void {
      const bytes = outgoing.encode(message);
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgument(`CodecTransport: encode must return a Uint8Array, got ${describeValue(bytes)}`);
      endpoint.send(to, bytes);
    },
    async receive(): Promise<Envelope<In> | null> {
      const envelope = await endpoint.receive();
      if (envelope === null) return null;
      const { from, message: bytes } = envelope;
      try {
        return { from, message: incoming.decode(bytes) };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new CodecError(`CodecTransport: ${bytes.length} bytes from node ${from} do not decode: ${reason}`, from, bytes.length);
      }
    },
  };
}
