/**
 * Event names seen so far in this thread, numbered, so a pair of names is one number to look up
 * (building and hashing a `pair a b` string for every event cost more than the run itself).
 * Names are the library's and the case's record names, a small set; past the cap, names are
 * still covered, through the slower string path.
 */
const nameIds = new Map<string, number>();
const MAX_NAME_IDS = 1 << 16;

function idOf(name: string): number {
  let id = nameIds.get(name);
  if (id === undefined) {
    if (nameIds.size >= MAX_NAME_IDS) return -1;
    id = nameIds.size;
    nameIds.set(name, id);
  }
  return id;
}

const RUN_BEGIN = 'run.begin';

/**
 * The coverage of one run, as guided search sees it: the `sometimes` and `reachable` names hit,
 * the BUGGIFY hooks that fired, and every pair of consecutive trace event names (which tells
 * "a retry followed a timeout" from "a retry followed a reply"). Built from the trace as it is
 * written, so each point knows how many decisions the run had made when it first got there.
 */
export class CoverageCollector {
  /** Each point the run reached, with the decisions made before it first did. */
  readonly points = new Map<string, number>();
  /** Pairs already noted in this run, as `previousId * 2^16 + id`. */
  private readonly pairs = new Set<number>();
  private previousName = RUN_BEGIN;
  private previousId = idOf(RUN_BEGIN);

  /** @param decisionsMade how many decisions the run has made so far. */
  constructor(private readonly decisionsMade: () => number) {}

  /** The trace observer (see `RunOnceOptions.observeEvents`). */
  readonly observe = (body: string): void => {
    const space = body.indexOf(' ');
    const name = space < 0 ? body : body.slice(0, space);
    const id = idOf(name);
    if (id < 0 || this.previousId < 0) {
      this.note(`pair ${this.previousName} ${name}`);
    } else {
      const pair = this.previousId * MAX_NAME_IDS + id;
      if (!this.pairs.has(pair)) {
        this.pairs.add(pair);
        this.note(`pair ${this.previousName} ${name}`);
      }
    }
    this.previousName = name;
    this.previousId = id;
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
