// Pins `@seed/aio/redis`: its exact runtime names and types, and that the
// core entry point neither exports them nor pulls in its npm packages.

import { assert, assertEquals } from "@std/assert";
import * as redis from "@seed/aio/redis";
import * as core from "@seed/aio";
import type {
  RedisExecutorOptions,
  RedisExecutorStats,
  RedisRunOptions,
  RedisWorkerOptions,
} from "@seed/aio/redis";
import { denoFlags } from "../_helpers.ts";

const EXPORTS = ["RedisExecutor", "serveRedisWorker"];

Deno.test("`@seed/aio/redis` exports exactly its names", () => {
  assertEquals(Object.keys(redis).sort(), EXPORTS);
  for (const name of EXPORTS) assert(!(name in core), name);
  const options: RedisExecutorOptions = { queue: "q", maxInFlight: 1 };
  const run: RedisRunOptions = { deadline: 0 };
  const worker: RedisWorkerOptions = { root: "." };
  const stats: Partial<RedisExecutorStats> = { inFlight: 0 };
  assert(options && run && worker && stats);
});

Deno.test("`@seed/aio` (mod.ts) does not load bullmq or ioredis", async () => {
  const mod = new URL("../../mod.ts", import.meta.url);
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ...denoFlags(), mod.href],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert(success);
  const graph = new TextDecoder().decode(stdout);
  assert(graph.includes("mod.ts"));
  assert(!/bullmq|ioredis/.test(graph), "mod.ts reaches an npm package");
});

Deno.test("`@seed/aio/redis` constructor options are checked", () => {
  let error: unknown;
  try {
    new redis.RedisExecutor({ maxInFlite: 2 } as RedisExecutorOptions);
  } catch (e) {
    error = e;
  }
  assert(
    error instanceof TypeError &&
      /did you mean maxInFlight/.test(error.message),
    String(error),
  );
  for (
    const bad of [{ url: "http://x" }, { queue: "a:b" }, { maxInFlight: 0 }, {
      attempts: 1.5,
    }]
  ) {
    let thrown: unknown;
    try {
      new redis.RedisExecutor(bad as RedisExecutorOptions);
    } catch (e) {
      thrown = e;
    }
    assert(thrown instanceof TypeError, JSON.stringify(bad));
  }
});
