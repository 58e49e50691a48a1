import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let cached: string | undefined;

/** The root directory of the marionette-sim package, found by walking up from this module (from src/ or dist/). */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'marionette-sim') {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('marionette-sim: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The compiled piscina worker of campaigns and replays (workers always run compiled JS from dist/). */
export function seedRangeWorkerUrl(): string {
  return pathToFileURL(path.join(packageRoot(), 'dist', 'workers', 'seed-range-worker.js')).href;
}
