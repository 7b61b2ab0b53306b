/**
 * The subprocess examples of the asyncio documents, on aio: `run(cmd)`
 * starts a shell command with its output piped, waits for it with
 * `communicate()` and prints `['ls /zzz' exited with 2]` followed by
 * `[stdout]` / `[stderr]` and what the command printed. Several commands
 * run concurrently under `gather`; one of them (`sleep 10`) runs under a
 * 2 s timeout, which stops it (SIGTERM to its process group) and prints
 * `['sleep 10' timed out]`. Then `communicate(input)` feeds `tr a-z A-Z`,
 * and `get_date()` reads one line from a child's stdout.
 *
 * Mirrors the asyncio documents' "Subprocesses" examples:
 * `asyncio.create_subprocess_shell(cmd, stdout=PIPE, stderr=PIPE)`,
 * `await proc.communicate()`, `asyncio.gather(run('ls /zzz'),
 * run('sleep 1; echo "hello"'))`, and `get_date()` with
 * `create_subprocess_exec(..., stdout=PIPE)` and `proc.stdout.readline()`;
 * plus `asyncio.wait_for(run('sleep 10'), timeout=2)`. The lines it prints
 * are the ones CPython prints for the same program.
 *
 * Run: deno run --allow-run scripts/subprocess.ts [--speed 0.1]
 * (`--speed` scales the sleeps and the timeout.)
 *
 * @module
 */

import {
  createSubprocessExec,
  createSubprocessShell,
  gather,
  runMain,
  TimeoutError,
  waitFor,
} from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/subprocess.ts",
  shows:
    `The subprocess examples of the asyncio documents: run(cmd) starts a shell
command with its output piped, waits with communicate() and prints
"['ls /zzz' exited with 2]" followed by [stdout] / [stderr]. Several
commands run concurrently under gather; 'sleep 10' runs under a 2 s timeout,
which stops it and prints "['sleep 10' timed out]". Then communicate(input)
feeds 'tr a-z A-Z', and get_date() reads a line from a child's stdout.
Mirrors asyncio.create_subprocess_shell/exec, proc.communicate(),
asyncio.gather(run('ls /zzz'), run('sleep 1; echo "hello"')).`,
  permissions: ["--allow-run"],
};

const decoder = new TextDecoder();

/** Python's `repr()` of a string (enough for these command lines). */
function repr(text: string): string {
  if (text.includes("'") && !text.includes('"')) return `"${text}"`;
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** Seconds for the shell, scaled like every sleep. */
function seconds(ms: number): string {
  return String(Number((scaled(ms) / 1000).toFixed(3)));
}

/** The documents' `run(cmd)`. */
async function run(cmd: string): Promise<void> {
  const proc = await createSubprocessShell(cmd, {
    stdout: "piped",
    stderr: "piped",
  });
  const { stdout, stderr } = await proc.communicate();

  console.log(`[${repr(cmd)} exited with ${proc.returncode}]`);
  if (stdout !== null && stdout.length > 0) {
    console.log(`[stdout]\n${decoder.decode(stdout)}`);
  }
  if (stderr !== null && stderr.length > 0) {
    console.log(`[stderr]\n${decoder.decode(stderr)}`);
  }
}

/** `run(cmd)` under `wait_for(…, timeout)`: the command is stopped. */
async function runWithTimeout(cmd: string, ms: number): Promise<void> {
  try {
    await waitFor(() => run(cmd), ms);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    console.log(`[${repr(cmd)} timed out]`);
  }
}

/** `communicate(input)`: the child reads it all, then its stdin ends. */
async function upper(text: string): Promise<void> {
  const proc = await createSubprocessExec("tr", ["a-z", "A-Z"], {
    stdin: "piped",
    stdout: "piped",
  });
  const { stdout } = await proc.communicate(text);
  console.log(`[stdout]\n${decoder.decode(stdout!)}`);
}

/** The documents' `get_date()`: one line from a child's stdout. */
async function getDate(): Promise<string> {
  const proc = await createSubprocessExec("date", ["+%Y-%m-%d %H:%M:%S"], {
    stdout: "piped",
  });
  const data = await proc.stdout!.readline();
  const line = decoder.decode(data).trimEnd();
  await proc.wait();
  return line;
}

async function main(): Promise<void> {
  await run("ls /zzz");

  await gather(
    () => run("ls /zzz"),
    () => run(`sleep ${seconds(1000)}; echo "hello"`),
    () => runWithTimeout(`sleep ${seconds(10_000)}`, scaled(2000)),
  );

  await upper("hello world\n");

  const date = await getDate();
  console.log(`Current date: ${date}`);
}

/**
 * Runs the example with command-line flags (`--speed`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  return await runMain(main);
}

if (import.meta.main) await cli(Deno.args);
