// Subprocesses side by side, in one run: 200 short commands started at
// once, and the time until the last one has exited (and, for `echo`, its
// 1 KiB of output has been read). Two workloads:
//   1. `true`: start, exit, reap (no output; stdin empty);
//   2. `echo <1 KiB>`: the same, with stdout and stderr piped and collected.
// Peers, interleaved round by round (the order rotates each round):
//   - raw:      `new Deno.Command(...).spawn().output()` (no process group,
//               no scope), and the same with `detached: true` (a session
//               and process group of its own: Deno then forks instead of
//               posix_spawn; aio gets its group through `setsid` where it
//               may, see bench/README.md);
//   - aio run:  `runProcess(cmd, args, { capture })` (own process group,
//               registered with its scope and run, a cancellable wait);
//   - aio exec: `createSubprocessExec(...)` then `wait()` / `communicate()`
//               (StreamReaders on the pipes);
//   - aio, no group: `runProcess(..., { processGroup: false })`;
//   - CPython:  `asyncio.create_subprocess_exec` + `wait()` / `communicate()`
//               in a python3 child this bench starts (it times itself, so
//               its interpreter start-up is not counted).
// Target: aio at most 1.15x raw, and faster than CPython. Medians of the
// rounds; bounded: 200 commands x 2 workloads x ROUNDS.
//
// Run: deno run -A bench/process_peer.ts [--quick] [--ab]  (python3 optional)

import {
  createSubprocessExec,
  gather,
  type ProcessResult,
  run,
  runProcess,
} from "../mod.ts";

const quick = Deno.args.includes("--quick");
// --ab: only raw and aio without a group, alternating (aio's own overhead,
// with nothing forking in between).
const ab = Deno.args.includes("--ab");
const N = 200;
const ROUNDS = quick ? 3 : 7;
const PAYLOAD = "x".repeat(1024);

