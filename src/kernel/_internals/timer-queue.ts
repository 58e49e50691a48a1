/** A pending wake-up of the simulated scheduler. */
export interface Timer {
  readonly dueNs: number;
  /** Creation order: timers due at the same time fire in the order they were set. */
  readonly seq: number;
  readonly fire: () => void;
  /** A cancelled timer is discarded when it reaches the front, without moving time. */
  cancelled: boolean;
}

/** A binary min-heap of timers ordered by `(dueNs, seq)`. */
export class TimerQueue {
  private readonly heap: Timer[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(dueNs: number, fire: () => void): Timer {
    const heap = this.heap;
    const timer: Timer = { dueNs, seq: this.nextSeq++, fire, cancelled: false };
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

  peek(): Timer | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest timer that is not cancelled. */
  popLive(): Timer | undefined {
    for (;;) {
      const timer = this.pop();
      if (timer === undefined || !timer.cancelled) return timer;
    }
  }

  pop(): Timer | undefined {
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

  clear(): void {
    this.heap.length = 0;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.dueNs < b.dueNs || (a.dueNs === b.dueNs && a.seq < b.seq);
}
