// Side-by-side costs of aio's core against raw Deno and CPython asyncio, in
// one run, printing ratios against the targets:
//   - spawn + join per task in a task group (10k and 1M tasks) vs raw
//     `Promise.all` over async functions, and vs CPython's asyncio.TaskGroup;
//   - 100k concurrent `timeout()` wrappers around sleeps vs raw setTimeout
//     pairs (a guard timer cleared when the sleep fires);
//   - cancellation latency (cancel → settled) of a task blocked in sleep.
//
// Run: deno run -A bench/core_peer.ts [--quick]     (python3 optional)

import { AsyncLocalStorage } from "node:async_hooks";
import { pendingTimers } from "../lib/_core/_timers.ts";
import { createTask, run, sleep, taskGroup, timeout } from "../mod.ts";

const quick = Deno.args.includes("--quick");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

// Alternates the contenders so that GC and JIT state hit both alike.
async function compare(
  reps: number,
  contenders: Record<string, () => Promise<unknown>>,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (const name in contenders) samples[name] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const [name, fn] of Object.entries(contenders)) {
      samples[name].push(await time(fn));
    }
  }
  const result: Record<string, number> = {};
  for (const name in samples) result[name] = median(samples[name]);
  return result;
}

function rawPromiseAll(n: number): Promise<unknown> {
  const promises = new Array(n);
  for (let i = 0; i < n; i++) {
    promises[i] = (async () => {
      await null;
      return i;
    })();
  }
  return Promise.all(promises);
}

// The floor of any ambient-task design on Deno: raw tasks, each entered
// into its own AsyncLocalStorage frame, as aio does once per task.
const als = new AsyncLocalStorage<number>();
function rawWithContext(n: number): Promise<unknown> {
  const promises = new Array(n);
  for (let i = 0; i < n; i++) {
    promises[i] = als.run(i, async () => {
      await null;
      return i;
    });
  }
  return Promise.all(promises);
}

function aioTaskGroup(n: number): Promise<unknown> {
  return run(() =>
    taskGroup((tg) => {
      for (let i = 0; i < n; i++) {
        tg.createTask(async () => {
          await null;
          return i;
        });
      }
    })
  );
}

function rawTimeouts(n: number, sleepMs: number): Promise<unknown> {
  return Promise.all(
    Array.from({ length: n }, () =>
      new Promise<void>((resolve) => {
        const guard = setTimeout(() => {}, 60_000);
        setTimeout(() => {
          clearTimeout(guard);
          resolve();
        }, sleepMs);
      })),
  );
}

function aioTimeouts(n: number, sleepMs: number): Promise<unknown> {
  return run(() =>
    taskGroup((tg) => {
      for (let i = 0; i < n; i++) {
        tg.createTask(() => timeout(60_000, () => sleep(sleepMs)));
      }
    })
  );
}

async function cancelLatency(samples: number): Promise<number[]> {
  const latencies: number[] = [];
  await run(async () => {
    for (let i = 0; i < samples; i++) {
      const task = createTask(() => sleep(60_000));
      await sleep(0);
      const start = performance.now();
      task.cancel();
      await new Promise<void>((resolve) =>
        task.addDoneCallback(() => resolve())
      );
      latencies.push(performance.now() - start);
    }
  });
  return latencies;
}

const PY_TASKGROUP = `
import asyncio, sys, time
n = int(sys.argv[1])
async def child(i):
    await asyncio.sleep(0)
    return i
async def main():
    async with asyncio.TaskGroup() as tg:
        for i in range(n):
            tg.create_task(child(i))
best = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    asyncio.run(main())
    best.append(time.perf_counter() - t)
best.sort()
print(best[len(best) // 2] * 1000)
`;

async function python(n: number, reps: number): Promise<number | undefined> {
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", PY_TASKGROUP, String(n), String(reps)],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success
      ? Number(new TextDecoder().decode(out.stdout).trim())
      : undefined;
  } catch {
    return undefined;
  }
}

function us(ms: number, n: number): string {
  return `${(ms * 1000 / n).toFixed(3)} µs`;
}

if (import.meta.main) {
  console.log("aio core vs peers (median of interleaved runs)\n");
  console.log(
    "| tasks | raw Promise.all | raw + AsyncLocalStorage.run (floor) | aio taskGroup | aio/raw (target ≤ 2) | aio/floor (target ≤ 1.5; ≤ 1.1 at 1M) | CPython TaskGroup | CPython/aio (target ≥ 10) |",
  );
  console.log("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (
    const [n, reps] of quick
      ? [[10_000, 5]]
      : [[10_000, 25], [100_000, 11], [1_000_000, 5]]
  ) {
    const r = await compare(reps, {
      raw: () => rawPromiseAll(n),
      floor: () => rawWithContext(n),
      aio: () => aioTaskGroup(n),
    });
    const py = await python(n, Math.min(reps, n > 100_000 ? 1 : 5));
    console.log(
      `| ${n} | ${us(r.raw, n)} | ${us(r.floor, n)} | ${us(r.aio, n)} | ${
        (r.aio / r.raw).toFixed(2)
      }x | ${(r.aio / r.floor).toFixed(2)}x | ${
        py === undefined ? "n/a" : us(py, n)
      } | ${py === undefined ? "n/a" : (py / r.aio).toFixed(1) + "x"} |`,
    );
  }
  const n = quick ? 10_000 : 100_000;
  const t = await compare(quick ? 3 : 5, {
    raw: () => rawTimeouts(n, 10),
    aio: () => aioTimeouts(n, 10),
  });
  console.log(
    `\n${n} concurrent timeouts around 10 ms sleeps: raw setTimeout ${
      t.raw.toFixed(0)
    } ms, aio ${t.aio.toFixed(0)} ms, aio/raw ${
      (t.aio / t.raw).toFixed(2)
    }x (target ≤ 1.5); aio timers left: ${pendingTimers()}`,
  );
  const lat = (await cancelLatency(quick ? 200 : 2000)).sort((a, b) => a - b);
  const p = (q: number): string =>
    lat[Math.floor(q * (lat.length - 1))].toFixed(3);
  console.log(
    `cancel → settled for a task blocked in sleep: p50 ${p(0.5)} ms, p99 ${
      p(0.99)
    } ms, max ${p(1)} ms (target p99 < 1 ms)`,
  );
}
