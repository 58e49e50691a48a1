/** Where a command writes; the CLI passes the process streams, tests can capture. */
export interface Output {
  /** Writes a line to stdout. */
  stdout(line: string): void;
  /** Writes text to stdout as is. */
  stdoutRaw(text: string): void;
  /** Writes a line to stderr. */
  stderr(line: string): void;
  /** True when stderr is an interactive terminal (progress lines are shown only then). */
  readonly interactive: boolean;
  /** Replaces the progress line on stderr; `undefined` clears it. */
  progress(line: string | undefined): void;
}

/** The process's own streams. */
export const processOutput: Output = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stdoutRaw: (text) => process.stdout.write(text),
  stderr: (line) => process.stderr.write(`${line}\n`),
  interactive: process.stderr.isTTY === true,
  progress: (line) => {
    const width = process.stderr.columns ?? 100;
    process.stderr.write(line === undefined ? '\r\x1b[2K' : `\r\x1b[2K${line.slice(0, width - 1)}`);
  },
};
