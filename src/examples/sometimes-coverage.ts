/**
 * Sometimes-coverage: a client pings a server every 10 ms and retries a ping that got no answer
 * in 5 ms. It declares what a good test of it must exercise: `request retried` (a lost packet) and
 * `silence over 100 ms` (the server unreachable for a while). The light faults of `smoke` lose an
 * occasional packet but never cut the server off, so `expectFuzz` under smoke fails naming
 * `silence over 100 ms`; `swarm` partitions and clogs reach both. Nothing here fails a check: the
 * example is about what a campaign exercised.
 */
import { defineCase, type Endpoint, type Simulation, type World } from '../index.js';

const SERVER = 0;
const CLIENT = 1;
const PING_EVERY_NS = 10_000_000;
const RETRY_AFTER_NS = 5_000_000;
const SILENCE_NS = 100_000_000;
const HORIZON_NS = 2_000_000_000;

/** Messages between the client and the server. */
export type PingMessage = { readonly kind: 'ping'; readonly n: number } | { readonly kind: 'pong'; readonly n: number };

async function serve(sim: Simulation, endpoint: Endpoint<PingMessage>): Promise<void> {
  while (sim.env.clock.now() < HORIZON_NS) {
    const envelope = await endpoint.receive();
    if (envelope === null) await sim.env.clock.sleep(1_000_000);
    else if (envelope.message.kind === 'ping') endpoint.send(envelope.from, { kind: 'pong', n: envelope.message.n });
  }
}

async function ping(sim: Simulation, endpoint: Endpoint<PingMessage>): Promise<void> {
  const { env } = sim;
  let lastAnswerNs = 0;
  for (let n = 0; env.clock.now() < HORIZON_NS; n++) {
    endpoint.send(SERVER, { kind: 'ping', n });
    let answered = false;
    for (let retried = false; !answered && env.clock.now() < HORIZON_NS; ) {
      const deadline = env.clock.now() + RETRY_AFTER_NS;
      while (!answered && env.clock.now() < deadline) {
        const envelope = await endpoint.receive();
        if (envelope === null) await env.clock.sleep(1_000_000);
        else answered = envelope.message.kind === 'pong' && envelope.message.n === n;
      }
      if (answered) break;
      env.sometimes('silence over 100 ms', env.clock.now() - lastAnswerNs > SILENCE_NS);
      if (!retried) env.sometimes('request retried', true);
      retried = true;
      endpoint.send(SERVER, { kind: 'ping', n });
    }
    if (answered) lastAnswerNs = env.clock.now();
    await env.clock.sleep(PING_EVERY_NS);
  }
}

/** The example case (it declares the two names it expects to hit). */
export const sometimesCoverage = defineCase<Simulation>({
  name: 'sometimes-coverage',
  description: 'a pinging client declares what a test must exercise: smoke leaves "silence over 100 ms" unreached, swarm reaches it',
  tags: ['example:sometimes_coverage'],
  sometimes: ['request retried', 'silence over 100 ms'],
  init: (world: World) => world.simulate({ network: { nodes: 2 } }),
  async scenario(sim) {
    await Promise.all([serve(sim, sim.endpoint<PingMessage>(SERVER)), ping(sim, sim.endpoint<PingMessage>(CLIENT))]);
  },
});
