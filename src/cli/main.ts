import yargs from 'yargs';
import { listCommand } from './commands/list.js';
import { mergeCommand } from './commands/merge.js';
import { reportCommand } from './commands/report.js';
import { campaignsCommand } from './commands/campaigns.js';
import { coverageCommand } from './commands/coverage.js';
import { failuresCommand } from './commands/failures.js';
import { fuzzCommand } from './commands/fuzz.js';
import { replayCommand } from './commands/replay.js';
import { runCommand } from './commands/run.js';
import { processOutput, type Output } from './output.js';
import { BUILTIN_CASES } from '../examples/registry.js';
import { registerNamedCases } from '../search/named-cases.js';
import { StoreError } from '../search/store/failure-store.js';
import { CampaignStopped } from '../search/campaign/run-campaign.js';
import { EXIT, UsageError } from '../search/usage-error.js';

interface CommandModule {
  readonly command: string | readonly string[];
  readonly describe: string;
  readonly builder: unknown;
  readonly handler: (args: any) => Promise<number>;
}

/**
 * Runs the `mar` command line on `argv` (without the node and script words) and returns the exit
 * code: 0 as expected, 1 for an unexpected failure, 2 for bad usage or input (one line on stderr).
 */
export async function main(argv: readonly string[], output: Output = processOutput): Promise<number> {
  registerNamedCases(BUILTIN_CASES);
  let exitCode: number = EXIT.ok;
  const commands: CommandModule[] = [
    runCommand(output),
    fuzzCommand(output),
    replayCommand(output),
    failuresCommand(output),
    campaignsCommand(output),
    coverageCommand(output),
    mergeCommand(output),
    reportCommand(output),
    listCommand(output),
  ];
  let parser = yargs([...argv])
    .scriptName('mar')
    .usage('$0 <command> [options]\n\nDeterministic simulation testing and swarm fuzzing for TypeScript services.')
    .strict()
    .demandCommand(1, 'name a command; see mar --help')
    .exitProcess(false)
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  for (const module of commands) {
    parser = parser.command({
      command: module.command as string | string[],
      describe: module.describe,
      builder: module.builder as never,
      handler: async (args: unknown) => {
        exitCode = await module.handler(args);
      },
    });
  }
  try {
    await parser.parseAsync();
    return exitCode;
  } catch (error) {
    if (error instanceof UsageError || error instanceof StoreError || error instanceof CampaignStopped) {
      output.stderr(`mar: ${error.message.split('\n')[0]}`);
      return EXIT.usage;
    }
    if (isCorruptDatabase(error)) {
      output.stderr(`mar: the failure database is damaged (${(error as Error).message}); restore it from a backup or use another --db file`);
      return EXIT.usage;
    }
    if (error instanceof Error && error.name === 'YError') {
      output.stderr(`mar: ${error.message.split('\n')[0]}`);
      return EXIT.usage;
    }
    output.stderr(`mar: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.failed;
  }
}

/** SQLite's verdict that a file is damaged or not a database at all. */
function isCorruptDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'));
}
