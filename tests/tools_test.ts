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
  DotRows,
  forcedChoice,
  jsrSpecifiers,
  outcome,
  plan,
  type PlanContext,
  probeJsr,
  PUBLISH_NOTE,
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

Deno.test("plan off a terminal: quiet gates, dots for the whole suite only", () => {
  const steps = plan("test", [], ctx({ quiet: true }));
  // fmt stays verbose: quiet, it would not name the unformatted files.
  assert(!steps[0].args.includes("--quiet"));
  for (const step of steps.slice(1, 5)) {
    assert(step.args.includes("--quiet"), step.name);
  }
  assert(steps[5].args.includes("--reporter=dot"));
  // Named files (a helper's --quick run) keep the per-test lines.
  const named = plan(
    "test",
    ["--quick", "tests/a_test.ts"],
    ctx({ quiet: true }),
  );
  assert(!named[0].args.includes("--reporter=dot"));
  // On a terminal nothing changes.
  assert(!plan("test", [], ctx())[5].args.includes("--reporter=dot"));
});

Deno.test("the publish dry-run step explains its expected warning in one line", () => {
  const publish = plan("check", [], ctx()).find((s) => s.name === "publish");
  assertEquals(publish?.note, PUBLISH_NOTE);
  assert(!PUBLISH_NOTE.includes("\n"));
  assertMatch(PUBLISH_NOTE, /unanalyzable-dynamic-import.*expected/);
});

Deno.test("outcome: 130 and 143 are interrupted, not failed", () => {
  assertEquals(outcome(0), "ok");
  assertEquals(outcome(130), "interrupted");
  assertEquals(outcome(143), "interrupted");
  assertEquals(outcome(1), "failed");
  assertEquals(outcome(1, true), "interrupted");
});

Deno.test("deno.json lists no test-only npm package where deno task installs it", async () => {
  // `deno task` installs every npm package of deno.json's "imports" before
  // it runs anything, the demo included; test-only ones live in "scopes".
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  const imports = Object.keys(config.imports ?? {});
  // Nor the Redis executor's (scoped to lib/redis/ and bench/).
  for (
    const name of ["fast-check", "@sinonjs/fake-timers", "minimist", "bullmq"]
  ) {
    assert(!imports.includes(name), `${name} in deno.json imports`);
  }
  assertEquals(
    config.scopes["./tests/"]["fast-check"],
    "npm:fast-check@^4.3.0",
  );
  const map = JSON.parse(
    await Deno.readTextFile(
      new URL("../compat/import_map.json", import.meta.url),
    ),
  );
  // An import map installs nothing eagerly, but keep the test-only
  // packages scoped there too.
  for (const name of ["fast-check", "@sinonjs/fake-timers"]) {
    assert(!(name in map.imports), `${name} in compat/import_map.json imports`);
  }
});

const TASK = new URL("../tools/task.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/** The pids of a process's children (Linux /proc). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`)
    .catch(() => "");
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat); // A zombie is gone but unreaped.
  } catch {
    return false;
  }
}

/**
 * Starts the echo server through the task runner, sends `signal` to the
 * runner's own pid once the server is ready, and checks what is left.
 */
async function signalRunner(signal: Deno.Signal, expected: number) {
  const runner = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, "run", "scripts/echo_server.ts", "--port", "0"],
    cwd: ROOT,
    env: { AIO_STD: "npm" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const limit = setTimeout(() => runner.kill("SIGKILL"), 30_000);
  try {
    const stderr = new Response(runner.stderr).text();
    const reader = runner.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    let port = 0;
    while (port === 0) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
      const match = /Serving on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) port = Number(match[1]);
    }
    assert(port > 0, `no ready line: ${out}`);
    const servers = await childrenOf(runner.pid);
    assertEquals(servers.length, 1, "the runner has one child, the server");
    runner.kill(signal);
    while (!(await reader.read()).done) { /* drain */ }
    const { code } = await runner.status;
    const err = await stderr;
    assertEquals(code, expected, err);
    assertMatch(err, new RegExp(`interrupted \\(exit code ${expected}\\)`));
    assert(!err.includes("failed"), err);
    // Nothing left: the server process is gone and its port is free.
    assertEquals(await alive(servers[0]), false, "the server is still running");
    const listener = Deno.listen({ hostname: "127.0.0.1", port });
    listener.close();
  } finally {
    clearTimeout(limit);
  }
}

Deno.test("tools/task.ts passes SIGTERM on: the server stops, the port is free, exit 143", async () => {
  await signalRunner("SIGTERM", 143);
});

Deno.test("tools/task.ts passes SIGINT on once: exit 130, reported as interrupted", async () => {
  await signalRunner("SIGINT", 130);
});

Deno.test("tools/task.ts off a terminal: children get NO_COLOR", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/show_color.ts`;
    await Deno.writeTextFile(
      script,
      'console.log(`NO_COLOR=${Deno.env.get("NO_COLOR")}`);\n',
    );
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", TASK, "run", script],
      env: { AIO_STD: "npm" },
      stdin: "null",
      stderr: "null",
    }).output();
    assertEquals(code, 0);
    assertEquals(new TextDecoder().decode(stdout), "NO_COLOR=1\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno test --doc, as the suite runs it, fails on a broken block in docs/*.md", async () => {
  // The full suite names no files: deno then collects README.md and
  // docs/*.md along with the tests. A temp project proves both are run.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/deno.json`, "{}\n");
    await Deno.mkdir(`${dir}/docs`);
    const block = (code: string) => "# Guide\n\n```ts\n" + code + "\n```\n";
    await Deno.writeTextFile(`${dir}/README.md`, block("console.log(1);"));
    await Deno.writeTextFile(`${dir}/docs/good.md`, block("console.log(2);"));
    await Deno.writeTextFile(
      `${dir}/docs/broken.md`,
      block('throw new Error("this example is broken");'),
    );
    const suite = plan("test", ["--quick"], ctx({ flags: [] }))[0];
    const runSuite = () =>
      new Deno.Command(Deno.execPath(), {
        args: suite.args,
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdin: "null",
      }).output();
    const broken = await runSuite();
    const text = new TextDecoder().decode(broken.stdout) +
      new TextDecoder().decode(broken.stderr);
    assert(broken.code !== 0, text);
    assertMatch(
      text,
      /docs\/broken\.md\$\d+-\d+\.ts => .*FAILED|this example is broken/,
    );
    assertMatch(text, /docs\/good\.md/);
    assertMatch(text, /README\.md/);
    await Deno.remove(`${dir}/docs/broken.md`);
    const fixed = await runSuite();
    assertEquals(fixed.code, 0, new TextDecoder().decode(fixed.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DotRows joins the dot reporter's one-dot lines into rows", () => {
  const rows = new DotRows();
  const out = rows.push(".\n.\n") + rows.push("!\n.") +
    rows.push("\nok | 4 passed\n") +
    rows.push(".\n".repeat(81)) + rows.end();
  assertEquals(
    out,
    `..!.\nok | 4 passed\n${".".repeat(80)}\n.\n`,
  );
});
