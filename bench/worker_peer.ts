// Worker offload side by side, in one run:
//   1. per-call overhead: a sequential round trip through `pool.run`,
//      `submit`, `toThread` and a SubprocessExecutor against a raw
//      `Worker` + `postMessage` echo (target: at most 1.3x raw), once with
//      the process pinned to one core (`taskset -c 0`, in a child run of
//      this file) and once on both;
//   2. throughput of 10k tiny calls fired at once (pool of 2) against raw
//      workers with the same one-call-in-flight-per-worker protocol, and
//      raw pipelined (every message posted at once) as the ceiling;
//   3. CPU-bound speedup: one prime count alone, then two at once on a
//      pool of 2, workers and subprocesses (target: at least 1.8x on 2
//      cores);
//   4. the same jobs through CPython's ProcessPoolExecutor
//      (`run_in_executor`) and `asyncio.to_thread` (bench/worker_peer.py).
// Every phase is bounded in count; the CPU phase is best of 3.
//
// Run: deno run -A bench/worker_peer.ts [--quick]      (python3 optional)

import {
  gather,
  run,
  SubprocessExecutor,
  toThread,
  WorkerPool,
} from "../mod.ts";

const quick = Deno.args.includes("--quick");
const ROUND_TRIPS = quick ? 2_000 : 10_000;
const REPS = quick ? 3 : 7;
const TINY_CALLS = 10_000;
const PRIMES_N = quick ? 800_000 : 2_000_000;
const PY_PRIMES_N = quick ? 80_000 : 200_000;

