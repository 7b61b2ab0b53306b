// RedisExecutor side by side with its peers, in one run, on a private
// redis-server (loopback, no persistence) and real worker processes:
//   1. round trip p50/p99 of a tiny call: aio's `RedisExecutor.run` against
//      raw BullMQ (`queue.add` + `job.waitUntilFinished` on QueueEvents)
//      and raw LPUSH/BRPOP between two processes, interleaved in rounds
//      (target: aio p50 at most 1.3x raw BullMQ's);
//   2. throughput of 2,000 tiny calls fired at once, 2 worker processes;
//   3. cancel latency: from `task.cancel()` to the job's isolate stopping
//      (it writes the time every millisecond), p50/p99 (target p99 < 20 ms);
//   4. recovery after the worker running a job is SIGKILLed, tuned locks
//      (`--lock-ms 1000`): kill to the job running again elsewhere (< 3 s);
//   5. when remote pays: 20 CPU jobs of 100 ms on 2 worker processes
//      against a local WorkerPool of 2.
// Every phase is bounded in count and time. Skips (saying so) without
// redis-server.
//
// Run: deno run -A bench/redis_peer.ts [--quick] [--only N]
//      (internally: bench/redis_peer.ts --raw-worker URL, the raw peers' worker)

import { Redis } from "ioredis";
import { Queue, QueueEvents, Worker } from "bullmq";
import { gather, run, type Task, taskGroup, WorkerPool } from "../mod.ts";
import { RedisExecutor } from "../lib/redis/mod.ts";
import {
  JOBS,
  markerPids,
  redisMissing,
  RedisServer,
  ROOT,
  until,
  WorkerProcess,
} from "../tests/redis/_redis.ts";
import { denoFlags } from "../tests/_helpers.ts";

const quick = Deno.args.includes("--quick");
const ROUNDS = quick ? 3 : 5;
const PER_ROUND = quick ? 100 : 300;
const TINY_CALLS = 2_000;
const CANCELS = quick ? 15 : 40;
const RECOVERIES = quick ? 2 : 3;
const CPU_JOBS = 20;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

/** The raw peers' worker: a BullMQ worker and a BRPOP/LPUSH echo loop. */
async function rawWorker(url: string): Promise<void> {
  const options = { maxRetriesPerRequest: null };
  const connection = new Redis(url, options);
  const blocking = new Redis(url, options);
  const replies = new Redis(url, options);
  const worker = new Worker(
    "raw",
    (job) => Promise.resolve(job.data.a + job.data.b),
    { connection, concurrency: 4 },
  );
  await worker.waitUntilReady();
  let running = true;
  const stop = () => {
    running = false;
    blocking.disconnect();
  };
  Deno.addSignalListener("SIGTERM", stop);
  console.log("raw worker ready");
  while (running) {
    try {
      const popped = await blocking.brpop("raw:req", 0);
      if (popped !== null) await replies.lpush("raw:rep", popped[1]);
    } catch {
      break;
    }
  }
  await worker.close();
  connection.disconnect();
  replies.disconnect();
  Deno.removeSignalListener("SIGTERM", stop);
}

async function startRawWorker(url: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "-A",
      ...denoFlags(),
      import.meta.filename!,
      "--raw-worker",
      url,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("raw worker ready")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("raw worker exited");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return child;
}

async function roundTrips(url: string): Promise<void> {
  const ours = await WorkerProcess.start(url, "rt", ["--concurrency", "1"]);
  const raw = await startRawWorker(url);
  const options = { maxRetriesPerRequest: null };
  const connection = new Redis(url, options);
  const eventsConnection = new Redis(url, options);
  const events = new QueueEvents("raw", { connection: eventsConnection });
  await events.waitUntilReady();
  const queue = new Queue("raw", { connection });
  const lpush = new Redis(url, options);
  const brpop = new Redis(url, options);
  const samples = {
    aio: [] as number[],
    bullmq: [] as number[],
    list: [] as number[],
  };
  let n = 0;
  try {
    await run(async () => {
      await using remote = new RedisExecutor({ url, queue: "rt", root: ROOT });
      // Warm every path.
      for (let i = 0; i < 20; i++) {
        await remote.run(JOBS, "add", [1, 2]);
        const job = await queue.add("add", { a: 1, b: 2 }, {
          removeOnComplete: { count: 1000 },
        });
        await job.waitUntilFinished(events);
        await lpush.lpush("raw:req", "x");
        await brpop.brpop("raw:rep", 0);
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < PER_ROUND; i++) {
          let t0 = performance.now();
          await remote.run(JOBS, "add", [1, 2]);
          samples.aio.push(performance.now() - t0);
          t0 = performance.now();
          const job = await queue.add("add", { a: 1, b: 2 }, {
            jobId: `j${++n}`,
            removeOnComplete: { count: 1000 },
          });
          await job.waitUntilFinished(events);
          samples.bullmq.push(performance.now() - t0);
          t0 = performance.now();
          await lpush.lpush("raw:req", "x");
          await brpop.brpop("raw:rep", 0);
          samples.list.push(performance.now() - t0);
        }
      }
    });
  } finally {
    await queue.close();
    await events.close();
    // BullMQ does not close the clients it was given.
    eventsConnection.disconnect();
    connection.disconnect();
    lpush.disconnect();
    brpop.disconnect();
    raw.kill("SIGTERM");
    await raw.status;
    await ours.stop();
  }
  const base = percentile(samples.bullmq, 0.5);
  console.log(
    `\n1. Round trip of a tiny call (${ROUNDS} x ${PER_ROUND}, interleaved)`,
  );
  console.log(
    "   peer                          p50        p99     p50 vs BullMQ",
  );
  for (
    const [name, values] of [
      ["aio RedisExecutor.run", samples.aio],
      ["raw BullMQ add+QueueEvents", samples.bullmq],
      ["raw LPUSH/BRPOP", samples.list],
    ] as const
  ) {
    const p50 = percentile(values, 0.5);
    console.log(
      `   ${name.padEnd(28)} ${ms(p50).padStart(9)} ${
        ms(percentile(values, 0.99)).padStart(10)
      }   ${(p50 / base).toFixed(2)}x`,
    );
  }
}

