import type { Argv } from 'yargs';
import { writeReport } from '../../report/write-report.js';
import { withDbOption } from '../db-option.js';
import type { Output } from '../output.js';
import { EXIT, UsageError } from '../../search/usage-error.js';

interface ReportArgs {
  readonly db: string;
  readonly campaign?: number;
  readonly failure?: number;
  readonly out?: string;
}

/** `mar report [--campaign ID | --failure ID] [--out FILE]`: one self-contained HTML page. */
export function reportCommand(output: Output) {
  return {
    command: 'report',
    describe: 'Write a campaign (default: the latest) or one failure as a self-contained HTML page',
    builder: (yargs: Argv) =>
      withDbOption(yargs)
        .option('campaign', { type: 'number', describe: 'the campaign to report (default: the latest)' })
        .option('failure', { type: 'number', describe: 'report one failure instead of a campaign' })
        .option('out', { type: 'string', describe: 'the HTML file (default: report-campaign-N.html beside the database)' })
        .conflicts('campaign', 'failure'),
    handler: async (args: ReportArgs): Promise<number> => {
      for (const [name, value] of [['--campaign', args.campaign], ['--failure', args.failure]] as const) {
        if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) throw new UsageError(`${name} must be a positive integer, got ${value}`);
      }
      const written = await writeReport({ db: args.db, campaignId: args.campaign, failureId: args.failure, out: args.out });
      output.stdout(`wrote ${written.file} (${(written.bytes / 1024).toFixed(0)} KB, ${written.sections} failure ${written.sections === 1 ? 'section' : 'sections'})`);
      return EXIT.ok;
    },
  };
}