const moduleSource = `
export function echo(x) { return x; }
export function countPrimes(n) {
  let count = 0;
  for (let i = 2; i < n; i++) {
    let prime = true;
    for (let d = 2; d * d <= i; d++) {
      if (i % d === 0) { prime = false; break; }
    }
    if (prime) count++;
  }
  return count;
}`;
const moduleUrl = `data:text/javascript,${encodeURIComponent(moduleSource)}`;
const rawSource = "onmessage = (e) => postMessage(e.data);";
const rawUrl = `data:text/javascript,${encodeURIComponent(rawSource)}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A raw worker echoing messages, with a promise per round trip. */
class RawEcho {
  readonly worker = new Worker(rawUrl, { type: "module" });
  #waiting: ((value: unknown) => void)[] = [];
  constructor() {
    this.worker.onmessage = (e) => this.#waiting.shift()!(e.data);
  }
  call(value: unknown): Promise<unknown> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.worker.postMessage(value);
    });
  }
}

async function perCall(
  fn: (i: number) => Promise<unknown>,
  calls: number,
): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < calls; i++) await fn(i);
  return (performance.now() - start) / calls * 1000;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

const results: string[][] = [];

// ---- 1. per-call overhead -------------------------------------------------
// A worker thread that lands on a core another process keeps busy is slow
// to wake, for the whole of its life: so every repetition starts fresh
// workers (and a fresh run() for toThread's default pool), contenders are
// interleaved in blocks of 100 calls within it, and the table shows the
// median over repetitions of each contender's median block.
async function roundTrips(label: string): Promise<void> {
  const names = [
    "raw Worker postMessage",
    "pool.run",
    "pool.submit (toThread path)",
    "toThread (default pool)",
    "SubprocessExecutor.submit",
  ];
  const perRep: number[][] = names.map(() => []);
  for (let rep = 0; rep < REPS; rep++) {
    await run(async () => {
      const raw = new RawEcho();
      await using pool = new WorkerPool({ size: 1, idleTimeoutMs: Infinity });
      await using processes = new SubprocessExecutor({
        size: 1,
        idleTimeoutMs: Infinity,
      });
      const echo = (x: number) => x;
      const contenders: ((i: number) => Promise<unknown>)[] = [
        (i) => raw.call(i),
        (i) => pool.run(moduleUrl, "echo", [i]),
        (i) => pool.submit(echo, i),
        (i) => toThread(echo, i),
        (i) => processes.submit(echo, i),
      ];
      for (const fn of contenders) await perCall(fn, 200);
      const blocks: number[][] = contenders.map(() => []);
      for (let block = 0; block < ROUND_TRIPS / REPS / 100; block++) {
        for (let c = 0; c < contenders.length; c++) {
          blocks[c].push(await perCall(contenders[c], 100));
        }
      }
      blocks.forEach((values, c) => perRep[c].push(median(values)));
      raw.worker.terminate();
    });
  }
  const base = median(perRep[0]);
  names.forEach((name, c) => {
    const us = median(perRep[c]);
    results.push([
      label,
      name,
      `${fmt(us)} µs`,
      `${fmt(us / base, 2)}x raw`,
    ]);
  });
}

// Pinned to one core, the round trip measures the code, not the
// hypervisor: with threads on two vCPUs, waking the other one can cost
// more than the whole call (and varies from thread to thread).
if (Deno.args.includes("--round-trips-json")) {
  await roundTrips("round trip, 1 core");
  console.log(JSON.stringify(results));
  Deno.exit(0);
}
try {
  const out = await new Deno.Command("taskset", {
    args: [
      "-c",
      "0",
      Deno.execPath(),
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--round-trips-json",
      ...(quick ? ["--quick"] : []),
    ],
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(300_000),
  }).output();
  if (out.success) {
    results.push(...JSON.parse(new TextDecoder().decode(out.stdout)));
  }
} catch {
  console.log("(taskset not available: no pinned round-trip rows)");
}
await roundTrips("round trip, 2 cores");

await run(async () => {
  // ---- 2. throughput of 10k tiny calls ----------------------------------
  {
    const raws = [new RawEcho(), new RawEcho()];
    await Promise.all(raws.map((r) => r.call(0)));
    await using pool = new WorkerPool({
      size: 2,
      idleTimeoutMs: Infinity,
      maxQueue: Infinity,
    });
    await gather(
      pool.run(moduleUrl, "echo", [0]),
      pool.run(moduleUrl, "echo", [0]),
    );
    const rawOneInFlight = async () => {
      let next = 0;
      await Promise.all(raws.map(async (r) => {
        while (next < TINY_CALLS) await r.call(next++);
      }));
    };
    const rawPipelined = () => {
      const all = [];
      for (let i = 0; i < TINY_CALLS; i++) all.push(raws[i % 2].call(i));
      return Promise.all(all);
    };
    const poolAll = () => {
      const all = [];
      for (let i = 0; i < TINY_CALLS; i++) {
        all.push(pool.run(moduleUrl, "echo", [i]));
      }
      return Promise.all(all);
    };
    const bounded = new WorkerPool({ size: 2, idleTimeoutMs: Infinity });
    const boundedAll = () => {
      const all = [];
      for (let i = 0; i < TINY_CALLS; i++) {
        all.push(bounded.run(moduleUrl, "echo", [i]));
      }
      return Promise.all(all);
    };
    const contenders: Record<string, () => Promise<unknown>> = {
      "raw, 2 workers, 1 in flight each": rawOneInFlight,
      "raw, 2 workers, pipelined": rawPipelined,
      "pool.run, size 2": poolAll,
      "pool.run, size 2, maxQueue 1024 (default)": boundedAll,
    };
    const samples: Record<string, number[]> = {};
    for (let rep = 0; rep < Math.max(3, REPS - 2); rep++) {
      for (const [name, fn] of Object.entries(contenders)) {
        (samples[name] ??= []).push(await timed(fn));
      }
    }
    const base = TINY_CALLS / median(samples[Object.keys(contenders)[0]]);
    for (const [name, values] of Object.entries(samples)) {
      const perS = TINY_CALLS / median(values) * 1000;
      results.push([
        "10k tiny calls at once",
        name,
        `${fmt(perS / 1000)}k calls/s`,
        `${fmt(perS / 1000 / base, 2)}x raw 1-in-flight`,
      ]);
    }
    await bounded.close();
    for (const r of raws) r.worker.terminate();
  }

  // ---- 3. CPU-bound speedup ---------------------------------------------
  {
    await using pool = new WorkerPool({ size: 2, idleTimeoutMs: Infinity });
    await gather(
      pool.run(moduleUrl, "countPrimes", [1000]),
      pool.run(moduleUrl, "countPrimes", [1000]),
    );
    let one = Infinity;
    let two = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      one = Math.min(
        one,
        await timed(() => pool.run(moduleUrl, "countPrimes", [PRIMES_N])),
      );
      two = Math.min(
        two,
        await timed(() =>
          gather(
            pool.run(moduleUrl, "countPrimes", [PRIMES_N]),
            pool.run(moduleUrl, "countPrimes", [PRIMES_N]),
          )
        ),
      );
    }
    results.push([
      `CPU: countPrimes(${PRIMES_N / 1e6}M)`,
      "WorkerPool size 2",
      `1 call ${fmt(one, 0)} ms, 2 calls ${fmt(two, 0)} ms`,
      `${fmt(2 * one / two, 2)}x speedup`,
    ]);
    // The same through subprocesses (a pipe each way instead of a thread).
    await using processes = new SubprocessExecutor({
      size: 2,
      idleTimeoutMs: Infinity,
    });
    const job = (n: number) => {
      let count = 0;
      for (let i = 2; i < n; i++) {
        let prime = true;
        for (let d = 2; d * d <= i; d++) {
          if (i % d === 0) {
            prime = false;
            break;
          }
        }
        if (prime) count++;
      }
      return count;
    };
    await gather(processes.submit(job, 1000), processes.submit(job, 1000));
    let pOne = Infinity;
    let pTwo = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      pOne = Math.min(pOne, await timed(() => processes.submit(job, PRIMES_N)));
      pTwo = Math.min(
        pTwo,
        await timed(() =>
          gather(
            processes.submit(job, PRIMES_N),
            processes.submit(job, PRIMES_N),
          )
        ),
      );
    }
    results.push([
      `CPU: countPrimes(${PRIMES_N / 1e6}M)`,
      "SubprocessExecutor size 2",
      `1 call ${fmt(pOne, 0)} ms, 2 calls ${fmt(pTwo, 0)} ms`,
      `${fmt(2 * pOne / pTwo, 2)}x speedup`,
    ]);
  }
});

// ---- 4. CPython -------------------------------------------------------------
let python = "";
try {
  const out = await new Deno.Command("python3", {
    args: [
      new URL("./worker_peer.py", import.meta.url).pathname,
      String(PY_PRIMES_N),
      String(TINY_CALLS),
      String(quick ? 1_000 : 3_000),
    ],
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(300_000),
  }).output();
  python = new TextDecoder().decode(out.stdout);
} catch {
  console.log("(python3 not available: CPython rows skipped)");
}
if (python !== "") {
  const py = JSON.parse(python) as Record<string, Record<string, number>>;
  const names: Record<string, string> = {
    process_pool: "CPython ProcessPoolExecutor(2) + run_in_executor",
    to_thread: "CPython asyncio.to_thread",
  };
  for (const [key, name] of Object.entries(names)) {
    const r = py[key];
    results.push([
      "round trip, 2 cores",
      name,
      `${fmt(r.round_trip_us)} µs`,
      "",
    ]);
    results.push([
      "10k tiny calls at once",
      name,
      `${fmt(r.calls_per_s / 1000)}k calls/s`,
      "",
    ]);
    results.push([
      `CPU: count_primes(${PY_PRIMES_N / 1e3}k)`,
      name,
      `1 call ${fmt(r.one_ms, 0)} ms, 2 calls ${fmt(r.two_ms, 0)} ms`,
      `${fmt(2 * r.one_ms / r.two_ms, 2)}x speedup`,
    ]);
  }
}

results.sort((a, b) => order(a[0]) - order(b[0]));
function order(phase: string): number {
  return phase.endsWith("1 core")
    ? 0
    : phase.startsWith("round")
    ? 1
    : phase.startsWith("10k")
    ? 2
    : 3;
}
console.log("| phase | contender | result | ratio |");
console.log("|---|---|---|---|");
for (const row of results) console.log(`| ${row.join(" | ")} |`);
console.log(
  "\ntargets: pool.run <= 1.3x raw round trip; CPU speedup >= 1.8x on 2 cores",
);
