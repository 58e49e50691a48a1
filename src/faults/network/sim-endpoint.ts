import type { Endpoint, Envelope } from './network-types.js';
import type { SimNetwork } from './sim-network.js';

/** A typed endpoint of one node on the simulated network. */
export class SimEndpoint<Message> implements Endpoint<Message> {
  constructor(
    private readonly network: SimNetwork,
    readonly node: number,
  ) {}

  send(to: number, message: Message): void {
    this.network.send(this.node, to, message);
  }

  receive(): Promise<Envelope<Message> | null> {
    return this.network.receive(this.node) as Promise<Envelope<Message> | null>;
  }
}
