/**
 * A small structured HTTP service on aio's `serve`: every request is a task
 * in the server's scope. Its handlers sleep (`/sleep?ms=200`), hand CPU work
 * to a worker with `toThread` (`/fib?n=30`), and are cancelled when their
 * client goes away (`/slow` sleeps 10 s: close the client early and the log
 * says the handler was cancelled). Ctrl-C (SIGINT) stops accepting, gives
 * running handlers a second, cancels the rest, and exits with 130.
 *
 * Mirrors aiohttp's `web.run_app(app)` with handlers that `await
 * asyncio.sleep()` and `await asyncio.to_thread()`, structured: no handler
 * outlives the server.
 *
 * Run: deno run --allow-net=127.0.0.1 --allow-read scripts/http_server.ts [--port 8000]
 * Then: curl 'http://127.0.0.1:8000/sleep?ms=200'; curl -m 0.5 http://127.0.0.1:8000/slow
 * It prints `Serving HTTP on 127.0.0.1:PORT` once ready (`--port 0` picks a
 * free port). `--demo` serves on a free port, sends itself a few requests
 * (one abandoned by its client), and exits.
 *
 * @module
 */

import {
  CancelledError,
  currentTask,
  type HttpServer,
  runMain,
  serve,
  sleep,
  toThread,
} from "@seed/aio";
import { scaled, scriptArgs, type ScriptInfo } from "./_speed.ts";

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/http_server.ts",
  shows: `A small structured HTTP service on aio's serve(): every request is a
task in the server's scope. GET / says hello from its task; /sleep?ms=N
sleeps; /fib?n=N computes in a worker (toThread); /slow sleeps 10 s and is
cancelled if its client goes away. Prints "Serving HTTP on HOST:PORT" once
ready; Ctrl-C (SIGINT) shuts it down gracefully, exit code 130.
Mirrors aiohttp's web.run_app(app) with asyncio.sleep and asyncio.to_thread.`,
  permissions: ["--allow-net=127.0.0.1", "--allow-read"],
  flags: {
    "--host HOST": "address to listen on (default 127.0.0.1)",
    "--port PORT": "port (default 8000; 0 picks a free one and prints it)",
    "--demo": "serve on a free port, send itself a few requests, exit",
  },
};

/** Fibonacci, the slow way: CPU work that belongs off the event loop. */
function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

function log(line: string): void {
  console.log(line);
}

/** The service: one handler, a few routes. */
async function handle(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const began = performance.now();
  const name = currentTask()?.name;
  let response: Response;
  try {
    response = await route(url);
  } catch (error) {
    if (error instanceof CancelledError) {
      log(
        `${request.method} ${url.pathname}${url.search} cancelled (${error.reason}) in task ${name}`,
      );
    }
    throw error;
  }
  const ms = Math.round(performance.now() - began);
  log(
    `${request.method} ${url.pathname}${url.search} -> ${response.status} (${ms} ms)`,
  );
  return response;
}

async function route(url: URL): Promise<Response> {
  switch (url.pathname) {
    case "/":
      return new Response(`hello from ${currentTask()?.name}\n`);
    case "/sleep": {
      const ms = Number(url.searchParams.get("ms") ?? 100);
      if (!Number.isFinite(ms) || ms < 0 || ms > 60_000) {
        return new Response("ms must be from 0 to 60000\n", { status: 400 });
      }
      await sleep(scaled(ms));
      return new Response(`slept ${ms} ms\n`);
    }
    case "/fib": {
      const n = Number(url.searchParams.get("n") ?? 25);
      if (!Number.isInteger(n) || n < 0 || n > 40) {
        return new Response("n must be an integer from 0 to 40\n", {
          status: 400,
        });
      }
      // fib travels to the worker as source text: it must be self-contained.
      const value = await toThread(fib, n);
      return new Response(`fib(${n}) = ${value}\n`);
    }
    case "/slow":
      log("/slow: sleeping 10 s (a client that leaves cancels it)");
      await sleep(10_000);
      return new Response("finally\n");
    default:
      return new Response("not found\n", { status: 404 });
  }
}

/** Sends the server a few requests, one of them abandoned by its client. */
async function demo(server: HttpServer): Promise<void> {
  const base = `http://127.0.0.1:${server.addr.port}`;
  for (const path of ["/", "/sleep?ms=200", "/fib?n=25"]) {
    const response = await fetch(base + path);
    log(`client: ${path} -> ${(await response.text()).trim()}`);
  }
  // A client that gives up after 100 ms: the server cancels its handler.
  try {
    const response = await fetch(base + "/slow", {
      signal: AbortSignal.timeout(100),
    });
    await response.body?.cancel();
  } catch {
    log("client: /slow gave up after 100 ms");
  }
  // Let the cancelled handler log its line before shutting down.
  while (server.activeRequests > 0) await sleep(10);
  await server.shutdown();
}

async function main(
  values: Record<string, string | undefined>,
  isDemo: boolean,
): Promise<void> {
  const hostname = values.host ?? "127.0.0.1";
  const text = isDemo ? "0" : values.port ?? "8000";
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`--port must be from 0 to 65535, got ${text}`);
  }
  const server = serve(handle, { hostname, port, gracePeriodMs: 1000 });
  log(`Serving HTTP on ${server.addr.hostname}:${server.addr.port}`);
  if (isDemo) await demo(server);
  await server.finished;
}

/**
 * Runs the service with command-line flags (`--host`, `--port`, `--demo`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  return await runMain(() =>
    main(parsed.values, parsed.switches.demo === true)
  );
}

if (import.meta.main) await cli(Deno.args);
