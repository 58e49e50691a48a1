import type { Argv } from 'yargs';
import { parseSeed } from '../../kernel/parse-seed.js';
import { runCase } from '../../harness/run-case.js';
import { summarizeTrace } from '../../kernel/trace/summarize-trace.js';
import { loadCase } from '../../search/load-case.js';
import { parseProfileOption } from '../parse-profile-option.js';
import { EXIT, UsageError } from '../../search/usage-error.js';
import type { Output } from '../output.js';

interface RunArgs {
  readonly case: string;
  readonly seed: string;
  readonly profile?: string;
  readonly summary: boolean;
  readonly trace: boolean;
  readonly expectFailure: boolean;
  readonly json: boolean;
}

/** `mar run <case> --seed S [--summary | --trace] [--expect-failure] [--json]` (alias `run-example`). */
export function runCommand(output: Output) {
  return {
    command: ['run <case>', 'run-example <case>'],
    describe: 'Run one seed of a case twice (under a fault profile), compare the traces, and report',
    builder: (yargs: Argv) =>
      yargs
        .positional('case', { type: 'string', describe: 'built-in case name or path/to/module.ts#export', demandOption: true })
        .option('seed', { type: 'string', demandOption: true, describe: 'u64 seed: decimal, 0x hex, or a 40-hex git commit' })
        .option('profile', { type: 'string', describe: 'fault profile: none (default), smoke, swarm, or a JSON profile' })
        .option('summary', { type: 'boolean', describe: 'print a per-component digest of the trace' })
        .option('trace', { type: 'boolean', describe: 'print the full trace to stdout (verdict to stderr)' })
        .option('expect-failure', { type: 'boolean', default: false, describe: 'exit 0 only if the run fails' })
        .option('json', { type: 'boolean', describe: 'print the report as one JSON object' })
        .conflicts('summary', 'trace')
        .conflicts('json', ['summary', 'trace']),
    handler: async (args: RunArgs): Promise<number> => {
      let seed: bigint;
      try {
        seed = parseSeed(args.seed);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const profile = parseProfileOption(args.profile);
      const loaded = await loadCase(args.case);
      const report = await runCase(loaded.case, { seed, profile, caseRef: loaded.ref });
      if (args.json) {
        output.stdout(JSON.stringify(reportJson(report)));
      } else if (args.trace) {
        output.stdoutRaw(report.trace);
        output.stderr(report.summary);
      } else {
        if (args.summary) output.stdout(summarizeTrace(report.trace));
        output.stdout(report.summary);
        if (report.errorDetail !== undefined) output.stdout(report.errorDetail.replace(/^/gm, '  '));
      }
      const failedAsExpected = !report.passed && report.kind !== 'determinism_mismatch';
      if (args.expectFailure) {
        if (!failedAsExpected) output.stderr(`expected ${loaded.ref} to fail on seed ${report.seedText}, but it ${report.passed ? 'passed' : `failed with ${report.kind}`}`);
        return failedAsExpected ? EXIT.ok : EXIT.failed;
      }
      return report.passed ? EXIT.ok : EXIT.failed;
    },
  };
}

/** The JSON form of a report (bigint seed as decimal text, thrown value dropped). */
export function reportJson(report: import('../../harness/run-report.js').RunReport): Record<string, unknown> {
  const { error: _error, seed: _seed, ...rest } = report;
  return { ...rest, seed: report.seedText };
}
