import type { CompletedRange } from '../store/failure-store.js';

/** A run of consecutive seed offsets. */
export interface OffsetRange {
  readonly offset: number;
  readonly count: number;
}

/**
 * Which seed offsets of a campaign are still to run: explicit pending ranges (gaps left by an
 * interrupted session, work re-queued after a timeout or crash) first, lowest offset first, then
 * fresh offsets from the frontier, up to `total` (or without end for a duration-bounded campaign).
 */
export class SeedPlan {
  private readonly pending: OffsetRange[] = [];
  private nextFresh: number;

  private constructor(
    private readonly total: number | null,
    frontier: number,
    /** Most offsets there can be at all (seeds end at 2^64 - 1); caps a duration campaign. */
    private readonly capacity: number,
  ) {
    this.nextFresh = frontier;
  }

  /** A plan for a new campaign. */
  static fresh(total: number | null, capacity = Number.MAX_SAFE_INTEGER): SeedPlan {
    return new SeedPlan(total, 0, capacity);
  }

  /**
   * The plan of a resumed campaign: every offset below `dispatchedEnd` (or `total`) that no
   * completed range covers, then fresh offsets from there.
   */
  static resume(total: number | null, completed: readonly CompletedRange[], dispatchedEnd: number, capacity = Number.MAX_SAFE_INTEGER): SeedPlan {
    const limit = total ?? dispatchedEnd;
    const plan = new SeedPlan(total, total === null ? dispatchedEnd : total, capacity);
    let cursor = 0;
    for (const range of [...completed].sort((a, b) => a.firstOffset - b.firstOffset)) {
      if (range.firstOffset > cursor) plan.pending.push({ offset: cursor, count: Math.min(range.firstOffset, limit) - cursor });
      cursor = Math.max(cursor, range.firstOffset + range.count);
    }
    if (cursor < limit) plan.pending.push({ offset: cursor, count: limit - cursor });
    return plan;
  }

  /**
   * The next range of at most `maxCount` offsets, or undefined when nothing is left. With
   * `endOffset`, only offsets below it (a guided campaign works a round at a time).
   */
  next(maxCount: number, endOffset = Number.MAX_SAFE_INTEGER): OffsetRange | undefined {
    const pending = this.nextPending(maxCount, endOffset);
    if (pending !== undefined) return pending;
    const end = Math.min(this.total ?? this.capacity, this.capacity, endOffset);
    const available = Math.min(maxCount, end - this.nextFresh);
    if (available <= 0) return undefined;
    const range = { offset: this.nextFresh, count: available };
    this.nextFresh += available;
    return range;
  }

  /** The next pending range (a gap or re-queued work) of at most `maxCount` offsets below `endOffset`, never fresh ones. */
  nextPending(maxCount: number, endOffset = Number.MAX_SAFE_INTEGER): OffsetRange | undefined {
    const head = this.pending[0];
    if (head === undefined || head.offset >= endOffset) return undefined;
    if (head.count <= maxCount) return this.pending.shift();
    this.pending[0] = { offset: head.offset + maxCount, count: head.count - maxCount };
    return { offset: head.offset, count: maxCount };
  }

  /** Whether gaps or re-queued work are waiting. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Puts a range back to be run again (before any fresh offsets). */
  requeue(range: OffsetRange): void {
    if (range.count <= 0) return;
    this.pending.push(range);
    this.pending.sort((a, b) => a.offset - b.offset);
  }

  /** One past the highest offset handed out from the fresh supply. */
  get frontier(): number {
    return this.nextFresh;
  }

  /** Offsets not yet handed out, when the campaign is bounded. */
  get remaining(): number | null {
    const pending = this.pending.reduce((sum, r) => sum + r.count, 0);
    if (this.total === null) return this.nextFresh >= this.capacity ? pending : null;
    return pending + (Math.min(this.total, this.capacity) - this.nextFresh);
  }
}
