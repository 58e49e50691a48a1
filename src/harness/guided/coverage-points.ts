/**
 * The coverage of one run, as guided search sees it: the `sometimes` and `reachable` names hit,
 * the BUGGIFY hooks that fired, and every pair of consecutive trace event names (which tells
 * "a retry followed a timeout" from "a retry followed a reply"). Built from the trace as it is
 * written, so each point knows how many decisions the run had made when it first got there.
 */
export class CoverageCollector {
  /** Each point the run reached, with the decisions made before it first did. */
  readonly points = new Map<string, number>();
  private previousName = 'run.begin';

  /** @param decisionsMade how many decisions the run has made so far. */
  constructor(private readonly decisionsMade: () => number) {}

  /** The trace observer (see `RunOnceOptions.observeEvents`). */
  readonly observe = (body: string): void => {
    const space = body.indexOf(' ');
    const name = space < 0 ? body : body.slice(0, space);
    this.note(`pair ${this.previousName} ${name}`);
    this.previousName = name;
    if (name === 'assert.sometimes' || name === 'assert.reachable') {
      const assertion = fieldOf(body, 'name');
      if (assertion !== undefined) this.note(`assert ${assertion}`);
    } else if (name === 'buggify' && body.endsWith(' fired=true')) {
      const hook = fieldOf(body, 'hook');
      if (hook !== undefined) this.note(`buggify ${hook}`);
    }
  };

  private note(point: string): void {
    if (!this.points.has(point)) this.points.set(point, this.decisionsMade());
  }
}

/** The (still encoded) value of ` key=` in an event body, up to the next space. */
function fieldOf(body: string, key: string): string | undefined {
  const start = body.indexOf(` ${key}=`);
  if (start < 0) return undefined;
  const from = start + key.length + 2;
  const end = body.indexOf(' ', from);
  return body.slice(from, end < 0 ? body.length : end);
}
