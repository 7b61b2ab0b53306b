// DESIGN "Depth is not a limit": cancelling 100,000 tasks awaiting each
// other, or 100,000 nested groups, works. In a child process: a recursive
// implementation overflows the stack, which must not take the suite down.

import { assertEquals } from "@std/assert";
import { denoFlags } from "../_helpers.ts";

Deno.test("cancelling a chain of 100,000 awaiting tasks and 100,000 nested groups needs no deep stack", async () => {
  const fixture = new URL("./fixtures/deep.ts", import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...denoFlags(), fixture.href, "100000"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assertEquals(code, 0, err);
  assertEquals(new TextDecoder().decode(stdout).trim().split("\n"), [
    "chain CancelledError",
    "chain pending 0",
    "nest TimeoutError 100000",
  ]);
});
