// RedisExecutor against a real redis-server and real worker processes
// (lib/redis/worker.ts). Each test starts its own server; skipped, with the
// reason printed, where redis-server is missing.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import {
  CancelledError,
  getRunningLoop,
  run,
  type Task,
  taskGroup,
  timeout,
  TimeoutError,
  WorkerError,
} from "@seed/aio";
import { RedisExecutor } from "@seed/aio/redis";
import { withVirtualTime } from "@seed/aio/testing";
import {
  alive,
  freePort,
  JOBS,
  markerPids,
  redisMissing,
  RedisServer,
  ROOT,
  until,
  WorkerProcess,
} from "./_redis.ts";
import { caught, denoFlags } from "../_helpers.ts";

const ignore = redisMissing !== undefined;

Deno.test({
  name:
    "`RedisExecutor.run()` round-trips through a worker process; `wrap` is typed",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q", [
      "--concurrency",
      "2",
    ]);
    const marker = await markerFile();
    try {
      await run(async () => {
        await using remote = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
        });
        assertEquals(await remote.run<number>(JOBS, "add", [2, 3]), 5);
        const jobs = remote.wrap<typeof import("./fixtures/jobs.ts")>(
          "jobs.ts",
        );
        const value = { when: new Date(0), big: 10n, set: new Set([1]) };
        assertEquals(await jobs.echo(value), value);
        assert((await jobs.pid()) !== Deno.pid);
        assertEquals(remote.stats().completed, 3);
        // Checked against Redis every 100 ms, a job running for a second
        // is seen alive each time (never taken for lost).
        await using watched = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
          checkMs: 100,
          heartbeatMs: 50,
        });
        assertEquals(await watched.run(JOBS, "hold", [marker, 1000]), "done");
        assertEquals(watched.stats().lost, 0);
      });
    } finally {
      const status = await worker.stop();
      await redis.stop();
      await Deno.remove(marker);
      assertEquals(status.code, 0);
    }
  },
});

/** A temp file for a job to mark its starts in. */
async function markerFile(): Promise<string> {
  return await Deno.makeTempFile({ prefix: "aio_redis_marker_" });
}

