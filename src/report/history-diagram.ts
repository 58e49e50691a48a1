import { parseTrace } from '../kernel/trace/parse-trace.js';
import { decodedOr, escapeXml, eventLines, intField, optionalCount, truncate } from './_internals/svg.js';

/** Options of {@link historyDiagram}. */
export interface HistoryDiagramOptions {
  /** The id of the operation to mark as the failing one (`hist-fail`), e.g. one a linearizability explanation names. */
  readonly failingOp?: number;
}

// Layout, in px, whole numbers only.
const LEFT = 60; // client labels
const TOP = 18; // the caption above the rows
const ROW = 22; // one client
const BAR = 14; // bar height
const CHAR_W = 5.5; // a rough width of one 10px character, to cut labels to their bar

const STYLE =
  '.hist text{font:10px sans-serif;fill:#333}.hist-client line{stroke:#ddd}.hist .hist-axis{fill:#888}' +
  '.hist-op rect{fill:#dbe7f5;stroke:#357}.hist-op path{fill:#f3f3f3;stroke:#357;stroke-dasharray:3 2}' +
  '.hist-op[data-outcome=fail] rect{fill:#eee;stroke:#999;stroke-dasharray:1 2}' +
  '.hist-fail rect,.hist-fail path{fill:#f9d0d0;stroke:#c22;stroke-width:2}';

type Outcome = 'ok' | 'fail' | 'info' | 'open';

interface Op {
  readonly id: number;
  readonly client: number;
  /** Decoded JSON text of the input. */
  readonly input: string;
  /** Position of the invocation among the history events. */
  readonly call: number;
  readonly invokeEvent: number;
  /** Position of the completion (ok, fail or info), if any. */
  ret: number | undefined;
  endEvent: number | undefined;
  outcome: Outcome;
  /** Decoded JSON text of the output (ok only). */
  output: string | undefined;
}

/**
 * Draws the client history a trace records (`history.invoke`, `history.ok`, `history.fail`,
 * `history.info`, see `createHistory`) as SVG markup: one row per client, one bar per operation
 * from its invocation to its completion. The horizontal axis is the order of the history events,
 * the order a linearizability check reasons about (two operations at the same simulated instant
 * are still ordered), so what overlaps on the page is exactly what was concurrent.
 *
 * An operation completed with `info` (outcome unknown) or never completed stays open: it is drawn
 * dashed and open-ended to the right edge, as the checker treats it (it may take effect at any
 * later point). One completed with `fail` did not take effect; it is drawn greyed.
 *
 * Every operation is a `<g class="hist-op" data-op="ID" data-client="C" data-outcome="ok|fail|info|open">`
 * whose first child is a `<title>` naming the client, the operation, its input and its output
 * (then its trace lines); the operation `options.failingOp` has `class="hist-op hist-fail"`.
 * Client rows are `<g class="hist-client" data-client="C">`. Output is deterministic and refers
 * to nothing outside itself.
 *
 * @returns the `<svg>` markup, or `''` when the trace records no history.
 * @throws {InvalidTrace} when `traceText` is not a trace.
 * @throws {InvalidArgument} when `failingOp` is not a non-negative safe integer.
 */
