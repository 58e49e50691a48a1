/**
 * Deep state: a connection that goes through four unlikely events in a row — a duplicated
 * handshake, a reordered ack, a retransmission and a late timeout, each decided by the world with
 * probability 1/10 — reaches a state few seeds ever see. The correct connection handles it; the
 * buggy one closes twice there, which `connection closed at most once` catches. A seed must make
 * four specific rare decisions in sequence (about 1 in 10,000 at each attempt), so random seeds
 * find it rarely; `sometimes` marks each stage, so a campaign (and guided search, once it exists)
 * can see how deep its seeds get.
 */
import { defineCase, type Env, type World } from '../index.js';
import { InvariantViolation } from './_shared/invariant-violation.js';

/** The unlikely events, in the order the connection must meet them. */
export const STAGES = ['duplicate handshake', 'reordered ack', 'retransmission', 'late timeout'] as const;
/** How many steps a connection lives. */
const STEPS = 24;

/** A connection that counts how often it closed. */
export class Connection {
  closes = 0;
  private stage = 0;

  constructor(
    private readonly env: Env,
    private readonly closeTwiceAtTheEnd: boolean,
  ) {}

  /** One step: the next unlikely event happens with probability 1/10, or the connection settles back. */
  step(): void {
    const unlikely = this.env.random.intLessThan(10) === 9; // not 0: zero is the calm decision a minimizer drifts to
    if (!unlikely) {
      this.stage = 0;
      return;
    }
    this.env.sometimes(STAGES[this.stage]!, true);
    this.env.record('connection.stage', { stage: this.stage + 1, event: STAGES[this.stage]! });
    this.stage++;
    if (this.stage < STAGES.length) return;
    // All four in a row: the connection must close, once.
    this.close();
    if (this.closeTwiceAtTheEnd) this.close(); // the bug: the late timeout closes it again
    this.stage = 0;
  }

  private close(): void {
    this.closes++;
    this.env.record('connection.close', { closes: this.closes });
  }
}

function deepStateCase(name: string, bug: boolean) {
  return defineCase<{ readonly env: Env; readonly connection: Connection }>({
    name,
    description: bug
      ? 'a connection closes twice after four rare events in a row (each 1 in 10): random seeds rarely get there'
      : 'a connection survives four rare events in a row (each 1 in 10)',
    tags: ['example:deep_state', 'probabilistic'],
    sometimes: [...STAGES],
    init(world: World) {
      const { env } = world.simulate();
      return { env, connection: new Connection(env, bug) };
    },
    scenario({ connection }) {
      for (let i = 0; i < STEPS; i++) connection.step();
    },
    checks: [
      {
        name: 'connection closed at most once',
        check({ connection }) {
          if (connection.closes > 1) throw new InvariantViolation(`the connection closed ${connection.closes} times`);
        },
      },
    ],
  });
}

/** The correct connection. */
export const deepState = deepStateCase('deep-state', false);
/** The buggy connection: found only by a seed that makes four rare decisions in a row. */
export const deepStateBug = deepStateCase('deep-state-bug', true);
