#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from './main.js';

const code = await main(hideBin(process.argv));
// Exit explicitly: a stalled scenario may have left a real timer behind, which must not keep
// the command alive. Exit after stdout has flushed so piped output is never cut short.
process.stdout.write('', () => process.exit(code));
