import type { Prng } from '../../kernel/prng.js';

/** The ways guided search changes a tape (SPEC 10). */
export const MUTATIONS = ['duplicate', 'randomize-tail', 'change', 'zero', 'randomize-span', 'splice'] as const;
/** One of {@link MUTATIONS}. */
export type Mutation = (typeof MUTATIONS)[number];

/** Decisions a randomized tail runs on past the parent's end, so a longer run does not fall back to zeros at once. */
const TAIL_EXTRA = 16;
/** Most decisions one span mutation touches. */
const MAX_SPAN = 8;
/** Where a mutation acts: at the focus, one to three decisions after it, or anywhere in the tape. */
export const PLACEMENTS = ['at-focus', 'after-focus', 'anywhere'] as const;
/** One of {@link PLACEMENTS}. */
export type Placement = (typeof PLACEMENTS)[number];

/** What to do to a tape, and where. */
export interface MutationPlan {
  readonly mutation: Mutation;
  readonly placement: Placement;
  /** Decisions a span mutation touches (default: 1 half the time, else 1 to 8, drawn). */
  readonly span?: number;
}

/**
 * A mutated copy of `tape`. A mutation aims at `focus` (the decision index where the
 * parent reached its rarest point): the decisions that come next are the ones that take a run one
 * step deeper. Values are raw 32-bit draws where they are random; a tape replay reduces each
 * modulo its bound, so every tape is a valid run.
 *
 * - `duplicate`: repeat the span that ends at the position (the event that made progress, again);
 * - `randomize-tail`: keep the prefix, draw everything after it afresh;
 * - `change`: one decision drawn afresh;
 * - `zero`, `randomize-span`: a span set to the calm choice, or drawn afresh;
 * - `splice`: the prefix, then the other tape from its own position on.
 */
export function mutateTape(
  tape: readonly number[],
  focus: number,
  other: readonly number[],
  rng: Prng,
  plan: MutationPlan,
): number[] {
  const at = position(tape.length, focus, plan.placement, rng);
  const span = plan.span ?? 1 + (rng.bool() ? 0 : rng.intLessThan(MAX_SPAN));
  switch (plan.mutation) {
    case 'duplicate': {
      const from = Math.max(0, at - span);
      return [...tape.slice(0, at), ...tape.slice(from, at), ...tape.slice(at)];
    }
    case 'randomize-tail':
      return [...tape.slice(0, at), ...draws(rng, Math.max(0, tape.length - at) + TAIL_EXTRA)];
    case 'change': {
      const out = padded(tape, at + 1, rng);
      out[at] = rng.nextU32();
      return out;
    }
    case 'zero': {
      const out = padded(tape, at + span, rng);
      out.fill(0, at, at + span);
      return out;
    }
    case 'randomize-span': {
      const out = padded(tape, at + span, rng);
      for (let i = at; i < at + span; i++) out[i] = rng.nextU32();
      return out;
    }
    case 'splice': {
      const from = position(other.length, Math.min(at, other.length), plan.placement, rng);
      return [...tape.slice(0, at), ...other.slice(from)];
    }
  }
}

/** Where `placement` puts a mutation in a tape of `length` decisions aimed at `focus`. */
function position(length: number, focus: number, placement: Placement, rng: Prng): number {
  if (placement === 'at-focus') return Math.min(length, focus);
  if (placement === 'after-focus') return Math.min(length, focus + 1 + rng.intLessThan(3));
  return rng.intLessThan(length + 1);
}

/** A copy of `tape` at least `length` long, padded with fresh draws. */
function padded(tape: readonly number[], length: number, rng: Prng): number[] {
  const out = [...tape];
  while (out.length < length) out.push(rng.nextU32());
  return out;
}

function draws(rng: Prng, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = rng.nextU32();
  return out;
}
