/**
 * A long-running service that reloads its configuration on SIGHUP and
 * stops cleanly on SIGINT (Ctrl-C), reading signals with
 * `signalReceiver("SIGHUP", "SIGINT")`. Once ready it prints the fixed line
 * `Ready: SIGHUP reloads the configuration, SIGINT stops`; each SIGHUP
 * prints `Reloading the configuration (generation N)`, and SIGINT prints
 * `Stopping on SIGINT` and exits with code 0. Meanwhile a worker task
 * prints `tick N (generation G)` every second, under the configuration in
 * force. SIGTERM still cancels everything through `runMain` (exit 143).
 *
 * Mirrors Trio's `open_signal_receiver` example (`with
 * trio.open_signal_receiver(signal.SIGHUP, signal.SIGINT) as signals:
 * async for signum in signals: ...`) and asyncio's
 * `loop.add_signal_handler(signal.SIGHUP, reload)`.
 *
 * Run: deno run scripts/signals.ts [--speed 0.1] [--demo]
 * Then: kill -HUP <pid> to reload, Ctrl-C to stop (`--demo` sends itself
 * SIGHUP twice, then SIGINT).
 *
 * @module
 */

import { runMain, signalReceiver, sleep, taskGroup } from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/signals.ts",
  shows:
    `A service that reloads its configuration on SIGHUP and stops cleanly on
SIGINT (Ctrl-C), reading signals with signalReceiver("SIGHUP", "SIGINT").
Prints "Ready: SIGHUP reloads the configuration, SIGINT stops" once ready,
"Reloading the configuration (generation N)" on each SIGHUP, and "Stopping
on SIGINT" before exiting with 0; a worker prints "tick N (generation G)"
every second meanwhile. Mirrors Trio's open_signal_receiver and asyncio's
loop.add_signal_handler(signal.SIGHUP, reload).`,
  permissions: [],
  flags: {
    "--demo":
      "drive itself: after the ready line, send itself SIGHUP twice, then SIGINT",
  },
};

/** The configuration in force (a generation number stands in for a file). */
interface Config {
  generation: number;
}

async function main(demo: boolean): Promise<void> {
  const config: Config = { generation: 1 };
  // Listening starts before the ready line: no signal sent after it is lost.
  const signals = signalReceiver("SIGHUP", "SIGINT");
  await taskGroup(async (tg) => {
    tg.createTask(async () => {
      for (let tick = 1;; tick++) {
        await sleep(scaled(1000));
        console.log(`tick ${tick} (generation ${config.generation})`);
      }
    });
    console.log("Ready: SIGHUP reloads the configuration, SIGINT stops");
    if (demo) {
      // What `kill -HUP <pid>` twice and then Ctrl-C would do.
      tg.createTask(async () => {
        for (const sig of ["SIGHUP", "SIGHUP", "SIGINT"] as const) {
          await sleep(scaled(1500));
          Deno.kill(Deno.pid, sig);
        }
      });
    }
    for await (const sig of signals) {
      if (sig === "SIGHUP") {
        config.generation++;
        console.log(
          `Reloading the configuration (generation ${config.generation})`,
        );
      } else {
        console.log(`Stopping on ${sig}`);
        break;
      }
    }
    tg.cancel();
  });
}

/**
 * Runs the service with command-line flags (`--speed`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  // SIGINT is the service's own (a clean stop); SIGTERM cancels it all.
  return await runMain(() => main(parsed.switches.demo), {
    signals: ["SIGTERM"],
  });
}

if (import.meta.main) await cli(Deno.args);
