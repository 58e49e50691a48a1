import { InvalidArgument, describeValue } from '../kernel/errors.js';

const HOOK_NAME = /^[a-z][a-z0-9_]*$/;

/** Whether `hook` is a valid BUGGIFY hook name: lowercase letters, digits and `_`, starting with a letter. */
export function isHookName(hook: unknown): hook is string {
  return typeof hook === 'string' && HOOK_NAME.test(hook);
}

/** Checks a BUGGIFY hook name (see {@link isHookName}). */
export function assertHookName(hook: string, context: string): void {
  if (!isHookName(hook)) {
    throw new InvalidArgument(`${context}: hook must be lowercase letters, digits and "_", got ${describeValue(hook)}`);
  }
}
