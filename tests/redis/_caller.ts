// A caller process for the "caller killed" test: calls `hold` on a worker
// and waits; the test SIGKILLs it mid-call.
// Usage: deno run -A _caller.ts REDIS_URL QUEUE MARKER

import { run } from "@seed/aio";
import { RedisExecutor } from "@seed/aio/redis";

if (import.meta.main) {
  const [url, queue, marker] = Deno.args;
  await run(async () => {
    await using remote = new RedisExecutor({
      url,
      queue,
      root: new URL("./fixtures/", import.meta.url),
      heartbeatMs: 200,
    });
    console.log("calling");
    await remote.run("jobs.ts", "hold", [marker, 60_000, true]);
  });
}
