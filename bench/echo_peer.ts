// Echo round trips over loopback, side by side in one run: aio's streams
// server (scripts/echo_server.ts's `--mode chunk` handler, which reads with
// `readInto`; "aio read()" is the same loop written with `read(n)`, as
// asyncio code would be) against a raw `Deno.listen` read/write loop (the
// in-runtime limit), Node's `net` (bench/echo_node.mjs) and CPython's asyncio streams
// (bench/echo_server.py). Each server runs in its own process; the load
// generator here keeps N connections busy, each sending a message and
// waiting for all of it to come back before the next, and reports round
// trips per second and the 99th-percentile round-trip latency, for 1, 100
// and 1,000 connections at 64 B and 16 KiB. Every run is bounded in time
// (warm-up + measured seconds) and in count (MAX_ROUND_TRIPS).
//
// Run: deno run -A bench/echo_peer.ts [--quick] [--seconds 2] [--only aio,raw]
// (node and python3 are skipped if not installed). Internally the same file
// also serves: `--serve aio|aio-read|raw|raw-copy --port 0` starts one of
// the Deno servers.

import { runMain, startServer } from "../mod.ts";
import { echoChunks } from "../scripts/echo_server.ts";
import { childDenoFlags } from "../tools/task.ts";
import type { StreamReader, StreamWriter } from "../mod.ts";

const HOST = "127.0.0.1";
const MAX_ROUND_TRIPS = 5_000_000;
const CONNECTIONS = [1, 100, 1000];
const SIZES = [64, 16 * 1024];

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

// ---------------------------------------------------------------- servers

/**
 * aio written the asyncio way: `read(n)` returns a fresh array per chunk
 * (the continuous mode of scripts/echo_server.ts uses `readInto` instead).
 */
async function echoRead(
  reader: StreamReader,
  writer: StreamWriter,
): Promise<void> {
  try {
    while (true) {
      const data = await reader.read(65536);
      if (data.length === 0) break;
      writer.write(data);
      await writer.drain();
    }
  } catch {
    // A client that resets is routine here.
  }
}

async function serveAio(port: number, asyncioStyle: boolean): Promise<void> {
  await runMain(async () => {
    const server = await startServer(asyncioStyle ? echoRead : echoChunks, {
      hostname: HOST,
      port,
      backlog: 1024,
    });
    console.log(`Serving on ${server.addr.hostname}:${server.addr.port}`);
    await server.serveForever();
  });
}

