// HTTP requests per second over loopback, side by side in one run: raw
// `Deno.serve` against aio's `serve` (every request a task in the server's
// scope), with the same tiny handler (`() => new Response("Hello, World!")`).
// Each server runs in its own process; `wrk` keeps 100 keep-alive
// connections busy for a bounded time, in interleaved rounds (raw, aio, then
// aio, raw, ...). Reported: requests/s, the 99th-percentile latency, and the
// server's CPU time per request (utime + stime from /proc/<pid>/stat), which
// is steadier than requests/s on a shared machine, since wrk competes for
// the same two cores.
//
// wrk is the Debian package `wrk`: if it is missing, the bench installs it
// with apt-get when running as root, else falls back to the load generator
// in this file (`--load`, a Deno process with keep-alive fetches).
//
// Run: deno run -A bench/http_peer.ts [--rounds 3] [--seconds 3]
//        [--connections 100] [--generator wrk|deno] [--handler sync|async]
// (`--handler async` makes the tiny handler await once before answering, as
// most real handlers do; the default answers synchronously.)
// `--micro` measures only the JavaScript of the request path, no sockets:
// the handler Deno would call, called in batches of 100 (raw: the tiny
// handler itself; aio: the request task around it).
// Internally: `--serve raw|aio --port 0` starts a server and prints
// "ready <port>"; `--load <url>` runs the fallback generator.

import { HttpServer, run, runMain, serve } from "../mod.ts";
import { currentScope, storage } from "../lib/_core/_scope.ts";
import { childDenoFlags } from "../tools/task.ts";

const HOST = "127.0.0.1";
// Bounds: every load phase stops after its seconds or this many requests.
const MAX_REQUESTS = 10_000_000;
const WARMUP_SECONDS = 1;

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const tiny = (): Response => new Response("Hello, World!");
// The same, as most real handlers are: async (it answers on a later turn).
const tinyAsync = async (): Promise<Response> => {
  await null;
  return new Response("Hello, World!");
};
const handler = flag("handler") === "async" ? tinyAsync : tiny;

// ---------------------------------------------------------------- servers

async function serveRaw(port: number): Promise<void> {
  const server = Deno.serve({
    hostname: HOST,
    port,
    onListen: (addr) => console.log(`ready ${addr.port}`),
  }, handler);
  const stop = (): void => void server.shutdown();
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  Deno.removeSignalListener("SIGTERM", stop);
}

async function serveAio(port: number): Promise<void> {
  await runMain(async () => {
    const server = serve(handler, { hostname: HOST, port, gracePeriodMs: 0 });
    console.log(`ready ${server.addr.port}`);
    await server.finished;
  });
}

// ------------------------------------------------------- fallback generator

interface LoadResult {
  requests: number;
  seconds: number;
  p99Ms: number;
}

async function load(
  url: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  let requests = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end && requests < MAX_REQUESTS) {
        const t0 = performance.now();
        const response = await fetch(url);
        await response.arrayBuffer();
        latencies.push(performance.now() - t0);
        requests++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    requests,
    seconds: (performance.now() - start) / 1000,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
  };
}

// ------------------------------------------------------------------ driver

interface Sample {
  rps: number;
  p99Ms: number;
  cpuUsPerRequest: number;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

async function cpuTicks(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces): utime is the
  // 14th field, stime the 15th.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(rest[11]) + Number(rest[12]);
}

