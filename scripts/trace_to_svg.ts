/**
 * Renders a trace recorded by `run(main, { trace: "trace.json" })` as an SVG
 * timeline: one lane per task, children right below their parent and
 * indented, lanes of one task group framed together; solid where a task
 * runs, pale where it awaits, a tick where it was cancelled.
 *
 * ```sh
 * deno run -A scripts/trace_to_svg.ts trace.json timeline.svg
 * deno run -A scripts/trace_to_svg.ts --demo docs/say_hello_trace.svg
 * ```
 *
 * `--demo` records the asyncio documents' `say_after` example (a task
 * group running "hello" after 1 s and "world" after 2 s) under virtual
 * time, so the picture is exact and takes no time to make.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import {
  type ChromeTrace,
  run,
  sleep,
  taskGroup,
  type TraceEvent,
} from "@seed/aio";
import { withVirtualTime } from "@seed/aio/testing";

interface Span {
  start: number;
  end: number;
}

interface Lane {
  tid: number;
  name: string;
  parent: number;
  scope: string;
  spawn: number;
  start: number | undefined;
  end: number;
  outcome: string;
  waits: Span[];
  cancels: number[];
  depth: number;
  row: number;
}

/** Options for {@linkcode traceToSvg}. */
export interface SvgOptions {
  /** Width of the picture in pixels; default 960. */
  width?: number;
  /** A title drawn at the top. */
  title?: string;
}

const LANE = 26;
const TOP = 58;
const LABEL = 230;
const COLORS = {
  run: "#3b6fd8",
  wait: "#c9d8f5",
  pending: "#e4e4e4",
  fulfilled: "#2f9e44",
  rejected: "#d6336c",
  cancelled: "#f08c00",
  group: "#f6f3ff",
  groupLine: "#b9a8ef",
};

/** Collects the lanes of a trace, in tree order. */
export function lanesOf(trace: ChromeTrace): Lane[] {
  const lanes = new Map<number, Lane>();
  const open = new Map<number, number[]>();
  let last = 0;
  for (const event of trace.traceEvents) {
    if (event.ph === "M") continue;
    last = Math.max(last, event.ts);
    const lane = lanes.get(event.tid);
    if (event.cat === "task" && event.ph === "B") {
      const args = event.args ?? {};
      lanes.set(event.tid, {
        tid: event.tid,
        name: event.name,
        parent: Number(args.parent ?? 0),
        scope: String(args.scope ?? ""),
        spawn: event.ts,
        start: undefined,
        end: Infinity,
        outcome: "running",
        waits: [],
        cancels: [],
        depth: 0,
        row: 0,
      });
    } else if (lane === undefined) {
      continue;
    } else if (event.cat === "task" && event.ph === "E") {
      lane.end = event.ts;
      lane.outcome = String(event.args?.outcome ?? "fulfilled");
    } else if (event.name === "start") {
      lane.start = event.ts;
    } else if (event.name === "cancel") {
      lane.cancels.push(event.ts);
    } else if (event.cat === "await" && event.ph === "B") {
      const stack = open.get(event.tid) ?? [];
      stack.push(event.ts);
      open.set(event.tid, stack);
    } else if (event.cat === "await" && event.ph === "E") {
      const start = open.get(event.tid)?.pop();
      if (start !== undefined) lane.waits.push({ start, end: event.ts });
    }
  }
  for (const lane of lanes.values()) {
    if (lane.end === Infinity) lane.end = last;
  }
  const ordered: Lane[] = [];
  const visit = (parent: number, depth: number): void => {
    for (const lane of lanes.values()) {
      if (lane.parent !== parent) continue;
      lane.depth = depth;
      lane.row = ordered.length;
      ordered.push(lane);
      visit(lane.tid, depth + 1);
    }
  };
  visit(0, 0);
  return ordered;
}

