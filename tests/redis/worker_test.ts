// The worker command (lib/redis/worker.ts): --help, bad flags. Serving
// jobs is covered by redis_executor_test.ts.

import { assert, assertEquals, assertThrows } from "@std/assert";
import { parseWorkerArgs } from "../../lib/redis/worker.ts";
import { denoFlags } from "../_helpers.ts";

const WORKER = new URL("../../lib/redis/worker.ts", import.meta.url).href;

async function worker(...args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", ...denoFlags(), WORKER, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("`worker.ts --help` prints the flags and exits 0", async () => {
  const out = await worker("--help");
  assertEquals(out.code, 0);
  const text = new TextDecoder().decode(out.stdout);
  for (
    const flag of [
      "--redis",
      "--queue",
      "--root",
      "--concurrency",
      "--isolate",
      "--allow-source",
    ]
  ) {
    assert(text.includes(flag), flag);
  }
});

Deno.test("`worker.ts` without --root, or with an unknown flag, exits 2", async () => {
  assertEquals((await worker("--queue", "q")).code, 2);
  const out = await worker("--root", ".", "--bogus");
  assertEquals(out.code, 2);
  assert(new TextDecoder().decode(out.stderr).includes("--bogus"));
});

Deno.test("`parseWorkerArgs()` reads every flag", () => {
  const args = parseWorkerArgs([
    "--redis=rediss://u:p@h:1",
    "--queue",
    "q",
    "--root",
    "/srv",
    "--concurrency",
    "3",
    "--isolate",
    "subprocess",
    "--allow-source",
    "--lock-ms",
    "2000",
    "--max-stalled-count",
    "0",
    "--heartbeat-ms",
    "500",
    "--deno-arg",
    "--quiet",
  ]);
  assertEquals(args, {
    redis: "rediss://u:p@h:1",
    queue: "q",
    root: "/srv",
    concurrency: 3,
    isolate: "subprocess",
    allowSource: true,
    lockMs: 2000,
    maxStalledCount: 0,
    heartbeatMs: 500,
    denoArgs: ["--quiet"],
    help: false,
  });
  assertThrows(
    () => parseWorkerArgs(["--root", ".", "--isolate", "thread"]),
    TypeError,
    "worker or subprocess",
  );
});