/** The in-runtime limit: one read buffer and a read/write loop per conn. */
async function rawEcho(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      let offset = 0;
      while (offset < n) offset += await conn.write(buf.subarray(offset, n));
    }
  } catch {
    // Reset by the client.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** The raw loop plus the copy asyncio's read() semantics need per chunk. */
async function rawCopyEcho(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      const chunk = buf.slice(0, n);
      let offset = 0;
      while (offset < n) offset += await conn.write(chunk.subarray(offset));
    }
  } catch {
    // Reset by the client.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

async function serveRaw(port: number, copy: boolean): Promise<void> {
  const listener = Deno.listen({ hostname: HOST, port, tcpBacklog: 1024 });
  console.log(`Serving on ${listener.addr.hostname}:${listener.addr.port}`);
  Deno.addSignalListener("SIGTERM", () => listener.close());
  try {
    for await (const conn of listener) (copy ? rawCopyEcho : rawEcho)(conn);
  } catch {
    // Listener closed.
  }
}

// ------------------------------------------------------- load generator

interface Result {
  roundTrips: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function connectAll(port: number, n: number): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  // In batches, so that the listen queue (1024) never overflows.
  for (let i = 0; i < n; i += 200) {
    const batch = Math.min(200, n - i);
    conns.push(
      ...await Promise.all(
        Array.from(
          { length: batch },
          () => Deno.connect({ hostname: HOST, port }),
        ),
      ),
    );
  }
  return conns;
}

async function load(
  port: number,
  connections: number,
  size: number,
  warmupMs: number,
  measureMs: number,
): Promise<Result> {
  const conns = await connectAll(port, connections);
  const payload = new Uint8Array(size).fill(0x61);
  const start = performance.now();
  const measureFrom = start + warmupMs;
  const stopAt = measureFrom + measureMs;
  const latencies: number[] = [];
  let total = 0;
  let measuredStart = Infinity;
  let measuredEnd = 0;
  await Promise.all(conns.map(async (conn) => {
    const buf = new Uint8Array(Math.max(size, 65536));
    try {
      while (total < MAX_ROUND_TRIPS) {
        const t0 = performance.now();
        if (t0 >= stopAt) break;
        let sent = 0;
        while (sent < size) sent += await conn.write(payload.subarray(sent));
        let got = 0;
        while (got < size) {
          const n = await conn.read(buf.subarray(0, size - got));
          if (n === null) throw new Error("server closed the connection");
          got += n;
        }
        const t1 = performance.now();
        if (t0 >= measureFrom) {
          latencies.push(t1 - t0);
          if (t0 < measuredStart) measuredStart = t0;
          if (t1 > measuredEnd) measuredEnd = t1;
          total++;
        }
      }
    } finally {
      conn.close();
    }
  }));
  latencies.sort((a, b) => a - b);
  const pick = (q: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    roundTrips: total,
    perSecond: total / ((measuredEnd - measuredStart) / 1000),
    p50: pick(0.5),
    p99: pick(0.99),
  };
}

// ------------------------------------------------------------- harness

interface Peer {
  name: string;
  command: string[];
}

function peers(): Peer[] {
  const self = new URL(import.meta.url).pathname;
  const dir = new URL(".", import.meta.url).pathname;
  const deno = [
    Deno.execPath(),
    "run",
    "-A",
    ...childDenoFlags(),
    self,
    "--serve",
  ];
  const list: Peer[] = [
    { name: "aio", command: [...deno, "aio", "--port", "0"] },
    { name: "aio read()", command: [...deno, "aio-read", "--port", "0"] },
    { name: "raw Deno", command: [...deno, "raw", "--port", "0"] },
    {
      name: "raw Deno + copy",
      command: [...deno, "raw-copy", "--port", "0"],
    },
  ];
  if (has("node")) {
    list.push({
      name: "Node net",
      command: ["node", `${dir}echo_node.mjs`, "0"],
    });
  }
  if (has("python3")) {
    list.push({
      name: "CPython asyncio",
      command: ["python3", `${dir}echo_server.py`, "0"],
    });
  }
  const only = flag("only")?.split(",");
  return only === undefined
    ? list
    : list.filter((p) => only.some((o) => p.name.toLowerCase().startsWith(o)));
}

function has(program: string): boolean {
  try {
    return new Deno.Command(program, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
}

interface Running {
  child: Deno.ChildProcess;
  port: number;
}

async function startPeer(peer: Peer): Promise<Running> {
  const child = new Deno.Command(peer.command[0], {
    args: peer.command.slice(1),
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
  try {
    while (true) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`${peer.name} exited before it was ready`);
      text += value;
      const match = text.match(/Serving on \S+:(\d+)/);
      if (match) {
        // Keep draining stdout so the child never blocks on a full pipe.
        (async () => {
          while (!(await lines.read()).done) { /* discard */ }
        })().catch(() => {});
        return { child, port: Number(match[1]) };
      }
    }
  } finally {
    clearTimeout(deadline);
  }
}

async function stopPeer(running: Running): Promise<void> {
  running.child.kill("SIGTERM");
  const timer = setTimeout(() => running.child.kill("SIGKILL"), 3000);
  await running.child.status;
  clearTimeout(timer);
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

// CPU time (user + system, ms) a process has used so far; Linux only.
function cpuMs(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

interface Cell {
  perSecond: number;
  p99: number;
  cpuUsPerRoundTrip: number | undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function benchmark(): Promise<void> {
  const quick = Deno.args.includes("--quick");
  const seconds = Number(flag("seconds") ?? (quick ? 0.5 : 1));
  const rounds = Number(flag("rounds") ?? (quick ? 1 : 3));
  const warmupMs = quick ? 200 : 300;
  const list = peers();
  console.log(
    `echo round trips on loopback: ${rounds} round(s) of ${seconds} s per cell ` +
      `after ${warmupMs} ms warm-up, servers interleaved; ` +
      `${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}`,
  );
  const running = new Map<string, Running>();
  const cells = new Map<string, Cell>();
  try {
    for (const peer of list) running.set(peer.name, await startPeer(peer));
    for (const size of SIZES) {
      for (const n of CONNECTIONS) {
        const samples = new Map<string, Result[]>();
        const cpu = new Map<string, number[]>();
        // Each round runs every server once, so that noise from the rest
        // of the machine spreads evenly over them.
        for (let round = 0; round < rounds; round++) {
          for (const peer of list) {
            const server = running.get(peer.name)!;
            const before = cpuMs(server.child.pid);
            const result = await load(
              server.port,
              n,
              size,
              warmupMs,
              seconds * 1000,
            );
            const after = cpuMs(server.child.pid);
            if (!samples.has(peer.name)) samples.set(peer.name, []);
            samples.get(peer.name)!.push(result);
            if (before !== undefined && after !== undefined) {
              // Includes the warm-up's round trips only roughly: report per
              // measured round trip with the warm-up share removed.
              const share = seconds * 1000 / (seconds * 1000 + warmupMs);
              if (!cpu.has(peer.name)) cpu.set(peer.name, []);
              cpu.get(peer.name)!.push(
                (after - before) * share * 1000 / result.roundTrips,
              );
            }
          }
        }
        for (const peer of list) {
          const results = samples.get(peer.name)!;
          const cell: Cell = {
            perSecond: median(results.map((r) => r.perSecond)),
            p99: median(results.map((r) => r.p99)),
            cpuUsPerRoundTrip: cpu.has(peer.name)
              ? median(cpu.get(peer.name)!)
              : undefined,
          };
          cells.set(`${peer.name}|${n}|${size}`, cell);
          console.log(
            `  ${peer.name.padEnd(16)} ${String(n).padStart(5)} conns ${
              String(size).padStart(6)
            } B: ${fmt(cell.perSecond).padStart(9)} rt/s  p99 ${
              fmt(cell.p99, 2)
            } ms  server CPU ${
              cell.cpuUsPerRoundTrip === undefined
                ? "?"
                : fmt(cell.cpuUsPerRoundTrip, 1)
            } µs/rt`,
          );
        }
      }
    }
  } finally {
    for (const server of running.values()) await stopPeer(server);
  }
  console.log();
  const header = [
    "conns",
    "size",
    ...list.map((p) => `${p.name}: rt/s, p99 ms, CPU µs/rt`),
    "aio / raw Deno",
    "aio / CPython",
  ];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const size of SIZES) {
    for (const n of CONNECTIONS) {
      const row = list.map((p) => {
        const c = cells.get(`${p.name}|${n}|${size}`)!;
        return `${fmt(c.perSecond)}, ${fmt(c.p99, 2)}, ${
          c.cpuUsPerRoundTrip === undefined ? "?" : fmt(c.cpuUsPerRoundTrip, 1)
        }`;
      });
      const rate = (name: string): number | undefined =>
        cells.get(`${name}|${n}|${size}`)?.perSecond;
      const ratio = (name: string): string => {
        const aio = rate("aio");
        const other = rate(name);
        return aio === undefined || other === undefined
          ? "–"
          : `${fmt(aio / other, 2)}x`;
      };
      console.log(
        `| ${n} | ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} | ${
          row.join(" | ")
        } | ${ratio("raw Deno")} | ${ratio("CPython asyncio")} |`,
      );
    }
  }
  console.log("\ntargets: aio >= 0.90x raw Deno, aio >= 2x CPython asyncio");
}

if (import.meta.main) {
  const serve = flag("serve");
  const port = Number(flag("port") ?? 0);
  if (serve === "aio") await serveAio(port, false);
  else if (serve === "aio-read") await serveAio(port, true);
  else if (serve === "raw") await serveRaw(port, false);
  else if (serve === "raw-copy") await serveRaw(port, true);
  else await benchmark();
}
