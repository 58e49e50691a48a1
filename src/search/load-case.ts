import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isCase, type Case } from '../harness/define-case.js';
import { namedCase } from './named-cases.js';
import { UsageError } from './usage-error.js';

/** A case and the reference it was loaded by (what replay commands print). */
export interface LoadedCase {
  readonly case: Case;
  readonly ref: string;
}

const MODULE_FILE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

/**
 * Finds a case by reference: a registered name (`retry-queue`, see `registerNamedCases`), or a user module
 * `path/to/file.(ts|mts|js|mjs)#exportName` holding a `defineCase` object. Without `#` the default
 * export is used; when no export has the given name, an exported case whose `name` matches is
 * used (so `path#caseName` from a replay command works). TypeScript modules load through tsx,
 * with no separate build step.
 * @throws {UsageError} one line naming the missing case, file or export.
 */
export async function loadCase(ref: string, cwd = process.cwd()): Promise<LoadedCase> {
  const builtin = namedCase(ref);
  if (builtin !== undefined) return { case: builtin, ref };
  const hash = ref.lastIndexOf('#');
  const file = hash < 0 ? ref : ref.slice(0, hash);
  const exportName = hash < 0 ? 'default' : ref.slice(hash + 1);
  if (!MODULE_FILE.test(file)) {
    throw new UsageError(`unknown case ${JSON.stringify(ref)}: not a built-in case (see \`mar list\`) nor a module path#export`);
  }
  const absolute = path.resolve(cwd, file);
  if (!existsSync(absolute)) throw new UsageError(`case module not found: ${file}`);
  const moduleExports = await importModule(absolute, file);
  const named = moduleExports[exportName];
  if (isCase(named)) return { case: named, ref };
  const byCaseName = Object.values(moduleExports).find((value) => isCase(value) && value.name === exportName);
  if (isCase(byCaseName)) return { case: byCaseName, ref };
  if (named !== undefined) throw new UsageError(`export ${exportName} of ${file} is not a case made by defineCase`);
  throw new UsageError(`${file} has no export ${JSON.stringify(exportName)} holding a case`);
}

async function importModule(absolute: string, shown: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(absolute).href;
  try {
    if (/\.(?:ts|mts|cts)$/.test(absolute)) {
      const { tsImport } = await import('tsx/esm/api');
      return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
    }
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`cannot load case module ${shown}: ${message}`);
  }
}