Deno.test({
  name:
    "`RedisExecutor` errors keep their class, message, cause, data and worker-side stack",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q");
    try {
      await run(async () => {
        await using remote = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
        });
        const type = await assertRejects(
          () => remote.run(JOBS, "fail", ["type"]),
          TypeError,
          "not a number",
        );
        assert(type.stack!.includes("jobs.ts"), type.stack);
        const range = await assertRejects(
          () => remote.run(JOBS, "fail", ["range"]),
          RangeError,
          "too big",
        );
        assertEquals((range as RangeError & { limit: number }).limit, 10);
        assertInstanceOf(range.cause, Error);
        assertEquals((range.cause as Error).message, "the cause");
        // A class only the worker knows: a WorkerError whose cause keeps it.
        const quota = await assertRejects(
          () => remote.run(JOBS, "fail", ["quota"]),
          WorkerError,
        );
        const cause = quota.cause as Error & { code: string };
        assertEquals(cause.name, "QuotaError");
        assertEquals(cause.message, "over quota");
        assertEquals(cause.code, "E_QUOTA");
        assert(cause.stack!.includes("jobs.ts"), cause.stack);
        await assertRejects(
          () => remote.run(JOBS, "echo", [() => 1]),
          TypeError,
          "cannot send the arguments",
        );
        await assertRejects(
          () => remote.run(JOBS, "nope"),
          TypeError,
          "no exported function",
        );
        assertEquals(remote.stats().failed, 4);
      });
    } finally {
      await worker.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "`RedisExecutor` refuses `..` module paths, and workers refuse source text unless --allow-source",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const [strict, open] = await Promise.all([
      WorkerProcess.start(redis.url, "strict"),
      WorkerProcess.start(redis.url, "open", ["--allow-source"]),
    ]);
    try {
      await run(async () => {
        await using remote = new RedisExecutor({
          url: redis.url,
          queue: "strict",
          root: ROOT,
        });
        assertEquals(remote.stats().submitted, 0);
        for (
          const bad of [
            "../redis_executor_test.ts",
            "sub/../../x.ts",
            "%2e%2e/x.ts",
            new URL("../x.ts", ROOT),
            "file:///etc/passwd.ts",
            "https://example.invalid/x.ts",
          ]
        ) {
          let thrown: unknown;
          try {
            remote.run(bad, "f");
          } catch (error) {
            thrown = error;
          }
          assertInstanceOf(thrown, RangeError, String(bad));
        }
        assertEquals(remote.stats().submitted, 0);
        const refused = await assertRejects(
          () =>
            getRunningLoop().runInExecutor(remote, (n: number) => n * 2, 21),
          TypeError,
          "--allow-source",
        );
        assert(refused);
        await using trusted = new RedisExecutor({
          url: redis.url,
          queue: "open",
          root: ROOT,
        });
        assertEquals(
          await getRunningLoop().runInExecutor(
            trusted,
            (n: number) => n * 2,
            21,
          ),
          42,
        );
        assertEquals(
          await trusted.submit(function triple(n: number) {
            return n * 3;
          }, 3),
          9,
        );
      });
    } finally {
      await strict.stop();
      await open.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name:
    "`RedisExecutor` cancelling a waiting call removes its job; cancelling a running one ends its process",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q", [
      "--concurrency",
      "1",
      "--isolate",
      "subprocess",
    ]);
    const first = await markerFile();
    const second = await markerFile();
    try {
      await run(async () => {
        await using remote = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
        });
        await taskGroup(async (tg) => {
          const running = tg.createTask(() =>
            remote.run(JOBS, "hold", [first, 60_000, true])
          );
          const waiting = tg.createTask(() =>
            remote.run(JOBS, "hold", [second, 60_000])
          );
          await until(
            () => markerPids(first).length === 1,
            20_000,
            "the first job to start",
          );
          const jobPid = markerPids(first)[0];
          assert(alive(jobPid));
          // The second job waits behind the first (concurrency 1).
          waiting.cancel();
          const t0 = performance.now();
          running.cancel();
          await assertRejects(() => running, CancelledError);
          await assertRejects(() => waiting, CancelledError);
          assert(
            performance.now() - t0 < 1000,
            "the caller is answered at once",
          );
          // The busy job's process is killed on the worker.
          await until(() => !alive(jobPid), 10_000, "the job's process to end");
        });
        assertEquals(remote.stats().cancelled, 2);
        // The waiting job was removed: it never starts, and the worker is free.
        assertEquals(await remote.run(JOBS, "add", [1, 1]), 2);
        assertEquals(markerPids(second), []);
      });
    } finally {
      const status = await worker.stop();
      await redis.stop();
      await Deno.remove(first);
      await Deno.remove(second);
      assertEquals(status.code, 0);
    }
  },
});

Deno.test({
  name:
    "`timeout()` around a remote call throws TimeoutError on time and stops the job",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q", [
      "--isolate",
      "subprocess",
      "--concurrency",
      "1",
    ]);
    const marker = await markerFile();
    try {
      await run(async () => {
        await using remote = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
        });
        await remote.run(JOBS, "add", [0, 0]); // a warm worker process
        const t0 = performance.now();
        await assertRejects(
          () =>
            timeout(
              1000,
              () => remote.run(JOBS, "hold", [marker, 60_000, true]),
            ),
          TimeoutError,
        );
        const took = performance.now() - t0;
        assert(took >= 990 && took < 3000, `took ${took} ms`);
        await until(
          () => markerPids(marker).length === 1,
          10_000,
          "the job to have started",
        );
        await until(
          () => !alive(markerPids(marker)[0]),
          10_000,
          "the job's process to end",
        );
        // A deadline that passed before a worker took the job: refused, so
        // it never runs (the next job, behind it, completes first).
        const loop = getRunningLoop();
        const late = await markerFile();
        await assertRejects(
          () =>
            timeout(200, () =>
              remote.run(JOBS, "hold", [late, 0], {
                deadline: loop.time() - 1,
              })),
          TimeoutError,
        );
        assertEquals(await remote.run(JOBS, "add", [1, 2]), 3);
        assertEquals(markerPids(late), []);
        await Deno.remove(late);
      });
    } finally {
      await worker.stop();
      await redis.stop();
      await Deno.remove(marker);
    }
  },
});

