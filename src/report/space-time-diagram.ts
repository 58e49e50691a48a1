import { InvalidArgument } from '../kernel/errors.js';
import { parseTrace, type TraceEvent } from '../kernel/trace/parse-trace.js';
import { contentId, decodedOr, escapeXml, eventLines, formatNs, intField, intList, optionalCount, truncate } from './_internals/svg.js';

/** Options of {@link spaceTimeDiagram}. */
export interface SpaceTimeDiagramOptions {
  /**
   * How many rows to draw at most (default 2000). A failing run can have hundreds of thousands
   * of events, and a page that embeds many diagrams must stay small; past the limit a
   * `st-cut` note says how many events were left out. Failures are drawn below it regardless.
   */
  readonly maxRows?: number;
}

/** Rows drawn when no `maxRows` is given. */
export const DEFAULT_MAX_ROWS = 2000;

/** The most lanes a diagram draws; `network.init nodes` beyond it is not a trace a world wrote. */
const MAX_LANES = 4096;

// Layout, in px. Whole numbers only, so coordinates print without float noise.
const ROW = 12; // one drawn event
const LANE = 72; // distance between lanes
const TIME_W = 56; // simulated-time gutter at the left
const BUGGIFY_X = TIME_W + 7; // BUGGIFY marks, between the gutter and the first lane
const LEFT = TIME_W + 14;
const TOP = 26; // lane labels (two lines when a host runs on the node)
const FOOT = 16; // one line of the cut note or of a failure
const CHAR_W = 6; // a rough width of one 10px character, to size the footer

type Kind =
  | 'send'
  | 'deliver'
  | 'drop'
  | 'partition'
  | 'heal'
  | 'clog'
  | 'unclog'
  | 'node'
  | 'link'
  | 'start'
  | 'crash'
  | 'restart'
  | 'buggify'
  | 'calm'
  | 'fail';

/** What an event is drawn as; undefined for events the diagram does not show. */
function kindOf(event: TraceEvent): Kind | undefined {
  switch (event.name) {
    case 'network.send':
      return 'send';
    case 'network.deliver':
      return 'deliver';
    case 'network.drop':
      return 'drop';
    case 'network.partition':
    case 'network.auto_partition':
      return 'partition';
    case 'network.heal':
    case 'network.auto_heal':
    case 'network.heal_links':
      return 'heal';
    case 'network.clog':
      return 'clog';
    case 'network.unclog':
    case 'network.unclog_all':
      return 'unclog';
    case 'network.node':
      return 'node';
    case 'network.link':
      return 'link';
    case 'host.start':
      return 'start';
    case 'host.crash':
      return 'crash';
    case 'host.restart':
      return 'restart';
    case 'buggify':
      return event.fields.fired === 'true' ? 'buggify' : undefined; // a roll that did not fire changed nothing
    case 'control.calm':
      return 'calm'; // where the faults stop: what an eventually-check waits after
    case 'check.fail':
    case 'assert.fail':
    case 'run.error':
    case 'run.stalled':
    case 'liveness.fail':
      return 'fail';
    default:
      return undefined;
  }
}

/** Fixed style of every diagram. Identical in every SVG, so it does no harm when a page holds many. */
const STYLE =
  '.st text{font:10px sans-serif;fill:#333}.st-lane line{stroke:#bbb}.st-lane text{text-anchor:middle}' +
  '.st .st-time{fill:#888;text-anchor:end}' +
  '.st-deliver line,.st-inflight line{stroke:#357}.st-inflight line{stroke-dasharray:2 2}' +
  '.st-drop path{stroke:#c22;stroke-width:1.5;fill:none}' +
  '.st-partition rect{fill:#f6d0d0}.st-partition circle{fill:#b22;stroke:#b22}.st-partition .r{fill:#fff}' +
  '.st-heal rect{fill:#cfeccf}.st-calm path{stroke:#2a2;stroke-dasharray:4 3}' +
  '.st-clog path{stroke:#d80;stroke-width:3;opacity:.7}.st-unclog path{stroke:#6b6;stroke-width:3;opacity:.7}' +
  '.st-link path{stroke:#c22;stroke-dasharray:3 2}.st-link .u,.st-node .u{stroke:#2a2}' +
  '.st-node rect{fill:#c22;stroke:#c22}.st-node .u{fill:#fff}' +
  '.st-start circle{fill:#2a2}.st-crash path{stroke:#c22;stroke-width:3}.st-crash rect{fill:#c22;opacity:.15}' +
  '.st-restart path{fill:#2a2}.st-buggify path{fill:#a3c}' +
  '.st-fail rect{fill:#fde8e8;stroke:#c22}.st-fail text{fill:#900}.st .st-cut{fill:#666;font-style:italic}';