async function throughput(url: string): Promise<void> {
  const workers = await Promise.all([
    WorkerProcess.start(url, "tp", ["--concurrency", "4"]),
    WorkerProcess.start(url, "tp", ["--concurrency", "4"]),
  ]);
  const raws = await Promise.all([startRawWorker(url), startRawWorker(url)]);
  const options = { maxRetriesPerRequest: null };
  const connection = new Redis(url, options);
  const eventsConnection = new Redis(url, options);
  const events = new QueueEvents("raw", { connection: eventsConnection });
  const queue = new Queue("raw", { connection });
  let ours = 0;
  let theirs = 0;
  try {
    await events.waitUntilReady();
    await run(async () => {
      await using remote = new RedisExecutor({ url, queue: "tp", root: ROOT });
      for (let i = 0; i < 50; i++) await remote.run(JOBS, "add", [i, 1]);
      let t0 = performance.now();
      await taskGroup((tg) => {
        for (let i = 0; i < TINY_CALLS; i++) {
          tg.createTask(() => remote.run(JOBS, "add", [i, 1]));
        }
      });
      ours = performance.now() - t0;
      t0 = performance.now();
      await Promise.all(
        Array.from({ length: TINY_CALLS }, async (_, i) => {
          const job = await queue.add("add", { a: i, b: 1 }, {
            jobId: `t${i}`,
            removeOnComplete: { count: TINY_CALLS },
          });
          await job.waitUntilFinished(events);
        }),
      );
      theirs = performance.now() - t0;
    });
  } finally {
    await queue.close();
    await events.close();
    eventsConnection.disconnect();
    connection.disconnect();
    for (const raw of raws) {
      raw.kill("SIGTERM");
      await raw.status;
    }
    for (const worker of workers) await worker.stop();
  }
  console.log(
    `\n2. Throughput: ${TINY_CALLS} tiny calls at once, 2 worker processes (concurrency 4 each)`,
  );
  console.log(
    `   aio RedisExecutor  ${(TINY_CALLS / ours * 1000).toFixed(0)} calls/s (${
      ours.toFixed(0)
    } ms)`,
  );
  console.log(
    `   raw BullMQ         ${
      (TINY_CALLS / theirs * 1000).toFixed(0)
    } calls/s (${theirs.toFixed(0)} ms); aio/raw ${
      (theirs / ours).toFixed(2)
    }x`,
  );
}

async function cancelLatency(url: string): Promise<void> {
  const worker = await WorkerProcess.start(url, "cl", ["--concurrency", "1"]);
  const path = await Deno.makeTempFile({ prefix: "aio_redis_tick_" });
  const samples: number[] = [];
  try {
    await run(async () => {
      await using remote = new RedisExecutor({ url, queue: "cl", root: ROOT });
      for (let i = 0; i < CANCELS; i++) {
        await Deno.writeTextFile(path, "0");
        let call: Task<unknown> | undefined;
        await taskGroup(async (tg) => {
          call = tg.createTask(() => remote.run(JOBS, "tick", [path]));
          await until(
            async () => Number(await Deno.readTextFile(path)) > 0,
            20_000,
            "the ticking job to start",
          );
          const cancelledAt = Date.now();
          call.cancel();
          // Long enough for any tick still to come to land.
          await new Promise((resolve) => setTimeout(resolve, 150));
          samples.push(
            Math.max(0, Number(await Deno.readTextFile(path)) - cancelledAt),
          );
        });
      }
    });
  } finally {
    await worker.stop();
    await Deno.remove(path);
  }
  console.log(
    `\n3. Cancel latency: cancel() to the job's isolate stopping (${CANCELS} cancels; ticks every ~1 ms)`,
  );
  console.log(
    `   p50 ${ms(percentile(samples, 0.5))}, p99 ${
      ms(percentile(samples, 0.99))
    }, max ${ms(Math.max(...samples))}`,
  );
}

