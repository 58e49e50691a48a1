import type { Prng } from '../../kernel/prng.js';
import type { CorpusEntry } from './corpus-entry.js';

/** Most entries a corpus holds; a run that adds coverage to a full corpus is not kept (its points are still known). */
export const MAX_CORPUS_ENTRIES = 4096;
/** Longest tape a corpus keeps (decisions); longer runs are too costly to ship to every worker. */
export const MAX_CORPUS_TAPE = 100_000;
/** Most decisions of all tapes together: every lane task carries the corpus (about 8-16 MB at this limit). */
export const MAX_CORPUS_DECISIONS = 1_000_000;

/**
 * The entries of `entries` (in order) a corpus keeps: what {@link Corpus} would hold after adding
 * them one by one. A campaign sends a lane only these.
 */
export function fitCorpus(entries: readonly CorpusEntry[]): CorpusEntry[] {
  const kept: CorpusEntry[] = [];
  let decisions = 0;
  for (const entry of entries) {
    if (!fits(kept.length, decisions, entry)) continue;
    kept.push(entry);
    decisions += entry.choices.length;
  }
  return kept;
}

function fits(count: number, decisions: number, entry: CorpusEntry): boolean {
  return count < MAX_CORPUS_ENTRIES && entry.choices.length <= MAX_CORPUS_TAPE && decisions + entry.choices.length <= MAX_CORPUS_DECISIONS;
}

/** A corpus entry chosen for mutation, and where to aim: the decision index of its rarest point. */
export interface Selection {
  readonly entry: CorpusEntry;
  /** The point aimed at. */
  readonly point: string;
  readonly focus: number;
}

/**
 * The corpus one lane of guided search works with: the entries of earlier rounds plus what the
 * lane found itself, the coverage points all of them reached, and how often the lane's runs hit
 * each point. Selection favours entries that added a point the lane rarely hits (FairFuzz's rare
 * branches): the deepest stage of a protocol is the one few runs reach, so energy flows there.
 */
export class Corpus {
  private readonly entries: CorpusEntry[] = [];
  /** Every point reached. */
  private readonly known = new Set<string>();
  private readonly hits = new Map<string, number>();
  /** Per point: mutations aimed at it, and those that won (added coverage). */
  private readonly aims = new Map<string, { tries: number; wins: number }>();
  /** Every (entry, point) there is to aim at, with its current weight (recomputed only when its counts change). */
  private readonly slots: Slot[] = [];
  private readonly slotsByPoint = new Map<string, Slot[]>();
  /** The points each entry added (lanes of one round may add the same point twice). */
  private readonly pointsOf = new Map<CorpusEntry, ReadonlySet<string>>();
  private decisions = 0;

  constructor(snapshot: readonly CorpusEntry[]) {
    for (const entry of snapshot) this.add(entry);
  }

  /** Entries held. */
  get size(): number {
    return this.entries.length;
  }

  /** The points of a run that no entry reached before, in the order the run reached them. */
  newPoints(points: ReadonlyMap<string, number>): [string, number][] {
    const fresh: [string, number][] = [];
    for (const [point, index] of points) if (!this.known.has(point)) fresh.push([point, index]);
    return fresh;
  }

  /**
   * Counts the points a run of the lane reached, except those its parent added: a mutated run
   * reaches its parent's points as a matter of course, and counting them would make the entry
   * being worked on look common just because it is being worked on. What is counted is how often
   * a point is reached from elsewhere, which is how hard it is to get to.
   */
  countHits(points: ReadonlyMap<string, number>, parent: CorpusEntry | undefined): void {
    const own = parent === undefined ? undefined : this.pointsOf.get(parent);
    for (const point of points.keys()) {
      if (own?.has(point)) continue;
      this.hits.set(point, (this.hits.get(point) ?? 0) + 1);
      this.reweigh(point);
    }
  }

  /** Adds an entry whose points are new (when there is room: see {@link fitCorpus}). */
  add(entry: CorpusEntry): boolean {
    for (const [point] of entry.points) this.known.add(point);
    if (!fits(this.entries.length, this.decisions, entry)) return false;
    this.entries.push(entry);
    this.decisions += entry.choices.length;
    this.pointsOf.set(entry, new Set(entry.points.map(([point]) => point)));
    for (const [point, focus] of entry.points) {
      const slot: Slot = { entry, point, focus, weight: 0 };
      slot.weight = this.weight(slot);
      this.slots.push(slot);
      const same = this.slotsByPoint.get(point);
      if (same === undefined) this.slotsByPoint.set(point, [slot]);
      else same.push(slot);
    }
    return true;
  }

  /**
   * Picks one point some entry added, with probability proportional to its weight (see
   * `weight`), and returns that entry aimed at that point.
   */
  select(rng: Prng): Selection {
    if (this.entries.length === 0) throw new Error('Corpus.select: the corpus is empty');
    let total = 0;
    for (const slot of this.slots) total += slot.weight;
    let target = (rng.nextU32() / 2 ** 32) * total;
    let last: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.weight === 0) continue;
      last = slot;
      target -= slot.weight;
      if (target < 0) break;
    }
    if (last === undefined) {
      // Only points past their runs' last decision: nothing to aim at, so anywhere in any tape.
      const entry = this.any(rng);
      return { entry, point: entry.points[0]?.[0] ?? '', focus: rng.intLessThan(entry.choices.length + 1) };
    }
    return { entry: last.entry, point: last.point, focus: last.focus };
  }

  /** Counts a mutation aimed at `point`. */
  recordAim(point: string, won: boolean): void {
    const aim = this.aims.get(point) ?? { tries: 0, wins: 0 };
    aim.tries++;
    if (won) aim.wins++;
    this.aims.set(point, aim);
    this.reweigh(point);
  }

  /** A uniformly chosen entry (the second parent of a splice). */
  any(rng: Prng): CorpusEntry {
    return this.entries[rng.intLessThan(this.entries.length)]!;
  }

  private reweigh(point: string): void {
    const slots = this.slotsByPoint.get(point);
    if (slots !== undefined) for (const slot of slots) slot.weight = this.weight(slot);
  }

  /**
   * A point's share of the mutations: its rarity squared (rarely reached from elsewhere: deep),
   * times the Laplace success rate of the mutations aimed at it so far, so a rare point that
   * leads nowhere stops soaking up the runs. A point the run reached after its last decision
   * weighs nothing: no decision comes after it for a mutation to change.
   */
  private weight(slot: Slot): number {
    if (slot.focus >= slot.entry.choices.length) return 0;
    const rarity = 1 / (1 + (this.hits.get(slot.point) ?? 0));
    const aim = this.aims.get(slot.point);
    const productivity = aim === undefined ? 0.5 : (aim.wins + 1) / (aim.tries + 2);
    return rarity * rarity * productivity;
  }
}

/** One point of one entry, with its share of the mutations. */
interface Slot {
  readonly entry: CorpusEntry;
  readonly point: string;
  readonly focus: number;
  weight: number;
}
