// Tests of tools/task.ts: the command lines it builds, the bounded JSR
// probe, and one end-to-end run.

import {
  assert,
  assertEquals,
  assertLess,
  assertMatch,
  assertThrows,
} from "../compat/std/assert.ts";
import {
  announce,
  denoFlags,
  forcedChoice,
  jsrSpecifiers,
  plan,
  type PlanContext,
  probeJsr,
  type Step,
  testSummary,
} from "../tools/task.ts";

const MAP = "/repo/compat/import_map.json";

function ctx(overrides: Partial<PlanContext> = {}): PlanContext {
  return {
    flags: denoFlags("npm", MAP),
    checkTargets: ["mod.ts", "lib", "tests"],
    hasMod: true,
    peers: [],
    skipGates: false,
    ...overrides,
  };
}

function names(steps: Step[]): string[] {
  return steps.map((step) => step.name);
}

Deno.test("denoFlags: the import map in fallback mode only", () => {
  assertEquals(denoFlags("npm", MAP), [`--import-map=${MAP}`]);
  assertEquals(denoFlags("jsr", MAP), []);
});

Deno.test("jsrSpecifiers picks deno.json's JSR imports", () => {
  assertEquals(
    jsrSpecifiers({
      "@std/assert": "jsr:@std/assert@^1.0.13",
      "@std/testing/time": "jsr:@std/testing@^1.0.12/time",
      "fast-check": "npm:fast-check@^4.3.0",
      "@std/assert/equal": "jsr:@std/assert@^1.0.13",
    }),
    ["jsr:@std/assert@^1.0.13", "jsr:@std/testing@^1.0.12/time"],
  );
});

Deno.test("the announcement is one line naming the source and why", () => {
  assertEquals(
    announce({ mode: "npm", reason: "JSR unreachable" }),
    "aio: @std/* from the npm-only fallback (JSR unreachable)",
  );
  assertEquals(
    announce({ mode: "jsr", reason: "JSR reachable" }),
    "aio: @std/* from JSR (JSR reachable)",
  );
});

Deno.test("AIO_STD forces a mode; anything else is an error", () => {
  assertEquals(forcedChoice("npm"), {
    mode: "npm",
    reason: "forced by AIO_STD=npm",
  });
  assertEquals(forcedChoice("jsr")?.mode, "jsr");
  assertEquals(forcedChoice(undefined), undefined);
  assertEquals(forcedChoice(""), undefined);
  assertThrows(() => forcedChoice("JSR"), Error, "AIO_STD");
});

Deno.test("plan test: gates in order, then the suite with the mode's flags", () => {
  const steps = plan("test", ["tests/a_test.ts"], ctx());
  assertEquals(names(steps), [
    "fmt",
    "lint",
    "check",
    "doc-lint",
    "publish",
    "test",
  ]);
  assertEquals(steps[0].args, ["fmt", "--check"]);
  assertEquals(steps[1].args, ["lint"]);
  assertEquals(steps[2].args, [
    "check",
    `--import-map=${MAP}`,
    "mod.ts",
    "lib",
    "tests",
  ]);
  assertEquals(steps[3].args, [
    "doc",
    "--lint",
    `--import-map=${MAP}`,
    "mod.ts",
  ]);
  // publish reads deno.json's imports and has no use for the import map.
  assertEquals(steps[4].args, ["publish", "--dry-run", "--allow-dirty"]);
  assertEquals(steps[5].args, [
    "test",
    "-A",
    "--sanitize-ops",
    "--sanitize-resources",
    "--doc",
    "--parallel",
    `--import-map=${MAP}`,
    "tests/a_test.ts",
  ]);
  assert(steps[5].summarize);
});

Deno.test("plan test: --quick and AIO_SKIP_GATES skip the gates", () => {
  const quick = plan("test", ["--quick", "--filter", "x"], ctx());
  assertEquals(names(quick), ["test"]);
  assertEquals(quick[0].args.slice(-2), ["--filter", "x"]);
  assertEquals(names(plan("test", [], ctx({ skipGates: true }))), ["test"]);
  const jsr = plan("test", ["--quick"], ctx({ flags: [] }));
  assert(!jsr[0].args.some((arg) => arg.startsWith("--import-map")));
});

