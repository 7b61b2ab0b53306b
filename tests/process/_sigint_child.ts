// A program that starts a child under plain run() (no runMain, no signal
// handler) and waits on it: Ctrl-C (SIGINT) must reach the child, which is
// in a session of its own, and end this program as it would without aio.

import { createSubprocessExec, run } from "@seed/aio";

await run(async () => {
  const proc = await createSubprocessExec("sleep", [Deno.args[0]]);
  console.log("ready");
  await proc.wait();
  console.log("the child ended; waiting on");
  await new Promise((resolve) => setTimeout(resolve, 5000));
});