async function recovery(url: string): Promise<void> {
  const flags = ["--concurrency", "1", "--lock-ms", "1000"];
  const workers = await Promise.all([
    WorkerProcess.start(url, "rc", flags),
    WorkerProcess.start(url, "rc", flags),
  ]);
  const samples: number[] = [];
  try {
    for (let i = 0; i < RECOVERIES; i++) {
      const marker = await Deno.makeTempFile({ prefix: "aio_redis_marker_" });
      await run(async () => {
        await using remote = new RedisExecutor({
          url,
          queue: "rc",
          root: ROOT,
        });
        await taskGroup(async (tg) => {
          const call = tg.createTask(() =>
            remote.run(JOBS, "hold", [marker, 200])
          );
          await until(
            () => markerPids(marker).length === 1,
            20_000,
            "the job to start",
          );
          const victim = workers.findIndex((w) =>
            w.pid === markerPids(marker)[0]
          );
          const t0 = performance.now();
          await workers[victim].kill();
          await until(
            () => markerPids(marker).length === 2,
            20_000,
            "the job to run again",
          );
          samples.push(performance.now() - t0);
          await call;
          workers[victim] = await WorkerProcess.start(url, "rc", flags);
        });
      });
      await Deno.remove(marker);
    }
  } finally {
    for (const worker of workers) await worker.stop();
  }
  console.log(
    `\n4. Recovery: SIGKILL of the worker running a job to the job running again (--lock-ms 1000, ${RECOVERIES} runs)`,
  );
  console.log(
    `   ${samples.map((s) => `${(s / 1000).toFixed(2)} s`).join(", ")}`,
  );
}

async function cpuJobs(url: string): Promise<void> {
  const workers = await Promise.all([
    WorkerProcess.start(url, "cpu", ["--concurrency", "1"]),
    WorkerProcess.start(url, "cpu", ["--concurrency", "1"]),
  ]);
  let remoteMs = 0;
  let localMs = 0;
  try {
    await run(async () => {
      await using remote = new RedisExecutor({ url, queue: "cpu", root: ROOT });
      await using pool = new WorkerPool({ size: 2 });
      await gather(
        remote.run(JOBS, "burn", [1]),
        remote.run(JOBS, "burn", [1]),
      );
      await gather(pool.run(JOBS, "burn", [1]), pool.run(JOBS, "burn", [1]));
      let t0 = performance.now();
      await taskGroup((tg) => {
        for (let i = 0; i < CPU_JOBS; i++) {
          tg.createTask(() => remote.run(JOBS, "burn", [100]));
        }
      });
      remoteMs = performance.now() - t0;
      t0 = performance.now();
      await taskGroup((tg) => {
        for (let i = 0; i < CPU_JOBS; i++) {
          tg.createTask(() => pool.run(JOBS, "burn", [100]));
        }
      });
      localMs = performance.now() - t0;
    });
  } finally {
    for (const worker of workers) await worker.stop();
  }
  console.log(
    `\n5. ${CPU_JOBS} CPU jobs of 100 ms: 2 worker processes vs a local WorkerPool of 2`,
  );
  console.log(
    `   remote ${remoteMs.toFixed(0)} ms, local ${
      localMs.toFixed(0)
    } ms (ideal ${CPU_JOBS * 50} ms); remote/local ${
      (remoteMs / localMs).toFixed(2)
    }x`,
  );
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--raw-worker");
  if (i >= 0) {
    await rawWorker(Deno.args[i + 1]);
  } else if (redisMissing !== undefined) {
    console.log(`redis_peer: skipped: ${redisMissing}`);
  } else {
    const redis = await RedisServer.start();
    try {
      const version = new TextDecoder().decode(
        (await new Deno.Command("redis-server", {
          args: ["--version"],
          stdout: "piped",
        }).output()).stdout,
      ).trim();
      console.log(
        `redis_peer: ${
          version.split(" ").slice(0, 3).join(" ")
        }, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs`,
      );
      const o = Deno.args.indexOf("--only");
      const only = o >= 0 ? Number(Deno.args[o + 1]) : 0;
      const phases = [roundTrips, throughput, cancelLatency, recovery, cpuJobs];
      for (const [i, phase] of phases.entries()) {
        if (only === 0 || only === i + 1) await phase(redis.url);
      }
    } finally {
      await redis.stop();
    }
  }
}
