import net from 'node:net';
import { InvalidArgument, describeValue } from '../../kernel/errors.js';
import { InvalidNode } from '../errors.js';
import type { Endpoint, Envelope } from './network-types.js';

/** Options of {@link listenTcpEndpoint}. */
export interface TcpEndpointOptions {
  /** This endpoint's node id. */
  readonly node: number;
  /** Port to listen on (default 0: any free port; read it back from `port`). */
  readonly port?: number;
  /** Address to listen on and to dial peers at by default (default `127.0.0.1`). */
  readonly host?: string;
  /** How long `receive()` waits for a frame before resolving `null` (default 1000 ms). */
  readonly idleTimeoutMs?: number;
}

/** A byte endpoint over TCP. */
export interface TcpEndpoint extends Endpoint<Uint8Array> {
  /** The port this endpoint listens on. */
  readonly port: number;
  /** Tells this endpoint where node `peer` listens. */
  addPeer(peer: number, port: number, host?: string): void;
  /** Sends that could not be written (peer unknown or connection failed); the network lost them. */
  readonly lostSends: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

const HEADER_BYTES = 8;
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * A production byte endpoint over local TCP: each frame is `u32 length, u32 sender, payload`
 * (little endian). It has the `Endpoint<Uint8Array>` shape of the simulated network, so codec
 * transports and protocol code run unchanged on it. A real network cannot tell what is in flight,
 * so `receive()` resolves `null` after `idleTimeoutMs` without a frame.
 */
export async function listenTcpEndpoint(options: TcpEndpointOptions): Promise<TcpEndpoint> {
  const { node, host = '127.0.0.1', idleTimeoutMs = 1000 } = options;
  if (!Number.isInteger(node) || node < 0) throw new InvalidArgument(`listenTcpEndpoint: node must be a non-negative integer, got ${describeValue(node)}`);
  const inbox: Envelope<Uint8Array>[] = [];
  const waiting: Array<() => void> = [];
  const peers = new Map<number, { port: number; host: string }>();
  const outgoing = new Map<number, net.Socket>();
  const sockets = new Set<net.Socket>();
  let lostSends = 0;

  const deliver = (envelope: Envelope<Uint8Array>): void => {
    inbox.push(envelope);
    for (const wake of waiting.splice(0)) wake();
  };
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const server = net.createServer((socket) => {
    track(socket);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= HEADER_BYTES) {
        const length = buffered.readUInt32LE(0);
        if (length > MAX_FRAME_BYTES) return socket.destroy();
        if (buffered.length < HEADER_BYTES + length) break;
        const from = buffered.readUInt32LE(4);
        deliver({ from, message: new Uint8Array(buffered.subarray(HEADER_BYTES, HEADER_BYTES + length)) });
        buffered = buffered.subarray(HEADER_BYTES + length);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const connection = (to: number): net.Socket | undefined => {
    let socket = outgoing.get(to);
    if (socket === undefined || socket.destroyed) {
      const peer = peers.get(to);
      if (peer === undefined) return undefined;
      socket = net.connect(peer.port, peer.host);
      track(socket);
      outgoing.set(to, socket);
    }
    return socket;
  };

  return {
    node,
    port,
    get lostSends() {
      return lostSends;
    },
    addPeer(peer: number, peerPort: number, peerHost = host): void {
      if (!Number.isInteger(peer) || peer < 0) throw new InvalidNode(`tcp endpoint: node ${describeValue(peer)} is not a node id`);
      peers.set(peer, { port: peerPort, host: peerHost });
    },
    send(to: number, bytes: Uint8Array): void {
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgument(`tcp endpoint.send: bytes must be a Uint8Array, got ${describeValue(bytes)}`);
      if (bytes.length > MAX_FRAME_BYTES) throw new InvalidArgument(`tcp endpoint.send: ${bytes.length} bytes exceed the ${MAX_FRAME_BYTES}-byte frame limit`);
      const socket = connection(to);
      if (socket === undefined) {
        lostSends++;
        return;
      }
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32LE(bytes.length, 0);
      header.writeUInt32LE(node, 4);
      socket.write(Buffer.concat([header, bytes]));
    },
    async receive(): Promise<Envelope<Uint8Array> | null> {
      const next = inbox.shift();
      if (next !== undefined) return next;
      const arrived = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(wake), 1);
          resolve(false);
        }, idleTimeoutMs);
        const wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        waiting.push(wake);
      });
      return arrived ? (inbox.shift() ?? null) : null;
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
