/**
 * The `RedisExecutor` worker as a command: serves a queue until SIGINT or
 * SIGTERM, running each job in a local isolate or subprocess.
 *
 * ```sh
 * deno run --allow-env --allow-net=redis.internal:6379 --allow-read=/srv/jobs \
 *   jsr:@seed/aio/redis/worker --redis redis://redis.internal:6379 \
 *   --queue jobs --root /srv/jobs --concurrency 4 --isolate worker
 * ```
 *
 * Prints one fixed line when it takes jobs (`aio redis worker ready: ...`)
 * and exits with code 0 after a signal, once its jobs are stopped and its
 * connections, isolates and processes are closed. `--help` lists the flags.
 *
 * @module
 */

import { run } from "../run.ts";
import { serveRedisWorker } from "./serve_redis_worker.ts";
import { isCancelled } from "../errors.ts";

/** The usage text of the command. */
export const USAGE: string =
  `Usage: deno run --allow-env --allow-net=<redis host> --allow-read=<root> \\
    worker.ts --redis URL --queue NAME --root DIR [options]

Serves a RedisExecutor queue: takes jobs from Redis, runs each in a local
isolate (or subprocess), replies to its caller. Stops on SIGINT or SIGTERM.

  --redis URL            redis:// or rediss:// (default redis://127.0.0.1:6379)
  --queue NAME           the queue (default aio)
  --root DIR             module root: only modules under it are run (required)
  --concurrency N        jobs at once (default: CPU count)
  --isolate KIND         worker (Web Worker isolates, default) or subprocess
                         (deno processes, killed on cancel; needs --allow-run)
  --allow-source         accept function source text (submit/runInExecutor);
                         it runs with this worker's permissions
  --lock-ms N            BullMQ lock duration (default 30000): a job whose
                         worker died runs again after about this long
  --max-stalled-count N  reruns allowed after a worker died (default 1; 0: at most once)
  --heartbeat-ms N       how often callers' heartbeats are checked (default 1000)
  --deno-arg ARG         a flag for the subprocesses (repeatable)
  --help                 this text
`;

/** The parsed command line. */
export interface WorkerArgs {
  /** Redis URL. */
  redis: string;
  /** Queue name. */
  queue: string;
  /** Module root. */
  root: string;
  /** Jobs at once. */
  concurrency: number | undefined;
  /** Isolate kind. */
  isolate: "worker" | "subprocess";
  /** Accept source text. */
  allowSource: boolean;
  /** Lock duration. */
  lockMs: number | undefined;
  /** Reruns after a stall. */
  maxStalledCount: number | undefined;
  /** Heartbeat check interval. */
  heartbeatMs: number | undefined;
  /** Flags for subprocesses. */
  denoArgs: string[];
  /** --help was given. */
  help: boolean;
}

/**
 * Parses the command line.
 * @param argv The arguments after the script.
 * @returns The options.
 * @throws {TypeError} On an unknown flag or a bad value.
 *
 * @example
 * ```ts
 * import { parseWorkerArgs } from "@seed/aio/redis/worker";
 * const args = parseWorkerArgs(["--root", "/srv/jobs", "--concurrency", "4"]);
 * console.log(args.concurrency, args.isolate); // 4 "worker"
 * ```
 */
export function parseWorkerArgs(argv: readonly string[]): WorkerArgs {
  const args: WorkerArgs = {
    redis: "redis://127.0.0.1:6379",
    queue: "aio",
    root: "",
    concurrency: undefined,
    isolate: "worker",
    allowSource: false,
    lockMs: undefined,
    maxStalledCount: undefined,
    heartbeatMs: undefined,
    denoArgs: [],
    help: false,
  };
  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || value === "" || !Number.isFinite(n) || n < 0) {
      throw new TypeError(`${flag} needs a number, got ${value}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let value: string | undefined;
    const eq = flag.indexOf("=");
    if (flag.startsWith("--") && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const take = (): string => {
      if (value !== undefined) return value;
      const next = argv[++i];
      if (next === undefined) throw new TypeError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case "--help":
      case "-h":
        args.help = true;
        break;
      case "--redis":
        args.redis = take();
        break;
      case "--queue":
        args.queue = take();
        break;
      case "--root":
        args.root = take();
        break;
      case "--concurrency":
        args.concurrency = number(flag, take());
        break;
      case "--isolate": {
        const kind = take();
        if (kind !== "worker" && kind !== "subprocess") {
          throw new TypeError(
            `--isolate must be worker or subprocess, got ${kind}`,
          );
        }
        args.isolate = kind;
        break;
      }
      case "--allow-source":
        args.allowSource = true;
        break;
      case "--lock-ms":
        args.lockMs = number(flag, take());
        break;
      case "--max-stalled-count":
        args.maxStalledCount = number(flag, take());
        break;
      case "--heartbeat-ms":
        args.heartbeatMs = number(flag, take());
        break;
      case "--deno-arg":
        args.denoArgs.push(take());
        break;
      default:
        throw new TypeError(`Unknown flag ${flag}; see --help`);
    }
  }
  if (!args.help && args.root === "") {
    throw new TypeError("--root DIR is required; see --help");
  }
  return args;
}

/**
 * Runs the command: serves until SIGINT or SIGTERM.
 * @param argv The arguments after the script.
 * @returns The exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let args: WorkerArgs;
  try {
    args = parseWorkerArgs(argv);
  } catch (error) {
    console.error(`worker: ${(error as Error).message}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const controller = new AbortController();
  const onSignal = (): void => controller.abort("signal");
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    await run(() =>
      serveRedisWorker({
        url: args.redis,
        queue: args.queue,
        root: args.root,
        concurrency: args.concurrency,
        isolate: args.isolate,
        allowSource: args.allowSource,
        lockMs: args.lockMs,
        maxStalledCount: args.maxStalledCount,
        heartbeatMs: args.heartbeatMs,
        denoArgs: args.denoArgs,
        onReady: (info) =>
          console.log(
            `aio redis worker ready: queue=${info.queue} redis=${info.url} concurrency=${info.concurrency} isolate=${args.isolate}`,
          ),
      }), { signal: controller.signal });
    return 0;
  } catch (error) {
    if (controller.signal.aborted && isCancelled(error)) return 0;
    console.error("worker:", error);
    return 1;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
