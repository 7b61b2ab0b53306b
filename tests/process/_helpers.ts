// Shared by the subprocess tests: unique sleep durations (other suites run
// on this machine at the same time, so `pgrep` looks for our own marker),
// and checks that a process is really gone.

let counter = 0;

/**
 * A `sleep` argument no other test uses: 10 s plus a fraction unique to
 * this test process and call, so that `pgrep -f` finds only ours.
 */
export function uniqueSleep(): string {
  counter++;
  return `10.${Deno.pid}${String(counter).padStart(3, "0")}`;
}

/** The pids of processes whose command line contains `pattern`. */
export function pgrep(pattern: string): number[] {
  const out = new Deno.Command("pgrep", {
    args: ["-f", pattern],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean)
    .map(Number).filter((pid) => pid !== Deno.pid);
}

/** Whether a process with this pid exists (a zombie counts). */
export function exists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The state letter of a process (`Z` for a zombie), or undefined if gone. */
export function state(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}
