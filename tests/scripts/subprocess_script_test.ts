// Runs scripts/subprocess.ts as a reader would and checks that it prints
// what CPython prints for the asyncio documents' subprocess examples.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { fileURLToPath } from "node:url";
import { denoFlags } from "../_helpers.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

async function runScript(
  args: string[],
  permissions = ["--allow-run"],
): Promise<{ code: number; out: string; err: string; ms: number }> {
  const start = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...denoFlags(),
      ...permissions,
      "scripts/subprocess.ts",
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    out: new TextDecoder().decode(output.stdout),
    err: new TextDecoder().decode(output.stderr),
    ms: performance.now() - start,
  };
}

Deno.test("scripts/subprocess.ts prints what CPython prints: exit codes, [stdout]/[stderr], a timeout, communicate(input)", async () => {
  const { code, out, err, ms } = await runScript(["--speed", "0.5"]);
  assertEquals(code, 0, err);
  const blocks = out.split("\n\n");
  // run('ls /zzz') first, alone.
  assertMatch(
    blocks[0],
    /^\['ls \/zzz' exited with [12]\]\n\[stderr\]\nls: .*\/zzz.*No such file or directory$/,
  );
  // Then three at once: ls again, the sleep-and-echo, the timed-out sleep.
  assertMatch(
    out,
    /\['sleep 0\.5; echo "hello"' exited with 0\]\n\[stdout\]\nhello\n/,
  );
  assertMatch(out, /^\['sleep 5' timed out\]$/m);
  assertEquals(out.match(/\['ls \/zzz' exited with/g)?.length, 2);
  assertMatch(out, /\[stdout\]\nHELLO WORLD\n\n/);
  assertMatch(out, /\nCurrent date: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/);
  // The 5 s sleep was stopped at the 1 s timeout, not waited for.
  assert(ms < 4500, `took ${ms} ms`);
});

Deno.test("scripts/subprocess.ts --help, a bad flag, and a missing --allow-run", async () => {
  const help = await runScript(["--help"]);
  assertEquals(help.code, 0);
  assertMatch(help.out, /^usage: deno run --allow-run scripts\/subprocess\.ts/);
  const bad = await runScript(["--nope"]);
  assertEquals(bad.code, 2);
  assertEquals(bad.err, "error: Unknown argument: --nope\n");
  const denied = await runScript(["--speed", "0.1"], ["--no-prompt"]);
  assertEquals(denied.code, 1);
  assertMatch(denied.err, /NotCapable|PermissionDenied|--allow-run/);
});
