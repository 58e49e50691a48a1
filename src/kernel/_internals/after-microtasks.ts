/**
 * Calls `callback` once the microtask queue has drained, before any timer, immediate or I/O
 * callback of the real event loop can run.
 *
 * Node runs `process.nextTick` callbacks queued from a microtask only after the microtask queue
 * is empty, and it runs them before returning to the event loop. So the moment `callback` runs,
 * every promise the simulation could settle has settled; whatever is still pending waits on
 * something outside the simulation (a real timer, real I/O, a forgotten promise). Nothing about
 * this depends on real time, which is what keeps stall detection deterministic.
 */
export function afterMicrotasks(callback: () => void): void {
  afterEachDrain(callback)();
}

/**
 * {@link afterMicrotasks} made once for a caller that waits for drains again and again (the
 * scheduler, once per timer it fires): each call of the returned function calls `callback` once
 * the microtask queue has drained, and allocates nothing of its own.
 */
export function afterEachDrain(callback: () => void): () => void {
  const hop = (): void => {
    process.nextTick(callback);
  };
  return () => enqueueMicrotask(hop);
}

/**
 * Queues `job` as a microtask. A reaction to a settled promise takes the same place in the one
 * microtask queue as `queueMicrotask`, without the async resource and bound function Node's
 * `queueMicrotask` makes for every call.
 */
function enqueueMicrotask(job: () => void): void {
  void promiseThen.call(SETTLED, job);
}

/** Native, as the module found them: a program that patches `Promise.prototype.then` does not move the scheduler. */
const promiseThen = Promise.prototype.then;
const SETTLED = Promise.resolve();

/** Resolves once the microtask queue has drained (see {@link afterMicrotasks}). */
export function microtasksDrained(): Promise<void> {
  return new Promise((resolve) => afterMicrotasks(resolve));
}
