// RedisExecutor against a real redis-server and real worker processes
// (lib/redis/worker.ts). Each test starts its own server; skipped, with the
// reason printed, where redis-server is missing.

import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import {
  CancelledError,
  getRunningLoop,
  run,
  taskGroup,
  timeout,
  TimeoutError,
  WorkerError,
} from "@seed/aio";
import { RedisExecutor } from "@seed/aio/redis";
import { JOBS, redisMissing, RedisServer, ROOT, WorkerProcess } from "./_redis.ts";

const ignore = redisMissing !== undefined;

Deno.test({
  name: "`RedisExecutor.run()` round-trips through a worker process; `wrap` is typed",
  ignore,
  async fn() {
    const redis = await RedisServer.start();
    const worker = await WorkerProcess.start(redis.url, "q", ["--concurrency", "2"]);
    try {
      await run(async () => {
        await using remote = new RedisExecutor({ url: redis.url, queue: "q", root: ROOT });
        assertEquals(await remote.run<number>(JOBS, "add", [2, 3]), 5);
        const jobs = remote.wrap<typeof import("./fixtures/jobs.ts")>("jobs.ts");
        const value = { when: new Date(0), big: 10n, set: new Set([1]) };
        assertEquals(await jobs.echo(value), value);
        assert((await jobs.pid()) !== Deno.pid);
        assertEquals(remote.stats().completed, 3);
      });
    } finally {
      const status = await worker.stop();
      await redis.stop();
      assertEquals(status.code, 0);
    }
  },
});