interface Lane {
  readonly label: string;
  /** The host running on this lane, if any. */
  readonly host: number | undefined;
}

/**
 * Draws the network and the hosts of a trace as a space-time diagram (SVG markup): one vertical
 * lane per network node and per host (a host on a network node shares the node's lane), time
 * running downwards with one row per drawn event in trace order (rows, not simulated time, so
 * that events at the same instant stay apart and in their real order; the simulated time is in
 * the left gutter and in each event's line). Messages are arrows from the send to the delivery,
 * drops are crosses on the sender's lane, partitions and heals are bands across the lanes,
 * crashes and restarts are marks on the host's lane (with its down time shaded), fired BUGGIFY
 * hooks are diamonds in the left margin and the run's failure is a bar at the bottom.
 *
 * Every drawn event is a `<g class="st-KIND" data-event="N">` whose first child is a `<title>`
 * holding the event's trace line exactly (hover shows it). Kinds: `st-deliver`, `st-inflight` (a
 * packet never delivered nor dropped), `st-drop`, `st-partition`, `st-heal`, `st-clog`,
 * `st-unclog`, `st-node`, `st-link`, `st-start`, `st-crash`, `st-restart`, `st-buggify`,
 * `st-calm`, `st-fail`. Groups of one lane (drop, node, start, crash, restart) carry
 * `data-lane`. Lanes are `<g class="st-lane" data-lane="node N">` (or `host N` for a host with no
 * network node), with `data-host="N"` when a host runs there. Output is deterministic and refers
 * to nothing outside itself.
 *
 * @param traceText a trace as a world writes it.
 * @returns the `<svg>` markup, or `''` when the trace has neither a network nor hosts.
 * @throws {InvalidTrace} when `traceText` is not a trace.
 * @throws {InvalidArgument} when `maxRows` is not a non-negative safe integer.
 */
