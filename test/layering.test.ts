import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.join(import.meta.dirname, '..', 'src');

/** What each folder of src may import besides itself (SPEC section 2: dependencies point one way). */
const ALLOWED: Record<string, readonly string[]> = {
  kernel: [],
  faults: ['kernel'],
  harness: ['kernel', 'faults', 'checkers'],
  checkers: ['kernel'], // its leaf modules only (errors, the PRNG's mixer); see the test below
  search: ['kernel', 'faults', 'harness', 'checkers'],
  report: ['kernel', 'faults', 'harness', 'checkers', 'search'],
  cli: ['kernel', 'faults', 'harness', 'checkers', 'search', 'report', 'examples'],
  examples: ['index.ts'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? [path.join(dir, entry.name)] : [],
  );
}

/** Every relative module a file imports, statically or dynamically, as a path below src. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specifiers.map((spec) => path.relative(SRC, path.resolve(path.dirname(file), spec)));
}

const layerOf = (relative: string): string => (relative.includes(path.sep) ? relative.split(path.sep)[0]! : relative.replace(/\.js$/, '.ts'));

describe('layering (SPEC section 2)', () => {
  it('has every import between folders point down the layers', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(path.relative(SRC, file));
      if (!(from in ALLOWED)) continue; // the public entry (src/index.ts) composes every layer
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (to !== from && !ALLOWED[from]!.includes(to)) violations.push(`${path.relative(SRC, file)} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('keeps checkers pure: of ours they import only the kernel\'s leaf modules (errors, prng)', () => {
    const imports = sourceFiles(path.join(SRC, 'checkers')).flatMap(importsOf).filter((target) => layerOf(target) === 'kernel');
    expect([...new Set(imports)].sort()).toEqual([path.join('kernel', 'errors.js'), path.join('kernel', 'prng.js')]);
  });

  it('knows every folder of src', () => {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    for (const folder of folders) expect(Object.keys(ALLOWED)).toContain(folder);
  });
});