function escape(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

function niceStep(span: number): number {
  const raw = span / 8;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

function formatMs(us: number): string {
  const ms = us / 1_000;
  return ms >= 1_000 ? `${+(ms / 1_000).toFixed(3)} s` : `${+ms.toFixed(3)} ms`;
}

/**
 * Draws a trace as an SVG timeline.
 *
 * @param trace A trace recorded by `run`'s `trace` option.
 * @param options `width`, `title`.
 * @returns The SVG document.
 */
export function traceToSvg(
  trace: ChromeTrace,
  options: SvgOptions = {},
): string {
  const lanes = lanesOf(trace);
  const width = options.width ?? 960;
  const end = Math.max(1, ...lanes.map((lane) => lane.end));
  const plot = width - LABEL - 30;
  const x = (ts: number): number => LABEL + (ts / end) * plot;
  const y = (row: number): number => TOP + row * LANE;
  const height = TOP + lanes.length * LANE + 40;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace, Menlo, Consolas, monospace" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  );
  if (options.title !== undefined) {
    out.push(
      `<text x="12" y="20" font-size="14" font-weight="bold">${
        escape(options.title)
      }</text>`,
    );
  }
  // Time axis.
  const step = niceStep(end);
  for (let t = 0; t <= end + 1e-9; t += step) {
    out.push(
      `<line x1="${x(t)}" y1="${TOP - 8}" x2="${x(t)}" y2="${
        height - 30
      }" stroke="#eeeeee"/>`,
      `<text x="${x(t)}" y="${TOP - 12}" text-anchor="middle" fill="#666">${
        formatMs(t)
      }</text>`,
    );
  }
  // Frames around the children a task started in one group or scope.
  const frames = new Map<string, Lane[]>();
  for (const lane of lanes) {
    if (lane.scope === "") continue;
    const key = `${lane.parent}|${lane.scope}`;
    const list = frames.get(key);
    if (list === undefined) frames.set(key, [lane]);
    else list.push(lane);
  }
  for (const group of frames.values()) {
    const first = group[0].row;
    const lastRow = Math.max(
      ...group.map((lane) => lastDescendantRow(lanes, lane)),
    );
    const left = 8 + group[0].depth * 14 - 6;
    out.push(
      `<rect x="${left}" y="${y(first) - 3}" width="${
        width - left - 8
      }" height="${
        (lastRow - first + 1) * LANE + 2
      }" rx="6" fill="${COLORS.group}" stroke="${COLORS.groupLine}"/>`,
      `<text x="${LABEL - 8}" y="${
        y(first) + 9
      }" text-anchor="end" font-size="10" fill="#7048e8">${
        escape(group[0].scope)
      }</text>`,
    );
  }
  for (const lane of lanes) {
    const top = y(lane.row);
    const mid = top + LANE / 2 - 2;
    out.push(
      `<text x="${12 + lane.depth * 14}" y="${mid + 4}">${
        escape(lane.name)
      }</text>`,
    );
    const started = lane.start ?? lane.end;
    if (started > lane.spawn) {
      out.push(bar(x(lane.spawn), x(started), top + 6, COLORS.pending));
    }
    out.push(bar(x(started), x(lane.end), top + 4, COLORS.run));
    for (const wait of lane.waits) {
      out.push(bar(x(wait.start), x(wait.end), top + 4, COLORS.wait));
    }
    for (const at of lane.cancels) {
      out.push(
        `<line x1="${x(at)}" y1="${top + 1}" x2="${x(at)}" y2="${
          top + LANE - 5
        }" stroke="${COLORS.cancelled}" stroke-width="2"/>`,
      );
    }
    const color = (COLORS as Record<string, string>)[lane.outcome] ?? "#999";
    out.push(
      `<circle cx="${x(lane.end)}" cy="${mid}" r="4" fill="${color}"><title>${
        escape(`${lane.name}: ${lane.outcome} at ${formatMs(lane.end)}`)
      }</title></circle>`,
    );
    const parent = lanes.find((other) => other.tid === lane.parent);
    if (parent !== undefined) {
      out.push(
        `<line x1="${x(lane.spawn)}" y1="${y(parent.row) + LANE / 2 - 2}" x2="${
          x(lane.spawn)
        }" y2="${mid}" stroke="#868e96" stroke-dasharray="2,2"/>`,
      );
    }
  }
  // Legend.
  const ly = height - 16;
  const legend: [string, string][] = [
    [COLORS.run, "running"],
    [COLORS.wait, "awaiting"],
    [COLORS.pending, "not started"],
  ];
  let lx = 12;
  for (const [color, label] of legend) {
    out.push(
      `<rect x="${lx}" y="${ly - 9}" width="14" height="10" fill="${color}"/>`,
      `<text x="${lx + 18}" y="${ly}">${label}</text>`,
    );
    lx += 30 + label.length * 7.5;
  }
  for (const outcome of ["fulfilled", "rejected", "cancelled"] as const) {
    out.push(
      `<circle cx="${lx + 5}" cy="${ly - 4}" r="4" fill="${COLORS[outcome]}"/>`,
      `<text x="${lx + 14}" y="${ly}">${outcome}</text>`,
    );
    lx += 24 + outcome.length * 7.5;
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function bar(x1: number, x2: number, top: number, color: string): string {
  const w = Math.max(1.5, x2 - x1);
  const h = LANE - 2 * (top % LANE === 4 ? 4 : 6) - 2;
  return `<rect x="${x1}" y="${top}" width="${w}" height="${
    Math.max(6, h)
  }" rx="2" fill="${color}"/>`;
}

function lastDescendantRow(lanes: Lane[], lane: Lane): number {
  let row = lane.row;
  for (const other of lanes) {
    if (other.row > row && other.depth > lane.depth) row = other.row;
    else if (other.row > lane.row && other.depth <= lane.depth) break;
  }
  return row;
}

/** Records the asyncio documents' `say_after` example under virtual time. */
export async function sayHelloTrace(
  print: (line: string) => void = console.log,
): Promise<ChromeTrace> {
  let trace: ChromeTrace | undefined;
  await withVirtualTime(() =>
    run(async () => {
      const sayAfter = async (delay: number, what: string) => {
        await sleep(delay);
        print(what);
      };
      await taskGroup((tg) => {
        tg.createTask(() => sayAfter(1_000, "hello"), { name: "say_hello" });
        tg.createTask(() => sayAfter(2_000, "world"), { name: "say_world" });
      });
    }, { trace: (t) => trace = t })
  );
  return trace!;
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, { boolean: ["demo", "help"] });
  const [input, output] = args._.map(String);
  if (args.help || (args.demo ? input === undefined : output === undefined)) {
    console.log(
      "usage: trace_to_svg.ts TRACE.json OUT.svg | trace_to_svg.ts --demo OUT.svg",
    );
    Deno.exit(args.help ? 0 : 2);
  }
  const trace: ChromeTrace = args.demo
    ? await sayHelloTrace()
    : JSON.parse(await Deno.readTextFile(input));
  const events: TraceEvent[] = trace.traceEvents;
  const svg = traceToSvg(trace, {
    title: args.demo
      ? "say_hello and say_world overlap: 2 s in all, not 3 (virtual time)"
      : `${input}: ${events.length} events`,
  });
  await Deno.writeTextFile(args.demo ? input : output, svg);
  console.log(`wrote ${args.demo ? input : output}`);
}
