import { BUILTIN_CASES } from '../../examples/registry.js';
import { EXIT } from '../../search/usage-error.js';
import type { Output } from '../output.js';

/** `mar list`: the built-in cases with their tags and descriptions. */
export function listCommand(output: Output) {
  return {
    command: 'list',
    describe: 'List the built-in example cases',
    builder: {},
    handler: async (): Promise<number> => {
      const width = Math.max(...[...BUILTIN_CASES.keys()].map((name) => name.length));
      for (const [name, c] of BUILTIN_CASES) {
        output.stdout(`${name.padEnd(width)}  ${c.description ?? ''}${c.tags.length > 0 ? `  [${c.tags.join(', ')}]` : ''}`);
      }
      return EXIT.ok;
    },
  };
}
