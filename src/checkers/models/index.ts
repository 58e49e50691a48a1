import { casRegister } from './cas-register.js';
import { kv } from './kv.js';
import { register } from './register.js';

export type { RegisterInput } from './register.js';
export type { CasRegisterInput } from './cas-register.js';
export type { KvInput, KvState } from './kv.js';

/** The built-in models: `register()`, `casRegister()` and `kv()`. */
export const models = Object.freeze({ register, casRegister, kv });
