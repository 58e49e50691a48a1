// In-process tests run campaigns and replays of built-in cases by name, as the CLI and workers do.
import { BUILTIN_CASES } from '../src/examples/registry.js';
import { registerNamedCases } from '../src/search/named-cases.js';

registerNamedCases(BUILTIN_CASES);
