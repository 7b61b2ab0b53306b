// Run without --allow-env (so PATH, and `setsid`, are out of reach): aio starts children
// with Deno's `detached: true` instead, and stopping one still stops its
// whole group. Prints the error's name, then how many sleeps are left.

import { run, runProcess, timeout } from "@seed/aio";

const marker = Deno.args[0];
await run(async () => {
  try {
    await timeout(
      200,
      () => runProcess("sh", ["-c", `sleep ${marker} & sleep ${marker}`]),
    );
  } catch (error) {
    console.log((error as Error).name);
  }
});
const left = new Deno.Command("pgrep", {
  args: ["-f", `sleep ${marker}`],
  stdout: "piped",
}).outputSync();
console.log(
  new TextDecoder().decode(left.stdout).split("\n").filter(Boolean).length,
);
