import * as mar from 'marionette-sim';
import { describe, expect, it } from 'vitest';
import { toyDbTransport, ToyDbServer } from '../../../src/examples/toy-db.js';
import { RegisterClient, Replica, type RegisterMessage } from '../../../src/examples/replicated-register.js';

describe('local production network', () => {
  it('delivers asynchronously, as copies, and resolves null once nothing is in flight', async () => {
    const net = mar.createLocalNetwork({ nodes: 2 });
    const a = net.endpoint<{ list: number[] }>(0);
    const b = net.endpoint<{ list: number[] }>(1);
    const message = { list: [1] };
    a.send(1, message);
    message.list.push(2);
    expect(await b.receive()).toEqual({ from: 0, message: { list: [1] } });
    expect(await b.receive()).toBeNull();
    expect(() => net.endpoint(2)).toThrow(mar.InvalidNode);
    expect(() => a.send(5, { list: [] })).toThrow(mar.InvalidNode);
  });
});

describe('parity: the same replica code on simulated and production endpoints', () => {
  async function replicateOnce(env: mar.Env, endpoint: <M>(node: number) => mar.Endpoint<M>, pollNs: number) {
    const replicas = [0, 1, 2].map((id) => new Replica(env, endpoint<RegisterMessage>(id), { commitOnAccept: false, pollNs }));
    const client = new RegisterClient(env, endpoint<RegisterMessage>(3), { replicas: [0, 1, 2], retryNs: 50 * pollNs, maxRounds: 3, pollNs });
    let stopped = false;
    const serving = replicas.map((replica) => replica.serve(() => stopped));
    const committed = await client.write(1, 'parity');
    while (replicas.some((replica) => replica.committed === undefined)) await env.clock.sleep(pollNs);
    stopped = true;
    await Promise.all(serving);
    return { committed, values: replicas.map((replica) => replica.committed?.value) };
  }

  it('commits on the simulated network', async () => {
    const world = new mar.World({ seed: 5 });
    const sim = world.simulate({ network: { nodes: 4 } });
    expect(await replicateOnce(sim.env, (node) => sim.endpoint(node), world.tickNs)).toEqual({ committed: true, values: ['parity', 'parity', 'parity'] });
  });

  it('commits on the in-process production network with a production env', async () => {
    const net = mar.createLocalNetwork({ nodes: 4 });
    const env = mar.createProductionEnv();
    expect(await replicateOnce(env, (node) => net.endpoint(node), 1_000_000)).toEqual({ committed: true, values: ['parity', 'parity', 'parity'] });
  });
});

describe('TCP production endpoints', () => {
  it('runs the toy-db protocol over local TCP, malformed bytes included', async () => {
    const serverEndpoint = await mar.listenTcpEndpoint({ node: 0, idleTimeoutMs: 200 });
    const clientEndpoint = await mar.listenTcpEndpoint({ node: 1, idleTimeoutMs: 2000 });
    try {
      serverEndpoint.addPeer(1, clientEndpoint.port);
      clientEndpoint.addPeer(0, serverEndpoint.port);
      const recorded: string[] = [];
      const server = new ToyDbServer(toyDbTransport.server(serverEndpoint), (name) => recorded.push(name));
      const client = toyDbTransport.client(clientEndpoint);
      client.send(0, { kind: 'set', value: 40n });
      client.send(0, { kind: 'add', delta: 2n });
      client.send(0, { kind: 'get' });
      clientEndpoint.send(0, Uint8Array.of(0x03));
      await server.serve();
      const replies = [];
      for (let i = 0; i < 4; i++) replies.push((await client.receive())?.message);
      expect(replies).toEqual([{ kind: 'ok' }, { kind: 'ok' }, { kind: 'value', value: 42n }, { kind: 'error' }]);
      expect(recorded).toEqual(['toydb.request', 'toydb.request', 'toydb.request', 'toydb.malformed']);
    } finally {
      await serverEndpoint.close();
      await clientEndpoint.close();
    }
  });

  it('counts sends to an unknown peer as lost', async () => {
    const endpoint = await mar.listenTcpEndpoint({ node: 0, idleTimeoutMs: 10 });
    try {
      endpoint.send(9, Uint8Array.of(1));
      expect(endpoint.lostSends).toBe(1);
      expect(await endpoint.receive()).toBeNull();
    } finally {
      await endpoint.close();
    }
  });
});
