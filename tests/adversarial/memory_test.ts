// Memory must follow the live work, not the work already done (issue 12,
// item 13). In a child process with --expose-gc, measured per operation.

import { assert } from "@std/assert";
import { denoFlags } from "../_helpers.ts";

Deno.test("settled work is released: awaited failed root tasks and waitFor on a pending promise", async () => {
  const fixture = new URL("./fixtures/memory.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      ...denoFlags(),
      fixture.href,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(code === 0, new TextDecoder().decode(stderr));
  const { waitForBytes, failedBytes } = JSON.parse(
    new TextDecoder().decode(stdout),
  );
  // Before: about 1.2 KiB per failed root task and 2.5 KiB per waitFor. A
  // native promise reaction on the still-pending promise cannot be removed
  // (about 0.7 KiB, documented on waitFor); the rest must go.
  assert(failedBytes < 300, `failed root tasks keep ${failedBytes} B each`);
  assert(waitForBytes < 1_200, `waitFor keeps ${waitForBytes} B per call`);
});
