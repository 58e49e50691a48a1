/**
 * Points the functions of Node's modules that a hermetic world owns at their dispatchers, for
 * good, when this module loads (see `hermetic-scope.ts` for why these are not swapped per run).
 * Outside a world every dispatcher calls the real function.
 * @module
 */
import crypto, { webcrypto } from 'node:crypto';
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { dispatch, randomnessOf, refuse, timersOf, type ActiveWorld, type AnyFunction } from './active-world.js';
import { callbackTimers, promiseTimers } from './global-dispatchers.js';

function patch(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: true });
}

/** Calls `callback(null, value)` at the current instant, as Node's async randomness calls back later. */
function callBack(a: ActiveWorld, callback: unknown, value: unknown): undefined {
  timersOf(a).setImmediate(callback, null, value);
  return undefined;
}

for (const [key, value] of Object.entries(callbackTimers)) patch(timers, key, value);
for (const key of ['setTimeout', 'setImmediate', 'setInterval'] as const) patch(timersPromises, key, promiseTimers[key]);
patch(timersPromises.scheduler, 'wait', promiseTimers.wait);
patch(timersPromises.scheduler, 'yield', promiseTimers.yield);

patch(crypto, 'randomUUID', dispatch(crypto.randomUUID as AnyFunction, (a) => randomnessOf(a).randomUUID()));
patch(
  crypto,
  'randomBytes',
  dispatch(crypto.randomBytes as AnyFunction, (a, [size, callback]) => {
    const bytes = randomnessOf(a).randomBytes(size);
    return callback === undefined ? bytes : callBack(a, callback, bytes);
  }),
);
patch(
  crypto,
  'randomInt',
  dispatch(crypto.randomInt as AnyFunction, (a, args: unknown[]) => {
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    const [min, max] = args.length === 1 ? [0, args[0] as number] : [args[0] as number, args[1] as number];
    const value = randomnessOf(a).randomInt(min, max);
    return callback === undefined ? value : callBack(a, callback, value);
  }),
);
patch(
  crypto,
  'randomFillSync',
  dispatch(crypto.randomFillSync as AnyFunction, (a, [buffer, offset, size]) => randomnessOf(a).randomFillSync(buffer, offset, size)),
);
patch(
  crypto,
  'randomFill',
  dispatch(crypto.randomFill as AnyFunction, (a, args: unknown[]) => {
    const callback = args.pop();
    const [buffer, offset, size] = args as [ArrayBufferView, number | undefined, number | undefined];
    return callBack(a, callback, randomnessOf(a).randomFillSync(buffer, offset, size));
  }),
);
// node:crypto's own getRandomValues is a fixed getter of a function that calls Web Crypto's, so
// patching the prototype covers it, globalThis.crypto and webcrypto alike.
const cryptoPrototype = Object.getPrototypeOf(webcrypto) as { getRandomValues: AnyFunction; randomUUID: AnyFunction };
patch(cryptoPrototype, 'getRandomValues', dispatch(cryptoPrototype.getRandomValues, (a, [array]) => randomnessOf(a).getRandomValues(array)));
patch(cryptoPrototype, 'randomUUID', dispatch(cryptoPrototype.randomUUID, (a) => randomnessOf(a).randomUUID()));

patch(net, 'connect', refuse(net.connect, 'net.connect'));
patch(net, 'createConnection', refuse(net.createConnection, 'net.createConnection'));
patch(dgram, 'createSocket', refuse(dgram.createSocket, 'dgram.createSocket'));
patch(http, 'request', refuse(http.request, 'http.request'));
patch(http, 'get', refuse(http.get, 'http.get'));
patch(https, 'request', refuse(https.request, 'https.request'));
patch(https, 'get', refuse(https.get, 'https.get'));

// ESM named imports of builtins (`import { setTimeout } from 'node:timers'`) follow the patch.
syncBuiltinESMExports();