Deno.test("plan check, demo, bench, run", () => {
  assertEquals(names(plan("check", [], ctx())), [
    "fmt",
    "lint",
    "check",
    "doc-lint",
    "publish",
  ]);
  assertEquals(names(plan("check", [], ctx({ hasMod: false }))), [
    "fmt",
    "lint",
    "check",
  ]);
  assertEquals(plan("demo", ["--fast"], ctx())[0].args, [
    "run",
    "-A",
    `--import-map=${MAP}`,
    "scripts/demo.ts",
    "--fast",
  ]);
  const bench = plan("bench", [], ctx({ peers: ["bench/sleep_peer.ts"] }));
  assertEquals(bench.map((step) => step.args), [
    ["bench", "-A", "--permit-no-files", `--import-map=${MAP}`],
    ["run", "-A", `--import-map=${MAP}`, "bench/sleep_peer.ts"],
  ]);
  assertEquals(plan("run", ["scripts/x.ts", "1"], ctx({ flags: [] }))[0].args, [
    "run",
    "-A",
    "scripts/x.ts",
    "1",
  ]);
  assertThrows(() => plan("run", [], ctx()), Error, "needs a file");
  assertThrows(() => plan("deploy", [], ctx()), Error, "unknown command");
});

Deno.test("testSummary turns deno test's closing line into a plain one", () => {
  assertEquals(
    testSummary(
      "x\n\u001b[32mok\u001b[0m | 12 passed (3 steps) | 0 failed \u001b[38;5;245m(1s)\u001b[0m\n",
    ),
    "12 passed, 0 failed",
  );
  assertEquals(
    testSummary("FAILED | 3 passed | 1 failed | 2 ignored (9ms)"),
    "3 passed, 1 failed, 2 skipped",
  );
  assertEquals(
    testSummary("ok | 4 passed | 0 failed | 0 ignored (1 step) (9ms)"),
    "4 passed, 0 failed",
  );
  assertEquals(testSummary("error: Type checking failed."), undefined);
});

/** Writes an executable shell script standing in for deno. */
async function fakeDeno(dir: string, body: string): Promise<string> {
  const path = `${dir}/deno-${crypto.randomUUID()}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

Deno.test("probeJsr: a hanging probe is killed at its time limit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const hang = await fakeDeno(dir, "exec sleep 30");
    const started = performance.now();
    const choice = await probeJsr(["jsr:@std/assert@^1"], 300, hang);
    const elapsed = performance.now() - started;
    assertEquals(choice.mode, "npm");
    assertMatch(choice.reason, /timed out after 300 ms/);
    assertLess(elapsed, 2_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("probeJsr: success means JSR, failure means the fallback", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ok = await fakeDeno(dir, "exit 0");
    const no = await fakeDeno(dir, "exit 1");
    assertEquals(await probeJsr(["jsr:@std/assert@^1"], 5_000, ok), {
      mode: "jsr",
      reason: "JSR reachable",
    });
    assertEquals(await probeJsr(["jsr:@std/assert@^1"], 5_000, no), {
      mode: "npm",
      reason: "JSR unreachable",
    });
    assertEquals((await probeJsr([], 5_000, no)).mode, "jsr");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tools/task.ts run: one announcement, flags handed to the child", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/show_flags.ts`;
    await Deno.writeTextFile(
      script,
      'console.log(`flags=${Deno.env.get("AIO_DENO_FLAGS")}`);\n',
    );
    const task = new URL("../tools/task.ts", import.meta.url).pathname;
    const env = { AIO_STD: "npm", NO_COLOR: "1" };
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", task, "run", script],
      env,
      stdin: "null",
    }).output();
    const out = new TextDecoder().decode(stdout);
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, err);
    const announcements = err.split("\n").filter((l) => l.startsWith("aio:"));
    assertEquals(announcements, [
      "aio: @std/* from the npm-only fallback (forced by AIO_STD=npm)",
    ]);
    assertMatch(out, /^flags=--import-map=\/.*\/compat\/import_map\.json$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
