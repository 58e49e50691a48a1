import { decodeTraceText } from './escape.js';
import { parseTrace, type TraceEvent } from './parse-trace.js';
import { parseAttributeValue } from './run-attribute.js';

/** Options of {@link summarizeTrace}. */
export interface SummaryOptions {
  /** How many of the last events to show verbatim (default 8). */
  readonly tailEvents?: number;
}

/**
 * A compact human digest of a trace: run metadata, then one line per component with its event
 * count and a count per action (in order of first appearance), the simulated time span and the
 * last few events verbatim.
 */
export function summarizeTrace(trace: string, options: SummaryOptions = {}): string {
  const events = parseTrace(trace);
  const tailEvents = options.tailEvents ?? 8;
  const lines: string[] = [];
  const init = events.find((e) => e.name === 'world.init');
  const name = events.find((e) => e.name === 'run.name');
  const tags = events.filter((e) => e.name === 'run.tag').map((e) => decodeTraceText(e.fields.value ?? ''));
  const attributes = events
    .filter((e) => e.name === 'run.attribute')
    .map((e) => `${e.fields.key}=${formatAttribute(e.fields.value ?? '')}`);
  lines.push(
    `run ${name ? decodeTraceText(name.fields.value ?? '') : '?'} seed=${init?.fields.seed ?? '?'} tick_ns=${init?.fields.tick_ns ?? '?'} events=${events.length}`,
  );
  if (tags.length > 0) lines.push(`  tags: ${tags.join(', ')}`);
  if (attributes.length > 0) lines.push(`  attributes: ${attributes.join(' ')}`);
  lines.push(`  simulated time: ${formatNs(lastTimeNs(events))}`);

  const components = new Map<string, Map<string, number>>();
  for (const event of events) {
    if (event.name.startsWith('run.') || event.name === 'world.init') continue;
    const dot = event.name.indexOf('.');
    const component = dot < 0 ? event.name : event.name.slice(0, dot);
    const action = dot < 0 ? (event.fields.fired === 'true' ? 'fired' : 'not_fired') : event.name.slice(dot + 1);
    let actions = components.get(component);
    if (actions === undefined) components.set(component, (actions = new Map()));
    actions.set(action, (actions.get(action) ?? 0) + 1);
  }
  const width = Math.max(8, ...[...components.keys()].map((c) => c.length));
  for (const [component, actions] of components) {
    const total = [...actions.values()].reduce((a, b) => a + b, 0);
    const detail = [...actions].map(([action, count]) => `${action}×${count}`).join(' ');
    lines.push(`  ${component.padEnd(width)} ${String(total).padStart(5)}  ${detail}`);
  }
  const outcome = events.filter((e) => ['run.error', 'run.stalled', 'check.fail'].includes(e.name) || e.name.endsWith('invariant_violation'));
  for (const event of outcome) lines.push(`  ! ${lineOf(event)}`);
  if (tailEvents > 0) {
    lines.push(`  last ${Math.min(tailEvents, events.length)} events:`);
    for (const event of events.slice(-tailEvents)) lines.push(`    ${lineOf(event)}`);
  }
  return lines.join('\n');
}

function lineOf(event: TraceEvent): string {
  const fields = Object.entries(event.fields).map(([k, v]) => ` ${k}=${v}`).join('');
  return `event=${event.index} ${event.name}${fields}`;
}

function formatAttribute(value: string): string {
  try {
    const parsed = parseAttributeValue(value);
    return typeof parsed === 'string' ? JSON.stringify(parsed) : String(parsed);
  } catch {
    return value;
  }
}

/** The latest simulated time the trace mentions (fields named `*_ns` that are instants). */
function lastTimeNs(events: readonly TraceEvent[]): number {
  let latest = 0;
  for (const event of events) {
    for (const key of ['now_ns', 'until_ns', 'wake_ns', 'deliver_at']) {
      const value = Number(event.fields[key]);
      if (Number.isFinite(value) && value > latest) latest = value;
    }
  }
  return latest;
}

function formatNs(ns: number): string {
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(3)} µs`;
  return `${ns} ns`;
}
