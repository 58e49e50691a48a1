import { InvalidArgument, describeValue } from '../kernel/errors.js';

const HOOK_NAME = /^[a-z][a-z0-9_]*$/;

/** Checks a BUGGIFY hook name: lowercase letters, digits and `_`, starting with a letter. */
export function assertHookName(hook: string, context: string): void {
  if (typeof hook !== 'string' || !HOOK_NAME.test(hook)) {
    throw new InvalidArgument(`${context}: hook must be lowercase letters, digits and "_", got ${describeValue(hook)}`);
  }
}
