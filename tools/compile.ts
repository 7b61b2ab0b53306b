/**
 * `deno task compile`: builds the echo server and the demo into standalone
 * binaries with `deno compile` (in `dist/` by default).
 *
 * `deno compile` builds on a Deno runtime binary (`denort`) that it
 * downloads once per Deno version. Where that download is unreachable, this
 * tool stops with a message that says so and names `DENORT_BIN`, the
 * variable through which `deno compile` takes a `denort` binary from disk
 * instead. Every build is bounded: it is killed after `--timeout` ms.
 *
 * Usage: deno run -A tools/compile.ts [--only echo_server|demo] [--out DIR] [--timeout MS]
 *
 * In the npm-only fallback (no JSR), the same `--import-map` flag the task
 * runner chose is passed on (env AIO_DENO_FLAGS), or, when started by hand,
 * the one this process itself resolves `@std/*` through.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { fileURLToPath } from "node:url";
import { childDenoFlags, killAfter } from "./task.ts";

/** One binary to build. */
export interface Target {
  /** The binary's name, and the name `--only` takes. */
  name: string;
  /** The entry module, relative to the project root. */
  entry: string;
  /** Permissions baked into the binary. */
  permissions: string[];
  /** Extra files the binary must carry (worker modules). */
  include: string[];
}

/** What `deno task compile` builds. */
export const TARGETS: readonly Target[] = [
  {
    name: "echo_server",
    entry: "scripts/echo_server.ts",
    permissions: ["--allow-net=127.0.0.1"],
    include: [],
  },
  {
    name: "demo",
    entry: "scripts/demo.ts",
    // The tour serves and connects on loopback, starts copies of itself
    // for its steps, and runs workers.
    permissions: [
      "--allow-net=127.0.0.1",
      "--allow-read",
      "--allow-env",
      "--allow-run",
    ],
    include: ["lib/workers/_worker_host.ts"],
  },
];

/** How one build ended. */
export type BuildResult =
  | { kind: "built"; path: string; bytes: number; ms: number }
  | { kind: "no-runtime"; detail: string }
  | { kind: "timeout"; ms: number }
  | { kind: "failed"; code: number; stderr: string };

/**
 * Whether `deno compile` failed because it could not download the Deno
 * runtime it builds on (as opposed to a type error, a missing file...).
 *
 * @param stderr What `deno compile` printed to stderr.
 * @returns True for a failed runtime download.
 */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  // deno-lint-ignore no-control-regex
  const text = stderr.replace(/\x1b\[[0-9;]*m/g, "");
  const aboutRuntime = /denort|Setting up base binary/i.test(text);
  const network =
    /error sending request|dns error|Connect|connection refused|timed out|tcp connect|certificate|proxy|status code|Download/i
      .test(text);
  return aboutRuntime && network;
}

/** The lines this tool prints when the runtime cannot be downloaded. */
export function noRuntimeMessage(detail: string): string {
  const platform = Deno.build.target;
  return [
    "compile: deno compile could not download the Deno runtime (denort) it builds on;",
    "this machine cannot reach the download.",
    `Set DENORT_BIN to the path of a denort binary for Deno ${Deno.version.deno} (${platform}),`,
    "downloaded elsewhere, and run again:",
    "  DENORT_BIN=/path/to/denort deno task compile",
    `(deno compile said: ${detail})`,
  ].join("\n");
}

/**
 * Builds one target with `deno compile`, killed after `timeoutMs`.
 *
 * @param target What to build.
 * @param outDir Where the binary goes.
 * @param timeoutMs The time limit.
 * @returns How it ended.
 */
export async function build(
  target: Target,
  outDir: string,
  timeoutMs: number,
): Promise<BuildResult> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const output = `${outDir}/${target.name}${
    Deno.build.os === "windows" ? ".exe" : ""
  }`;
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      ...childDenoFlags(),
      ...target.permissions,
      ...target.include.flatMap((file) => ["--include", file]),
      "--output",
      output,
      target.entry,
    ],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const deadline = killAfter(child, timeoutMs);
  try {
    const [{ code }, , stderr] = await Promise.all([
      child.status,
      new Response(child.stdout).arrayBuffer(),
      new Response(child.stderr).text(),
    ]);
    const ms = performance.now() - started;
    if (deadline.fired) return { kind: "timeout", ms };
    if (code === 0) {
      const path = output.startsWith("/") ? output : `${root}${output}`;
      return { kind: "built", path, bytes: (await Deno.stat(path)).size, ms };
    }
    if (isRuntimeDownloadFailure(stderr)) {
      const cause = stderr.split("\n").map((line) => line.trim())
        .find((line) => /error sending request|dns error/i.test(line))
        ?.replace(/^\d+: /, "") ??
        stderr.trim().split("\n")[0];
      return { kind: "no-runtime", detail: cause };
    }
    return { kind: "failed", code, stderr };
  } finally {
    deadline.clear();
  }
}

/**
 * The command line.
 *
 * @param args The command-line arguments.
 * @returns The exit code: 0 built, 1 failed, 2 bad arguments, 3 no runtime.
 */
export async function main(args: string[]): Promise<number> {
  const unknown: string[] = [];
  const flags = parseArgs(args, {
    string: ["only", "out", "timeout"],
    unknown: (arg) => {
      unknown.push(arg);
      return false;
    },
  });
  if (unknown.length > 0) {
    console.error(`compile: unknown argument ${unknown.join(" ")}`);
    return 2;
  }
  const timeoutMs = Number(flags.timeout ?? 120_000);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    console.error(`compile: --timeout must be a positive number of ms`);
    return 2;
  }
  const targets = flags.only === undefined
    ? TARGETS
    : TARGETS.filter((target) => target.name === flags.only);
  if (targets.length === 0) {
    console.error(
      `compile: --only must be one of ${TARGETS.map((t) => t.name).join(", ")}`,
    );
    return 2;
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort !== undefined && denort !== "") {
    try {
      if (!(await Deno.stat(denort)).isFile) throw new Error("not a file");
    } catch {
      console.error(`compile: DENORT_BIN is set to "${denort}", not a file`);
      return 2;
    }
  }
  const outDir = flags.out ?? "dist";
  await Deno.mkdir(
    outDir.startsWith("/")
      ? outDir
      : fileURLToPath(new URL(`../${outDir}`, import.meta.url)),
    { recursive: true },
  );
  for (const target of targets) {
    console.log(`compile: ${target.entry} -> ${outDir}/${target.name}`);
    const result = await build(target, outDir, timeoutMs);
    switch (result.kind) {
      case "built":
        console.log(
          `compile: built ${result.path} (${
            (result.bytes / 1e6).toFixed(1)
          } MB) in ${Math.round(result.ms)} ms`,
        );
        break;
      case "no-runtime":
        console.error(noRuntimeMessage(result.detail));
        return 3;
      case "timeout":
        console.error(
          `compile: deno compile of ${target.entry} took more than ${timeoutMs} ms and was stopped`,
        );
        return 1;
      case "failed":
        console.error(result.stderr.trimEnd());
        console.error(
          `compile: deno compile of ${target.entry} failed (exit code ${result.code})`,
        );
        return 1;
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
