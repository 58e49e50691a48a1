/**
 * A `Date` constructor whose no-argument form and `Date.now()` read `nowMs()`; every other form
 * is the real `Date`'s. Its prototype is the real one, so `instanceof Date` holds both ways and
 * dates made inside and outside a world are the same kind of object.
 */
export function makeSimDate(RealDate: DateConstructor, nowMs: () => number): DateConstructor {
  function SimDate(this: unknown, ...args: unknown[]): Date | string {
    // Called without `new`, Date returns the current time as text.
    if (new.target === undefined) return new RealDate(nowMs()).toString();
    const date: Date = args.length === 0 ? new RealDate(nowMs()) : Reflect.construct(RealDate, args);
    if (new.target !== SimDate) Object.setPrototypeOf(date, (new.target as { prototype: object }).prototype);
    return date;
  }
  Object.defineProperties(SimDate, {
    prototype: { value: RealDate.prototype, writable: false, enumerable: false, configurable: false },
    now: { value: function now(): number { return nowMs(); }, writable: true, configurable: true },
    parse: { value: RealDate.parse, writable: true, configurable: true },
    UTC: { value: RealDate.UTC, writable: true, configurable: true },
    name: { value: 'Date' },
  });
  return SimDate as unknown as DateConstructor;
}