type Workload = "true" | "echo";
const COMMANDS: Record<Workload, [string, string[]]> = {
  true: ["true", []],
  echo: ["echo", [PAYLOAD]],
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench: wrong result from ${what}`);
}

async function raw(workload: Workload, detached = false): Promise<number> {
  const [cmd, args] = COMMANDS[workload];
  const piped = workload === "echo";
  const start = performance.now();
  // spawn() + output(): Command.output() would ignore `detached`.
  const outputs = await Promise.all(
    Array.from({ length: N }, () =>
      new Deno.Command(cmd, {
        args,
        stdin: "null",
        stdout: piped ? "piped" : "inherit",
        stderr: piped ? "piped" : "inherit",
        detached,
      }).spawn().output()),
  );
  const ms = performance.now() - start;
  check(
    outputs.every((o) =>
      o.code === 0 && (!piped || o.stdout.length === PAYLOAD.length + 1)
    ),
    "raw",
  );
  return ms;
}

async function aioRun(
  workload: Workload,
  processGroup = true,
): Promise<number> {
  const [cmd, args] = COMMANDS[workload];
  const capture = workload === "echo";
  return await run(async () => {
    const start = performance.now();
    const results = (await gather(
      ...Array.from(
        { length: N },
        () => async () =>
          await runProcess(cmd, args, { capture, processGroup }),
      ),
    )) as ProcessResult[];
    const ms = performance.now() - start;
    check(
      results.every((r) =>
        r.code === 0 && (!capture || r.stdout!.length === PAYLOAD.length + 1)
      ),
      "aio runProcess",
    );
    return ms;
  });
}

async function aioExec(workload: Workload): Promise<number> {
  const [cmd, args] = COMMANDS[workload];
  const piped = workload === "echo";
  return await run(async () => {
    const start = performance.now();
    const results = await gather(
      ...Array.from({ length: N }, () => async () => {
        const proc = await createSubprocessExec(cmd, args, {
          stdin: "null",
          stdout: piped ? "piped" : "inherit",
          stderr: piped ? "piped" : "inherit",
        });
        if (!piped) return (await proc.wait()) === 0;
        const { stdout } = await proc.communicate();
        return proc.returncode === 0 && stdout!.length === PAYLOAD.length + 1;
      }),
    );
    const ms = performance.now() - start;
    check(results.every(Boolean), "aio createSubprocessExec");
    return ms;
  });
}

const PYTHON = `
import asyncio, json, sys, time
from asyncio.subprocess import DEVNULL, PIPE
N = ${N}
PAYLOAD = "x" * 1024

async def one_true():
    p = await asyncio.create_subprocess_exec("true", stdin=DEVNULL)
    return await p.wait() == 0

async def one_echo():
    p = await asyncio.create_subprocess_exec("echo", PAYLOAD, stdin=DEVNULL, stdout=PIPE, stderr=PIPE)
    out, _ = await p.communicate()
    return p.returncode == 0 and len(out) == len(PAYLOAD) + 1

async def main(workload):
    one = one_true if workload == "true" else one_echo
    start = time.perf_counter()
    ok = await asyncio.gather(*(one() for _ in range(N)))
    ms = (time.perf_counter() - start) * 1000
    assert all(ok)
    return ms

print(json.dumps(asyncio.run(main(sys.argv[1]))))
`;

let hasPython = true;
async function cpython(workload: Workload): Promise<number | undefined> {
  if (!hasPython) return undefined;
  try {
    const out = await new Deno.Command("python3", {
      args: ["-c", PYTHON, workload],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("python3 failed");
    return Number(new TextDecoder().decode(out.stdout));
  } catch {
    hasPython = false;
    console.log("(python3 not available: CPython rows skipped)");
    return undefined;
  }
}

const PEERS = [
  "raw Deno.Command",
  "raw, detached",
  "aio runProcess",
  "aio exec+wait",
  "aio, no group",
  "CPython asyncio",
] as const;
type Peer = typeof PEERS[number];
const CHOSEN: readonly Peer[] = ab
  ? ["raw Deno.Command", "aio, no group"]
  : PEERS;
const RUNNERS: Record<Peer, (w: Workload) => Promise<number | undefined>> = {
  "raw Deno.Command": (w) => raw(w),
  "raw, detached": (w) => raw(w, true),
  "aio runProcess": (w) => aioRun(w),
  "aio, no group": (w) => aioRun(w, false),
  "aio exec+wait": aioExec,
  "CPython asyncio": cpython,
};

console.log(
  `${N} concurrent short commands, time to the last exit; median of ${ROUNDS} interleaved rounds`,
);
for (const workload of ["true", "echo"] as const) {
  const times = new Map<Peer, number[]>(PEERS.map((p) => [p, []]));
  // One warm-up of each, not counted.
  for (const peer of CHOSEN) await RUNNERS[peer](workload);
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < CHOSEN.length; i++) {
      const peer = CHOSEN[(round + i) % CHOSEN.length];
      const ms = await RUNNERS[peer](workload);
      if (ms !== undefined) times.get(peer)!.push(ms);
    }
  }
  const rawMs = median(times.get("raw Deno.Command")!);
  const py = times.get("CPython asyncio")!;
  const pyMs = py.length > 0 ? median(py) : undefined;
  console.log(
    `\n${workload === "true" ? "`true`" : "`echo <1 KiB>` (piped, collected)"}`,
  );
  console.log(
    `  ${"peer".padEnd(18)} ${"median ms".padStart(10)} ${
      "vs raw".padStart(8)
    } ${"vs CPython".padStart(11)}`,
  );
  for (const peer of PEERS) {
    const list = times.get(peer)!;
    if (list.length === 0) continue;
    const ms = median(list);
    console.log(
      `  ${peer.padEnd(18)} ${ms.toFixed(1).padStart(10)} ${
        (ms / rawMs).toFixed(2).padStart(7)
      }x ${
        pyMs === undefined
          ? "".padStart(11)
          : `${(ms / pyMs).toFixed(2).padStart(10)}x`
      }`,
    );
  }
}