export function historyDiagram(traceText: string, options: HistoryDiagramOptions = {}): string {
  const failingOp = optionalCount(options.failingOp, 'historyDiagram: failingOp');
  const events = parseTrace(traceText).filter((e) => HISTORY_EVENTS.has(e.name));
  if (events.length === 0) return '';
  const lines = eventLines(traceText);

  const ops = new Map<number, Op>();
  for (const [position, event] of events.entries()) {
    const f = event.fields;
    const id = intField(f.op);
    if (id === undefined) continue;
    if (event.name === 'history.invoke') {
      const client = intField(f.client);
      if (client === undefined || ops.has(id)) continue; // a world never writes either; a hand-written trace may
      ops.set(id, { id, client, input: decodedOr(f.input, '?'), call: position, invokeEvent: event.index, ret: undefined, endEvent: undefined, outcome: 'open', output: undefined });
      continue;
    }
    const op = ops.get(id);
    if (op === undefined || op.outcome !== 'open') continue; // completes nothing known: the first completion counts
    op.ret = position;
    op.endEvent = event.index;
    op.outcome = event.name === 'history.ok' ? 'ok' : event.name === 'history.fail' ? 'fail' : 'info';
    if (op.outcome === 'ok') op.output = decodedOr(f.output, '?');
  }

  const clients = [...new Set([...ops.values()].map((op) => op.client))].sort((a, b) => a - b);
  const rowOf = new Map(clients.map((client, row) => [client, row] as const));
  const n = events.length;
  // Short histories get room for labels (`read() → null` fits in two steps); long ones shrink to
  // about a page wide, never below 4 px a step.
  const step = Math.min(40, Math.max(4, Math.floor(1200 / n)));
  const x = (position: number): number => LEFT + 8 + position * step;
  const openEnd = x(n); // one step past the last event: "still going"
  const width = openEnd + 12;
  const height = TOP + clients.length * ROW + 6;

  const rows = clients.map((client, row) => {
    const y = TOP + row * ROW + ROW / 2;
    return `<g class="hist-client" data-client="${client}"><text x="4" y="${y + 3}">client ${client}</text><line x1="${LEFT}" y1="${y}" x2="${width - 4}" y2="${y}"/></g>`;
  });

  // A label may run past its bar into the empty row up to the client's next call (a client has
  // one operation at a time), which is where short bars need the room. An open operation's label
  // stops there too: its dashed bar runs on under the client's later operations.
  const nextCall = new Map<number, number>();
  const lastCallOf = new Map<number, Op>();
  for (const op of ops.values()) {
    const previous = lastCallOf.get(op.client);
    if (previous !== undefined) nextCall.set(previous.id, op.call);
    lastCallOf.set(op.client, op);
  }

  const bars = [...ops.values()].map((op) => {
    const top = TOP + (rowOf.get(op.client) ?? 0) * ROW + (ROW - BAR) / 2;
    const x1 = x(op.call);
    const closed = op.outcome === 'ok' || op.outcome === 'fail';
    const x2 = closed && op.ret !== undefined ? x(op.ret) : openEnd;
    const shape = closed
      ? `<rect x="${x1}" y="${top}" width="${x2 - x1}" height="${BAR}" rx="2"/>`
      : `<path d="M${x2} ${top}H${x1}V${top + BAR}H${x2}"/>`; // no right edge: it never returned
    const next = nextCall.get(op.id);
    const room = (next === undefined ? openEnd : x(next)) - x1 - 6;
    const label = truncate(shortLabel(op), Math.floor(room / CHAR_W));
    const text = label === '' ? '' : `<text x="${x1 + 3}" y="${top + 10}">${escapeXml(label)}</text>`;
    const cls = op.id === failingOp ? 'hist-op hist-fail' : 'hist-op';
    return (
      `<g class="${cls}" data-op="${op.id}" data-client="${op.client}" data-outcome="${op.outcome}"><title>${escapeXml(title(op, op.id === failingOp, lines))}</title>` +
      `${shape}${text}</g>`
    );
  });

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="hist" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
    `aria-label="history: ${ops.size} operations of ${clients.length} clients">` +
    `<style>${STYLE}</style>` +
    `<text class="hist-axis" x="${LEFT}" y="11">calls and returns in the order they happened →</text>` +
    rows.join('') +
    bars.join('') +
    '</svg>'
  );
}

const HISTORY_EVENTS: ReadonlySet<string> = new Set(['history.invoke', 'history.ok', 'history.fail', 'history.info']);

/** The hover text: who, what, what came back, and the trace lines it comes from. */
function title(op: Op, failing: boolean, lines: readonly string[]): string {
  const result =
    op.outcome === 'ok'
      ? `returned ${op.output ?? '?'}`
      : op.outcome === 'fail'
        ? 'failed: it did not take effect'
        : op.outcome === 'info'
          ? 'outcome unknown (info): it may or may not have taken effect'
          : 'never returned (still open at the end of the trace)';
  const traced = [op.invokeEvent, op.endEvent].flatMap((index) => (index === undefined ? [] : [`\n${lines[index] ?? ''}`])).join('');
  return `client ${op.client}, op ${op.id}: ${op.input} ${result}${failing ? ' — the failing operation' : ''}${traced}`;
}

/** The bar's label: `write("x") → "ok"` style for `{ op, ...args }` inputs, else the JSON itself. */
function shortLabel(op: Op): string {
  const output = op.outcome === 'ok' ? ` → ${op.output ?? '?'}` : op.outcome === 'info' ? ' → ?' : '';
  return `${describeInput(op.input)}${output}`;
}

function describeInput(input: string): string {
  let value: unknown;
  try {
    value = JSON.parse(input);
  } catch {
    return input;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return input;
  const { op, ...args } = value as Record<string, unknown>;
  if (typeof op !== 'string') return input;
  return `${op}(${Object.values(args).map((v) => JSON.stringify(v)).join(', ')})`;
}
