import path from 'node:path';
import type { Case } from './define-case.js';

const builtinNames = new WeakMap<Case, string>();

/** @internal Marks a case as built in, so replay commands name it by its registry name. */
export function markBuiltinCase(c: Case, registryName: string): void {
  builtinNames.set(c, registryName);
}

/**
 * How the command line finds a case again: its registry name for a built-in case, else
 * `relative/path/to/module.ts#caseName` when the defining file is known, else the bare name.
 */
export function caseReference(c: Case): string {
  const builtin = builtinNames.get(c);
  if (builtin !== undefined) return builtin;
  if (c.definedIn === undefined) return c.name;
  const relative = path.relative(process.cwd(), c.definedIn) || c.definedIn;
  return `${relative.startsWith('.') || path.isAbsolute(relative) ? relative : `./${relative}`}#${c.name}`;
}

/** Quotes a word for a POSIX shell only when it needs quoting. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_\-.\/#:=@%+,]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