async function has(program: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", {
      args: ["-c", `command -v ${program}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

async function ensureWrk(): Promise<boolean> {
  if (await has("wrk")) return true;
  if (Deno.uid() !== 0 || !(await has("apt-get"))) return false;
  console.log("installing wrk (apt-get install -y wrk)...");
  const install = new Deno.Command("sh", {
    args: [
      "-c",
      "apt-get install -y wrk || (apt-get update && apt-get install -y wrk)",
    ],
    stdout: "null",
    stderr: "null",
    signal: AbortSignal.timeout(180_000),
  });
  await install.output().catch(() => undefined);
  return await has("wrk");
}

function parseWrkLatency(text: string): number {
  const match = /^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(text);
  if (match === null) return NaN;
  const value = Number(match[1]);
  return match[2] === "us"
    ? value / 1000
    : match[2] === "s"
    ? value * 1000
    : value;
}

async function runWrk(
  url: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const { stdout } = await new Deno.Command("wrk", {
    args: [
      "-t2",
      `-c${connections}`,
      `-d${seconds}s`,
      "--timeout",
      "5s",
      "--latency",
      url,
    ],
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout((seconds + 30) * 1000),
  }).output();
  const text = new TextDecoder().decode(stdout);
  const total = /(\d+) requests in ([\d.]+)(m?s)/.exec(text);
  if (total === null) throw new Error(`cannot read wrk's output:\n${text}`);
  const elapsed = Number(total[2]) / (total[3] === "ms" ? 1000 : 1);
  return {
    requests: Number(total[1]),
    seconds: elapsed,
    p99Ms: parseWrkLatency(text),
  };
}

async function runDenoLoad(
  url: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...childDenoFlags(),
      new URL(import.meta.url).pathname,
      "--load",
      url,
      "--connections",
      String(connections),
      "--seconds",
      String(seconds),
    ],
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout((seconds + 30) * 1000),
  }).output();
  if (!success) throw new Error("the load generator failed");
  return JSON.parse(new TextDecoder().decode(stdout));
}

async function measure(
  kind: "raw" | "aio",
  generator: "wrk" | "deno",
  connections: number,
  seconds: number,
): Promise<Sample> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...childDenoFlags(),
      new URL(import.meta.url).pathname,
      "--serve",
      kind,
      "--port",
      "0",
      "--handler",
      flag("handler") ?? "sync",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    let port = 0;
    while (port === 0) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the ${kind} server exited early`);
      buffered += value;
      const match = /ready (\d+)/.exec(buffered);
      if (match !== null) port = Number(match[1]);
    }
    void lines.closed.catch(() => {});
    // Drain the rest of its output so that it never blocks.
    void (async () => {
      try {
        while (!(await lines.read()).done);
      } catch { /* gone */ }
    })();
    const url = `http://${HOST}:${port}/`;
    const run = generator === "wrk" ? runWrk : runDenoLoad;
    await run(url, connections, WARMUP_SECONDS);
    const before = await cpuTicks(child.pid);
    const result = await run(url, connections, seconds);
    const after = await cpuTicks(child.pid);
    return {
      rps: result.requests / result.seconds,
      p99Ms: result.p99Ms,
      cpuUsPerRequest: ((after - before) / CLOCK_TICKS) * 1e6 / result.requests,
    };
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
  }
}

