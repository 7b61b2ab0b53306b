// Signal handling checked from outside: each mode installs and removes
// listeners, then raises a signal at itself. If a listener was left behind
// the program survives (and prints "survived"); if not, the signal's
// default action ends it.

import { Event, getRunningLoop, run, runMain, signalReceiver } from "@seed/aio";

const mode = Deno.args[0];
const pause = () => new Promise((resolve) => setTimeout(resolve, 2000));

if (mode === "handler") {
  await run(async () => {
    const loop = getRunningLoop();
    const got = new Event();
    loop.addSignalHandler("SIGUSR1", () => got.set());
    Deno.kill(Deno.pid, "SIGUSR1");
    await got.wait();
    console.log("handled");
  });
  console.log("after run");
  Deno.kill(Deno.pid, "SIGUSR1");
} else if (mode === "receiver") {
  await run(async () => {
    const signals = signalReceiver("SIGUSR2");
    Deno.kill(Deno.pid, "SIGUSR2");
    for await (const sig of signals) {
      console.log("received", sig);
      break;
    }
    // One that is never iterated goes when run() ends.
    signalReceiver("SIGUSR2");
  });
  console.log("after run");
  Deno.kill(Deno.pid, "SIGUSR2");
} else if (mode === "runmain-bad-name") {
  try {
    await runMain(() => {}, {
      signals: ["SIGINT", "SIGNOPE" as Deno.Signal],
    });
  } catch (error) {
    console.log(`${(error as Error).name}: ${(error as Error).message}`);
  }
  try {
    await runMain(() => {}, { signals: "SIGINT" as unknown as Deno.Signal[] });
  } catch (error) {
    console.log(`${(error as Error).name}: ${(error as Error).message}`);
  }
  Deno.kill(Deno.pid, "SIGINT");
} else if (mode === "runmain-done") {
  await runMain(() => {});
  console.log("after runMain");
  Deno.kill(Deno.pid, "SIGTERM");
}
await pause();
console.log("survived");
