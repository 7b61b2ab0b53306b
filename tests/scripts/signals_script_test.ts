// Runs scripts/signals.ts as a service: waits for its ready line, sends
// SIGHUP twice (reloads), then SIGINT (a clean stop, exit code 0).

import { assert, assertEquals, assertMatch } from "@std/assert";
import { fileURLToPath } from "node:url";
import { denoFlags } from "../_helpers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function start(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags(), "scripts/signals.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Reads lines, calling `onLine` for each, until the stream ends. */
async function lines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<string[]> {
  const seen: string[] = [];
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let end;
    while ((end = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      seen.push(line);
      onLine(line);
    }
  }
  return seen;
}

Deno.test("scripts/signals.ts reloads on SIGHUP and stops cleanly on SIGINT", async () => {
  const child = start(["--speed", "0.05"]);
  let reloads = 0;
  const seen = await lines(child.stdout, (line) => {
    if (line.startsWith("Ready: ")) child.kill("SIGHUP");
    if (line.startsWith("Reloading")) {
      reloads++;
      child.kill(reloads < 2 ? "SIGHUP" : "SIGINT");
    }
  });
  const status = await child.status;
  const err = await new Response(child.stderr).text();
  assertEquals(status.code, 0, err);
  assertEquals(
    seen[0],
    "Ready: SIGHUP reloads the configuration, SIGINT stops",
  );
  const events = seen.filter((line) => !line.startsWith("tick "));
  assertEquals(events, [
    "Ready: SIGHUP reloads the configuration, SIGINT stops",
    "Reloading the configuration (generation 2)",
    "Reloading the configuration (generation 3)",
    "Stopping on SIGINT",
  ]);
  for (const tick of seen.filter((line) => line.startsWith("tick "))) {
    assertMatch(tick, /^tick \d+ \(generation [123]\)$/);
  }
});

Deno.test("scripts/signals.ts: SIGTERM cancels it through runMain (exit 143)", async () => {
  const child = start([]);
  const started = performance.now();
  let sent = 0;
  await lines(child.stdout, (line) => {
    if (line.startsWith("Ready: ")) {
      sent = performance.now();
      child.kill("SIGTERM");
    }
  });
  const status = await child.status;
  await child.stderr.cancel();
  assertEquals(status.code, 143);
  assert(
    sent > 0 && performance.now() - sent < 1000,
    `${performance.now() - started}`,
  );
});

Deno.test("scripts/signals.ts --demo drives itself: two reloads, then a clean stop", async () => {
  const child = start(["--demo", "--speed", "0.1"]);
  const seen = await lines(child.stdout, () => {});
  const status = await child.status;
  await child.stderr.cancel();
  assertEquals(status.code, 0);
  assertEquals(seen.filter((line) => !line.startsWith("tick ")), [
    "Ready: SIGHUP reloads the configuration, SIGINT stops",
    "Reloading the configuration (generation 2)",
    "Reloading the configuration (generation 3)",
    "Stopping on SIGINT",
  ]);
});

Deno.test("scripts/signals.ts --help and a bad flag", async () => {
  const help = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags(), "scripts/signals.ts", "--help"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(help.code, 0);
  assertMatch(
    new TextDecoder().decode(help.stdout),
    /^usage: deno run scripts\/signals\.ts/,
  );
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags(), "scripts/signals.ts", "--nope"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(bad.code, 2);
});
