import { InvalidArgument, describeValue } from '../../kernel/errors.js';
import { InvalidNode } from '../errors.js';
import type { Endpoint, Envelope } from './network-types.js';

/** The production in-process network: endpoints of `nodes` nodes in one process. */
export interface LocalNetwork {
  readonly nodes: number;
  endpoint<Message>(node: number): Endpoint<Message>;
}

/**
 * A production network inside one process: real asynchronous delivery (each message arrives on a
 * later turn of the event loop, as a `structuredClone`, so sender and receiver never share
 * objects), with the same `Endpoint` shape as the simulated network. `receive()` waits while a
 * message for its node is in flight and resolves `null` when none is.
 */
export function createLocalNetwork(options: { readonly nodes: number }): LocalNetwork {
  const nodes = options?.nodes;
  if (!Number.isInteger(nodes) || nodes < 1) {
    throw new InvalidArgument(`createLocalNetwork: nodes must be a positive integer, got ${describeValue(nodes)}`);
  }
  const inboxes = Array.from({ length: nodes }, () => [] as Envelope<unknown>[]);
  const inFlight = new Array<number>(nodes).fill(0);
  const waiting = Array.from({ length: nodes }, () => [] as Array<() => void>);
  const assertNode = (node: number, operation: string): void => {
    if (!Number.isInteger(node) || node < 0 || node >= nodes) {
      throw new InvalidNode(`local network.${operation}: node ${describeValue(node)} is not in 0..${nodes - 1}`);
    }
  };
  const wakeAll = (node: number): void => {
    for (const wake of waiting[node]!.splice(0)) wake();
  };

  return {
    nodes,
    endpoint<Message>(node: number): Endpoint<Message> {
      assertNode(node, 'endpoint');
      return {
        node,
        send(to: number, message: Message): void {
          assertNode(to, 'send');
          const copy = structuredClone(message);
          inFlight[to]!++;
          setImmediate(() => {
            inFlight[to]!--;
            inboxes[to]!.push({ from: node, message: copy });
            wakeAll(to);
          });
        },
        async receive(): Promise<Envelope<Message> | null> {
          for (;;) {
            const next = inboxes[node]!.shift();
            if (next !== undefined) return next as Envelope<Message>;
            if (inFlight[node] === 0) return null;
            await new Promise<void>((resolve) => waiting[node]!.push(resolve));
          }
        },
      };
    },
  };
}