Deno.test({
  name: "`RedisExecutor` workers stop the jobs of a caller that was killed",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q", [
      "--isolate",
      "subprocess",
      "--heartbeat-ms",
      "200",
    ]);
    const marker = await markerFile();
    const caller = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "-A",
        ...denoFlags(),
        new URL("./_caller.ts", import.meta.url).href,
        redis.url,
        "q",
        marker,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    try {
      await until(
        () => markerPids(marker).length === 1,
        30_000,
        "the job to start",
      );
      const jobPid = markerPids(marker)[0];
      caller.kill("SIGKILL");
      await caller.status;
      const t0 = performance.now();
      // Heartbeat key: 3 x 200 ms; two missed checks 200 ms apart.
      await until(
        () => !alive(jobPid),
        10_000,
        "the orphaned job's process to end",
      );
      const took = performance.now() - t0;
      assert(took < 5000, `took ${took} ms`);
    } finally {
      try {
        caller.kill("SIGKILL");
      } catch { /* gone */ }
      await caller.status;
      await worker.stop();
      await redis.stop();
      await Deno.remove(marker);
    }
  },
});

/** Starts two workers with tuned locks; returns them and the run's marker. */
async function twoWorkers(url: string): Promise<WorkerProcess[]> {
  const flags = [
    "--concurrency",
    "1",
    "--lock-ms",
    "1000",
    "--heartbeat-ms",
    "200",
  ];
  return await Promise.all([
    WorkerProcess.start(url, "q", flags),
    WorkerProcess.start(url, "q", flags),
  ]);
}

Deno.test({
  name:
    "`RedisExecutor` a worker SIGKILLed mid-job: the job runs again on another (at-least-once)",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const workers = await twoWorkers(redis.url);
    const marker = await markerFile();
    try {
      await run(async () => {
        await using remote = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
        });
        await taskGroup(async (tg) => {
          const call = tg.createTask(() =>
            remote.run(JOBS, "hold", [marker, 500])
          );
          await until(
            () => markerPids(marker).length === 1,
            20_000,
            "the job to start",
          );
          const victim = workers.find((w) => w.pid === markerPids(marker)[0])!;
          await victim.kill();
          const t0 = performance.now();
          await until(
            () => markerPids(marker).length === 2,
            20_000,
            "the job to run again",
          );
          const recovery = performance.now() - t0;
          assertEquals(await call, "done");
          assert(markerPids(marker)[1] !== victim.pid);
          assert(recovery < 6000, `recovered after ${recovery} ms`);
        });
      });
    } finally {
      for (const worker of workers) await worker.stop();
      await redis.stop();
      await Deno.remove(marker);
    }
  },
});

Deno.test({
  name:
    "`RedisExecutor` with maxStalledCount 0, a job whose worker died fails with WorkerError instead of running twice",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const workers = await twoWorkers(redis.url);
    const marker = await markerFile();
    try {
      await run(async () => {
        await using remote = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
          maxStalledCount: 0,
        });
        await taskGroup(async (tg) => {
          const call = tg.createTask(() =>
            caught(() => remote.run(JOBS, "hold", [marker, 500]))
          );
          await until(
            () => markerPids(marker).length === 1,
            20_000,
            "the job to start",
          );
          await workers.find((w) => w.pid === markerPids(marker)[0])!.kill();
          const error = await call;
          assertInstanceOf(error, WorkerError);
          assert(/died/.test(error.message), error.message);
          assertEquals(markerPids(marker).length, 1);
        });
      });
    } finally {
      for (const worker of workers) await worker.stop();
      await redis.stop();
      await Deno.remove(marker);
    }
  },
});