export function spaceTimeDiagram(traceText: string, options: SpaceTimeDiagramOptions = {}): string {
  const maxRows = optionalCount(options.maxRows, 'spaceTimeDiagram: maxRows') ?? DEFAULT_MAX_ROWS;
  const events = parseTrace(traceText);
  const lines = eventLines(traceText);

  // Pass 1: who is there, and which packets ever arrive or are dropped (so a packet still in
  // flight at the end of the trace can be shown as such).
  let network = false;
  const nodes = new Set<number>();
  const hosts = new Set<number>();
  const settled = new Set<number>();
  const restartAfter = new Map<number, number>(); // crash event -> the restart that ends it
  const openCrash = new Map<number, number>(); // host -> its crash event not yet restarted
  for (const event of events) {
    const f = event.fields;
    if (event.name.startsWith('network.')) {
      network = true;
      if (event.name === 'network.init') {
        const count = intField(f.nodes) ?? 0;
        if (count > MAX_LANES) throw new InvalidArgument(`spaceTimeDiagram: event ${event.index} has ${count} nodes, more than ${MAX_LANES} lanes`);
        for (let n = 0; n < count; n++) nodes.add(n);
      }
      for (const id of [f.from, f.to].map(intField)) if (id !== undefined) nodes.add(id);
      for (const id of [...intList(f.left), ...intList(f.right)]) nodes.add(id);
      if (event.name === 'network.node') addIf(nodes, intField(f.id));
      if (event.name === 'network.deliver' || event.name === 'network.drop') addIf(settled, intField(f.id));
    } else if (event.name.startsWith('host.')) {
      const id = intField(f.id);
      if (id === undefined) continue;
      hosts.add(id);
      if (event.name === 'host.crash') openCrash.set(id, event.index);
      if (event.name === 'host.restart') {
        const crash = openCrash.get(id);
        if (crash !== undefined) restartAfter.set(crash, event.index);
        openCrash.delete(id);
      }
    }
  }
  if (!network && hosts.size === 0) return '';

  // Lanes: network nodes in id order (a host on a node shares its lane), then hosts with no node.
  const lanes: Lane[] = [];
  const nodeLane = new Map<number, number>();
  const hostLane = new Map<number, number>();
  for (const n of [...nodes].sort((a, b) => a - b)) {
    nodeLane.set(n, lanes.length);
    if (hosts.has(n)) hostLane.set(n, lanes.length);
    lanes.push({ label: `node ${n}`, host: hosts.has(n) ? n : undefined });
  }
  for (const h of [...hosts].sort((a, b) => a - b)) {
    if (hostLane.has(h)) continue;
    hostLane.set(h, lanes.length);
    lanes.push({ label: `host ${h}`, host: h });
  }
  if (lanes.length > MAX_LANES) throw new InvalidArgument(`spaceTimeDiagram: the trace names ${lanes.length} nodes and hosts, more than ${MAX_LANES} lanes`);

  // Pass 2: rows, in trace order, up to maxRows. Failures go to the footer and are always drawn:
  // they are why the page exists.
  const rowOf = new Map<number, number>();
  const drawn: { readonly event: TraceEvent; readonly kind: Exclude<Kind, 'fail'> }[] = [];
  const fails: TraceEvent[] = [];
  let leftOut = 0;
  for (const event of events) {
    const kind = kindOf(event);
    if (kind === undefined) continue;
    if (kind === 'fail') fails.push(event);
    else if (drawn.length < maxRows) {
      rowOf.set(event.index, drawn.length);
      drawn.push({ event, kind });
    } else leftOut++;
  }

  const rows = drawn.length;
  const laneX = (lane: number): number => LEFT + lane * LANE + LANE / 2;
  const rowY = (row: number): number => TOP + row * ROW + ROW / 2;
  const nodeX = (value: string | undefined): number | undefined => {
    const id = intField(value);
    const lane = id === undefined ? undefined : nodeLane.get(id);
    return lane === undefined ? undefined : laneX(lane);
  };
  const nodeLanes = [...nodeLane.values()];
  const nodesLeft = nodeLanes.length === 0 ? LEFT : laneX(Math.min(...nodeLanes)) - 10;
  const nodesRight = nodeLanes.length === 0 ? LEFT : laneX(Math.max(...nodeLanes)) + 10;
  const lanesRight = LEFT + lanes.length * LANE;
  const rowsBottom = TOP + rows * ROW;

  const under: string[] = []; // bands and path marks, below the arrows
  const arrows: string[] = [];
  const marks: string[] = [];
  const times: string[] = [];
  const sends = new Map<number, { readonly row: number; readonly x: number }>();
  let lastTime: number | undefined;
  const open = (kind: string, event: TraceEvent, lane?: string): string =>
    `<g class="st-${kind}" data-event="${event.index}"${lane === undefined ? '' : ` data-lane="${escapeXml(lane)}"`}><title>${escapeXml(lines[event.index] ?? '')}</title>`;

  for (const [row, { event, kind }] of drawn.entries()) {
    const f = event.fields;
    const y = rowY(row);
    const time = timeOf(event);
    if (time !== undefined && time !== lastTime) {
      lastTime = time;
      times.push(`<text class="st-time" x="${TIME_W - 4}" y="${y + 3}">${formatNs(time)}</text>`);
    }
    switch (kind) {
      case 'send': {
        const id = intField(f.id);
        const x = nodeX(f.from);
        if (id !== undefined && x !== undefined) sends.set(id, { row, x });
        const to = nodeX(f.to);
        // Only a packet that never arrives and is never dropped gets a mark of its own (a short
        // dashed arrow toward its receiver, inside its row); every other send is the tail of its
        // arrow or of its drop.
        if (id !== undefined && !settled.has(id)) {
          const body = x === undefined || to === undefined ? '' : line(x, y, x + Math.round((to - x) / 3), y + ROW / 2 - 1);
          arrows.push(`${open('inflight', event)}${body}</g>`);
        }
        break;
      }
      case 'deliver': {
        // Exactly one arrow per delivery, even if its send is missing or beyond the lanes: the
        // count of arrows is the count of deliveries, which is what a reader (and a test) relies on.
        const id = intField(f.id);
        const send = id === undefined ? undefined : sends.get(id);
        const from = send?.x ?? nodeX(f.from);
        const to = nodeX(f.to);
        const body = from === undefined || to === undefined ? '' : line(from, send === undefined ? y : rowY(send.row), to, y);
        arrows.push(`${open('deliver', event)}${body}</g>`);
        break;
      }
      case 'drop': {
        const x = nodeX(f.from);
        const to = nodeX(f.to);
        const toward = x === undefined || to === undefined || to === x ? 0 : to > x ? 10 : -10;
        const body = x === undefined ? '' : `<path d="M${x - 3} ${y - 3}l6 6m0-6l-6 6M${x} ${y}h${toward}"/>`;
        marks.push(`${open('drop', event, laneName(lanes, nodeLane, f.from))}${body}</g>`);
        break;
      }
      case 'partition': {
        const left = intList(f.left);
        const right = intList(f.right);
        const xs = [...left, ...right].map((n) => nodeLane.get(n)).filter((l): l is number => l !== undefined).map(laneX);
        let body = '';
        if (xs.length > 0) {
          const x0 = Math.min(...xs) - 10;
          body += `<rect x="${x0}" y="${y - ROW / 2 + 1}" width="${Math.max(...xs) + 10 - x0}" height="${ROW - 2}"/>`;
        }
        for (const [side, ids] of [['', left], [' class="r"', right]] as const) {
          for (const n of ids) {
            const lane = nodeLane.get(n);
            if (lane !== undefined) body += `<circle${side} cx="${laneX(lane)}" cy="${y}" r="3"/>`;
          }
        }
        under.push(`${open('partition', event)}${body}</g>`);
        break;
      }
      case 'heal':
        under.push(`${open('heal', event)}<rect x="${nodesLeft}" y="${y - ROW / 2 + 1}" width="${nodesRight - nodesLeft}" height="${ROW - 2}"/></g>`);
        break;
      case 'clog':
      case 'unclog': {
        const all = event.name === 'network.unclog_all';
        const x1 = all ? nodesLeft : nodeX(f.from);
        const x2 = all ? nodesRight : nodeX(f.to);
        const body = x1 === undefined || x2 === undefined ? '' : `<path d="M${x1} ${y}H${x2 === x1 ? x1 + 6 : x2}"/>`;
        under.push(`${open(kind, event)}${body}</g>`);
        break;
      }
      case 'link': {
        const x1 = nodeX(f.from);
        const x2 = nodeX(f.to);
        const up = f.enabled === 'true' ? ' class="u"' : '';
        const body = x1 === undefined || x2 === undefined ? '' : `<path${up} d="M${x1} ${y}H${x2 === x1 ? x1 + 6 : x2}"/>`;
        under.push(`${open('link', event)}${body}</g>`);
        break;
      }
      case 'node': {
        const x = nodeX(f.id);
        const up = f.up === 'true' ? ' class="u"' : '';
        const body = x === undefined ? '' : `<rect${up} x="${x - 3}" y="${y - 3}" width="6" height="6"/>`;
        marks.push(`${open('node', event, laneName(lanes, nodeLane, f.id))}${body}</g>`);
        break;
      }
      case 'start':
      case 'crash':
      case 'restart': {
        const id = intField(f.id);
        const lane = id === undefined ? undefined : hostLane.get(id);
        const laneLabel = lane === undefined ? undefined : lanes[lane]?.label;
        let body = '';
        if (lane !== undefined) {
          const x = laneX(lane);
          if (kind === 'start') body = `<circle cx="${x}" cy="${y}" r="3"/>`;
          else if (kind === 'restart') body = `<path d="M${x} ${y - 5}l5 9h-10z"/>`;
          else {
            // The host is down from here to its restart (or to the end of what is drawn).
            const restart = restartAfter.get(event.index);
            const restartRow = restart === undefined ? undefined : rowOf.get(restart);
            const end = restartRow === undefined ? rowsBottom : rowY(restartRow);
            body = `<rect x="${x - 3}" y="${y}" width="6" height="${end - y}"/><path d="M${x - 7} ${y}h14"/>`;
          }
        }
        marks.push(`${open(kind, event, laneLabel)}${body}</g>`);
        break;
      }
      case 'buggify':
        marks.push(`${open('buggify', event)}<path d="M${BUGGIFY_X} ${y - 4}l4 4l-4 4l-4-4z"/></g>`);
        break;
      case 'calm':
        under.push(`${open('calm', event)}<path d="M${LEFT} ${y}H${lanesRight}"/></g>`);
        break;
    }
  }

  const footer: string[] = [];
  let footY = rowsBottom + 6;
  const footTexts: string[] = [];
  if (leftOut > 0) {
    const text = `${leftOut} more event${leftOut === 1 ? '' : 's'} left out (drawing stops at ${maxRows} rows)`;
    footTexts.push(text);
    footer.push(`<text class="st-cut" x="${LEFT}" y="${footY + 11}" data-left-out="${leftOut}">${escapeXml(text)}</text>`);
    footY += FOOT;
  }
  for (const event of fails) {
    const text = truncate(failText(event), 160);
    footTexts.push(text);
    footer.push(
      `${open('fail', event)}<rect x="${LEFT}" y="${footY + 1}" width="${lanesRight - LEFT}" height="${FOOT - 2}"/>` +
        `<text x="${LEFT + 4}" y="${footY + 11}">${escapeXml(text)}</text></g>`,
    );
    footY += FOOT;
  }

  const width = Math.max(lanesRight + 4, LEFT + 8 + CHAR_W * Math.max(0, ...footTexts.map((t) => t.length)));
  const height = footY + 6;
  const arrowId = `st-${contentId(`${maxRows}\n${traceText}`)}`;
  const laneMarkup = lanes.map((lane, i) => {
    const x = laneX(i);
    const hostAttr = lane.host === undefined ? '' : ` data-host="${lane.host}"`;
    const second = lane.host !== undefined && lane.label.startsWith('node ') ? `<text x="${x}" y="${TOP - 5}">host ${lane.host}</text>` : '';
    return (
      `<g class="st-lane" data-lane="${escapeXml(lane.label)}"${hostAttr}><text x="${x}" y="${second === '' ? TOP - 5 : TOP - 16}">${escapeXml(lane.label)}</text>${second}` +
      `<line x1="${x}" y1="${TOP}" x2="${x}" y2="${rowsBottom}"/></g>`
    );
  });

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="st" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" ` +
    `aria-label="space-time diagram: ${lanes.length} lanes, ${rows} rows">` +
    `<style>${STYLE}</style>` +
    // One arrowhead per SVG, named after the content (see contentId); the arrows' layer sets it
    // once through the inherited marker-end, not each arrow.
    `<defs><marker id="${arrowId}" viewBox="0 0 6 6" refX="6" refY="3" markerWidth="6" markerHeight="6" orient="auto">` +
    `<path d="M0 0L6 3L0 6z" fill="#357"/></marker></defs>` +
    laneMarkup.join('') +
    times.join('') +
    under.join('') +
    `<g marker-end="url(#${arrowId})">${arrows.join('')}</g>` +
    marks.join('') +
    footer.join('') +
    '</svg>'
  );
}

