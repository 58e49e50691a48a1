/** Who a pending wait belongs to (a host incarnation); a wait whose owner is no longer alive never fires. */
export interface TimerOwner {
  /** False once the owner has stopped (a crashed host incarnation): its waits are abandoned. */
  readonly alive: boolean;
}

/** A pending wake-up of the simulated scheduler. */
export interface Timer {
  readonly dueNs: number;
  /** Creation order: timers due at the same time fire in the order they were set. */
  readonly seq: number;
  readonly fire: () => void;
  /** The owner whose code set the timer, if any; the timer fires in the owner's async context. */
  readonly owner: TimerOwner | undefined;
  /** The microtasks the timer's callback queues run before the next timer due at the same instant. */
  readonly drainsMicrotasks: boolean;
  /** Pending: neither fired, cancelled nor cleared. */
  pending: boolean;
  /**
   * Whether the timer keeps the world busy (Node's `ref`). A world whose only pending timers are
   * unref'd is idle, exactly as a Node process with only unref'd timers exits.
   */
  ref: boolean;
}

/** A binary min-heap of timers ordered by `(dueNs, seq)`, counting the pending ref'd timers. */
export class TimerQueue {
  private readonly heap: Timer[] = [];
  private nextSeq = 0;
  /** Pending timers with `ref` set. */
  refCount = 0;

  get size(): number {
    return this.heap.length;
  }

  push(dueNs: number, fire: () => void, owner: TimerOwner | undefined, drainsMicrotasks: boolean): Timer {
    const heap = this.heap;
    const timer: Timer = { dueNs, seq: this.nextSeq++, fire, owner, drainsMicrotasks, pending: true, ref: true };
    this.refCount++;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Timer;
      if (!before(timer, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = timer;
    return timer;
  }

  /** Marks a timer no longer pending (it stays in the heap and is skipped when it reaches the front). */
  settle(timer: Timer): void {
    if (!timer.pending) return;
    timer.pending = false;
    if (timer.ref) this.refCount--;
  }

  /** Sets whether a pending timer keeps the world busy. */
  setRef(timer: Timer, ref: boolean): void {
    if (!timer.pending || timer.ref === ref) return;
    timer.ref = ref;
    this.refCount += ref ? 1 : -1;
  }

  peek(): Timer | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest pending timer due at `dueNs` or earlier (marking it no longer pending). */
  popPendingUntil(dueNs: number): Timer | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return undefined;
      if (!top.pending) {
        this.pop();
        continue;
      }
      if (top.dueNs > dueNs) return undefined;
      this.pop();
      this.settle(top);
      return top;
    }
  }

  /** Settles every pending timer of `owner`; returns how many there were. */
  abandon(owner: TimerOwner): number {
    let count = 0;
    for (const timer of this.heap) {
      if (timer.pending && timer.owner === owner) {
        this.settle(timer);
        count++;
      }
    }
    return count;
  }

  private pop(): Timer | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right] as Timer, heap[left] as Timer) ? right : left;
      if (!before(heap[child] as Timer, last)) break;
      heap[i] = heap[child] as Timer;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Drops every timer; none of them ever fires. */
  clear(): void {
    for (const timer of this.heap) timer.pending = false;
    this.heap.length = 0;
    this.refCount = 0;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.dueNs < b.dueNs || (a.dueNs === b.dueNs && a.seq < b.seq);
}