/** Runs `n` calls of `hold(ms)`, kills Redis once one started, restarts it. */
async function throughRestart(
  aof: boolean,
  n: number,
): Promise<
  { done: number; lost: number; other: unknown[]; afterRestartMs: number }
> {
  const redis = await RedisServer.start({ aof });
  const worker = await WorkerProcess.start(redis.url, "q", [
    "--concurrency",
    "4",
    "--lock-ms",
    "2000",
  ]);
  const marker = await markerFile();
  let restartedAt = 0;
  let settledAt = 0;
  const result = {
    done: 0,
    lost: 0,
    other: [] as unknown[],
    afterRestartMs: 0,
  };
  try {
    await run(async () => {
      await using remote = new RedisExecutor({
        url: redis.url,
        queue: "q",
        root: ROOT,
      });
      await taskGroup(async (tg) => {
        for (let i = 0; i < n; i++) {
          tg.createTask(async () => {
            try {
              assertEquals(
                await remote.run(JOBS, "hold", [marker, 300]),
                "done",
              );
              result.done++;
            } catch (error) {
              if (error instanceof WorkerError && /lost/.test(error.message)) {
                result.lost++;
              } else result.other.push(error);
            }
            settledAt = performance.now();
          });
        }
        await until(
          () => markerPids(marker).length >= 1,
          20_000,
          "a job to start",
        );
        await redis.restart();
        restartedAt = performance.now();
      });
    });
  } finally {
    await worker.stop();
    await redis.stop();
    await Deno.remove(marker);
  }
  result.afterRestartMs = settledAt - restartedAt;
  return result;
}

Deno.test({
  name:
    "`RedisExecutor` Redis killed and restarted without persistence: lost calls fail with WorkerError, none hangs",
  ignore,
  async fn() {
    const { done, lost, other, afterRestartMs } = await throughRestart(
      false,
      20,
    );
    assertEquals(other, []);
    assertEquals(done + lost, 20);
    assert(lost > 0, `done ${done}, lost ${lost}`);
    assert(
      afterRestartMs < 5000,
      `settled ${afterRestartMs} ms after the restart`,
    );
  },
});

Deno.test({
  name:
    "`RedisExecutor` Redis killed and restarted with AOF: every call completes",
  ignore,
  async fn() {
    const { done, lost, other, afterRestartMs } = await throughRestart(
      true,
      20,
    );
    console.log(
      `all settled ${afterRestartMs.toFixed(0)} ms after the restart`,
    );
    assertEquals(other, []);
    assertEquals(lost, 0);
    assertEquals(done, 20);
  },
});

Deno.test({
  name:
    "`RedisExecutor` maxInFlight holds calls back; a held call is a cancellation point",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q", [
      "--concurrency",
      "4",
    ]);
    const marker = await markerFile();
    try {
      await run(async () => {
        await using remote = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
          maxInFlight: 2,
        });
        let most = 0;
        await taskGroup(async (tg) => {
          const calls: Task<unknown>[] = [];
          for (let i = 0; i < 6; i++) {
            calls.push(
              tg.createTask(() => remote.run(JOBS, "hold", [marker, 200])),
            );
          }
          await until(
            () => remote.stats().waiting === 4,
            10_000,
            "four calls held back",
          );
          assertEquals(remote.stats().inFlight, 2);
          calls[5].cancel();
          await assertRejects(() => calls[5], CancelledError);
          const watch = setInterval(
            () => most = Math.max(most, remote.stats().inFlight),
            5,
          );
          try {
            for (const call of calls.slice(0, 5)) {
              assertEquals(await call, "done");
            }
          } finally {
            clearInterval(watch);
          }
        });
        assert(most <= 2, `in flight at most ${most}`);
        assertEquals(remote.stats().submitted, 5);
        assertEquals(markerPids(marker).length, 5);
      });
    } finally {
      await worker.stop();
      await redis.stop();
      await Deno.remove(marker);
    }
  },
});