function addIf(set: Set<number>, value: number | undefined): void {
  if (value !== undefined) set.add(value);
}

function line(x1: number, y1: number, x2: number, y2: number): string {
  return `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"/>`;
}

function laneName(lanes: readonly Lane[], nodeLane: ReadonlyMap<number, number>, value: string | undefined): string | undefined {
  const id = intField(value);
  const lane = id === undefined ? undefined : nodeLane.get(id);
  return lane === undefined ? undefined : lanes[lane]?.label;
}

/** The simulated time an event states, in ns (a send states it as `deliver_at - latency_ns`). */
function timeOf(event: TraceEvent): number | undefined {
  const f = event.fields;
  if (event.name === 'network.send') {
    const at = intField(f.deliver_at);
    const latency = intField(f.latency_ns);
    return at === undefined || latency === undefined || latency > at ? undefined : at - latency;
  }
  return intField(f.now_ns);
}

/** One line saying what failed, decoded for reading (the exact line is in the title). */
function failText(event: TraceEvent): string {
  const f = event.fields;
  const name = decodedOr(f.name, '?');
  const error = decodedOr(f.error, '?');
  switch (event.name) {
    case 'check.fail':
      return `check failed: ${name}: ${error}`;
    case 'assert.fail':
      return `assertion failed (${decodedOr(f.kind, '?')}): ${name}`;
    case 'run.error':
      return `error in ${decodedOr(f.phase, '?')}: ${error}`;
    case 'run.stalled':
      return `stalled in ${decodedOr(f.phase, '?')}${f.name === undefined ? '' : `: ${name}`}`;
    default:
      return `eventually failed: ${name}: ${error}`;
  }
}