// The request path without sockets: what Deno.serve would call, in batches
// of 100 concurrent requests, each batch settled before the next.
async function micro(): Promise<void> {
  const request = new Request(`http://${HOST}/`);
  const info = {} as Deno.ServeHandlerInfo<Deno.NetAddr>;
  const count = 100_000;
  const once = async (
    call: Deno.ServeHandler<Deno.NetAddr>,
  ): Promise<number> => {
    const t0 = performance.now();
    for (let i = 0; i < count / 100; i++) {
      const batch = [];
      for (let j = 0; j < 100; j++) batch.push(call(request, info));
      await Promise.all(batch);
    }
    return (performance.now() - t0) * 1000 / count;
  };
  const series = async (
    call: Deno.ServeHandler<Deno.NetAddr>,
  ): Promise<number> => {
    const times: number[] = [];
    for (let k = 0; k < 7; k++) times.push(await once(call));
    return median(times);
  };
  const raw = await series(handler);
  await run(async () => {
    let captured: Deno.ServeHandler<Deno.NetAddr> | undefined;
    let end!: () => void;
    const finished = new Promise<void>((resolve) => end = resolve);
    const fake = {
      addr: { transport: "tcp", hostname: HOST, port: 0 },
      finished,
      shutdown: () => {
        end();
        return finished;
      },
    } as unknown as Deno.HttpServer<Deno.NetAddr>;
    const server = new HttpServer(
      handler,
      {
        onError: undefined,
        maxConcurrent: Infinity,
        gracePeriodMs: 0,
      },
      undefined,
      (h) => {
        captured = h;
        return fake;
      },
    );
    server._start(currentScope());
    // Deno calls the handler outside aio's async context (see serve.ts).
    const aio = await storage.exit(() => series(captured!));
    console.log(
      `request path, JS only (median of 7 x ${count}): raw ${
        raw.toFixed(2)
      } µs, aio ${aio.toFixed(2)} µs per request (+${
        (aio - raw).toFixed(2)
      } µs)`,
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[mid]
    : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const rounds = Number(flag("rounds") ?? 3);
  const seconds = Number(flag("seconds") ?? 3);
  const connections = Number(flag("connections") ?? 100);
  let generator = (flag("generator") ?? "wrk") as "wrk" | "deno";
  if (generator === "wrk" && !(await ensureWrk())) {
    console.log("wrk is not available: using the Deno load generator");
    generator = "deno";
  }
  console.log(
    `HTTP: raw Deno.serve vs aio serve, tiny ${
      flag("handler") ?? "sync"
    } handler, ${connections} connections, ` +
      `${rounds} rounds x ${seconds} s, load from ${generator}`,
  );
  const samples: Record<"raw" | "aio", Sample[]> = { raw: [], aio: [] };
  for (let round = 0; round < rounds; round++) {
    const order: ("raw" | "aio")[] = round % 2 === 0
      ? ["raw", "aio"]
      : ["aio", "raw"];
    for (const kind of order) {
      const sample = await measure(kind, generator, connections, seconds);
      samples[kind].push(sample);
      console.log(
        `round ${round + 1} ${kind.padEnd(3)} ${
          sample.rps.toFixed(0).padStart(7)
        } req/s  p99 ${sample.p99Ms.toFixed(2).padStart(6)} ms  ${
          sample.cpuUsPerRequest.toFixed(2)
        } µs CPU/req`,
      );
    }
  }
  const summary = (kind: "raw" | "aio") => ({
    rps: median(samples[kind].map((s) => s.rps)),
    p99: median(samples[kind].map((s) => s.p99Ms)),
    cpu: median(samples[kind].map((s) => s.cpuUsPerRequest)),
  });
  const raw = summary("raw");
  const aio = summary("aio");
  const perRound = samples.aio.map((s, i) => s.rps / samples.raw[i].rps);
  console.log("");
  console.log(
    "| server | req/s (median) | p99 latency | server CPU per request |",
  );
  console.log("| --- | ---: | ---: | ---: |");
  for (
    const [name, s] of [["raw Deno.serve", raw], ["aio serve", aio]] as const
  ) {
    console.log(
      `| ${name} | ${s.rps.toFixed(0)} | ${s.p99.toFixed(2)} ms | ${
        s.cpu.toFixed(2)
      } µs |`,
    );
  }
  console.log("");
  console.log(
    `aio/raw req/s: ${(aio.rps / raw.rps).toFixed(2)}x (per round: ${
      perRound.map((r) => r.toFixed(2) + "x").join(", ")
    }; target ≥ 0.9x)`,
  );
  console.log(
    `raw/aio CPU per request: ${(raw.cpu / aio.cpu).toFixed(2)}x ` +
      `(aio adds ${(aio.cpu - raw.cpu).toFixed(2)} µs per request)`,
  );
}

if (import.meta.main) {
  const mode = flag("serve");
  const target = flag("load");
  if (mode === "raw") {
    await serveRaw(Number(flag("port") ?? 0));
  } else if (mode === "aio") {
    await serveAio(Number(flag("port") ?? 0));
  } else if (Deno.args.includes("--micro")) {
    await micro();
  } else if (target !== undefined) {
    const result = await load(
      target,
      Number(flag("connections") ?? 100),
      Number(flag("seconds") ?? 3),
    );
    console.log(JSON.stringify(result));
  } else {
    await main();
  }
}