Deno.test({
  name:
    "`RedisExecutor` closes its connections when run() ends; a stopped worker fails its running job and leaves nothing running",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q", [
      "--isolate",
      "subprocess",
    ]);
    const marker = await markerFile();
    let remote: RedisExecutor | undefined;
    try {
      await run(async () => {
        // No `using`: the end of run() closes it.
        remote = new RedisExecutor({ url: redis.url, queue: "q", root: ROOT });
        const executor = remote;
        await taskGroup(async (tg) => {
          const call = tg.createTask(() =>
            caught(() => executor.run(JOBS, "hold", [marker, 60_000, true]))
          );
          await until(
            () => markerPids(marker).length === 1,
            20_000,
            "the job to start",
          );
          const status = await worker.stop();
          assertEquals(status.code, 0);
          assert(
            !alive(markerPids(marker)[0]),
            "the job's process ended with its worker",
          );
          const error = await call;
          assertInstanceOf(error, WorkerError);
          assert(/stopped/.test(error.message), error.message);
        });
        assert(executor.stats().connected);
      });
      assertEquals(remote!.stats().connected, false);
    } finally {
      await worker.stop();
      await redis.stop();
      await Deno.remove(marker);
    }
  },
});

Deno.test({
  name: "virtual time does not jump while a `RedisExecutor` call is in flight",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q");
    const marker = await markerFile();
    try {
      await withVirtualTime(async (clock) => {
        await run(async () => {
          await using remote = new RedisExecutor({
            url: redis.url,
            queue: "q",
            root: ROOT,
          });
          // 300 ms of real work under a 60 s virtual timeout: the clock waits.
          const value = await timeout(
            60_000,
            () => remote.run(JOBS, "hold", [marker, 300]),
          );
          assertEquals(value, "done");
        });
        assert(clock.elapsed < 60_000);
      });
    } finally {
      await worker.stop();
      await redis.stop();
      await Deno.remove(marker);
    }
  },
});

Deno.test({
  name:
    "`RedisExecutor` attempts retries a job whose function threw; only the last error reaches the caller",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q");
    const once = await markerFile();
    const twice = await markerFile();
    try {
      await run(async () => {
        await using retrying = new RedisExecutor({
          url: redis.url,
          queue: "q",
          root: ROOT,
          attempts: 3,
          backoff: 10,
        });
        assertEquals(await retrying.run(JOBS, "flaky", [twice, 2]), 2);
        await assertRejects(
          () => retrying.run(JOBS, "flaky", [once, 5]),
          RangeError,
          "attempt 3",
        );
        assertEquals(markerPids(once).length, 3);
      });
    } finally {
      await worker.stop();
      await redis.stop();
      await Deno.remove(once);
      await Deno.remove(twice);
    }
  },
});

Deno.test("`RedisExecutor` calls fail with WorkerError when Redis stays unreachable past offlineMs", async () => {
  const port = freePort(); // nothing listens there
  await run(async () => {
    await using remote = new RedisExecutor({
      url: `redis://127.0.0.1:${port}`,
      queue: "q",
      root: ROOT,
      offlineMs: 300,
      heartbeatMs: 100,
    });
    const t0 = performance.now();
    const error = await assertRejects(
      () => remote.run(JOBS, "add", [1, 2]),
      WorkerError,
      "unreachable",
    );
    assert(error.message.includes(String(port)), error.message);
    assert(performance.now() - t0 < 5000);
    assertEquals(remote.stats().lost, 1);
    assertEquals(remote.stats().connected, false);
  });
});
