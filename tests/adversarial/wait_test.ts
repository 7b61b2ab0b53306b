// Adversarial: wait() and asCompleted() with plain promises as items, the
// caller cancelled (issue 12, item 1). A broken implementation throws from a
// promise reaction and kills the process, so the scenarios run in a child.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { denoFlags } from "../_helpers.ts";

Deno.test("cancelling a `wait()` or `asCompleted()` caller whose items are plain promises neither crashes nor skips cleanup", async () => {
  const script = new URL(
    "./fixtures/cancel_plain_promises.ts",
    import.meta.url,
  );
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...denoFlags(), script.pathname],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(
    stdout.trim().split("\n"),
    [
      "wait caller cancelled: ok",
      "wait timeout then cancel pending: ok",
      "asCompleted caller cancelled: ok",
      "asCompleted timeout: ok",
      "all scenarios finished",
    ],
    `stdout:\n${stdout}\nstderr:\n${stderr}`,
  );
  assertEquals(output.code, 0, stderr);
  assertEquals(stderr.includes("Uncaught"), false, stderr);
  assertStringIncludes(stdout, "all scenarios finished");
});
