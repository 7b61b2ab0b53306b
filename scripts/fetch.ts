/**
 * HTTP with Deno's `fetch` inside a task: the task's `AbortSignal` goes with
 * each request, so cancelling the task (or its timeout) aborts the request.
 * By default the script serves a small page itself on loopback with
 * `Deno.serve` (it prints "Serving on http://127.0.0.1:PORT/") and fetches
 * it twice, once per asyncio example; `--url` fetches another address
 * instead, and `--timeout` (ms, default 10000) bounds each request.
 *
 * Mirrors the aiohttp examples of the asyncio documents:
 * `fetch(session, url)` inside `async with aiohttp.ClientSession() as
 * session`, and `fetch_page(url)`, which opens its own session; each prints
 * the page. A `Deno.HttpClient` (a pool of connections, disposed with
 * `using`) plays the part of the `ClientSession`.
 *
 * Run: deno run --allow-net=127.0.0.1 scripts/fetch.ts [--url URL] [--timeout 10000]
 * (`--url` elsewhere needs --allow-net for that host.)
 *
 * @module
 */

import { currentSignal, runMain, timeout } from "@seed/aio";
import { scriptArgs, type ScriptInfo } from "./_speed.ts";

const PAGE = "<!doctype html><title>aio</title><h1>Hello from Deno.serve</h1>";

interface Options {
  url: string | undefined;
  timeoutMs: number;
}

let options: Options = { url: undefined, timeoutMs: 10_000 };

/** aiohttp's `fetch(session, url)`: one GET on a shared client. */
async function fetchText(
  session: Deno.HttpClient,
  url: string,
): Promise<string> {
  return await timeout(options.timeoutMs, async ({ signal }) => {
    // The timeout's signal is the task's, tightened by the deadline.
    const response = await fetch(url, { client: session, signal });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`GET ${url}: HTTP ${response.status}`);
    }
    return await response.text();
  });
}

/** `fetch_page(url)`: a session of its own for one page. */
async function fetchPage(url: string): Promise<string> {
  using session = Deno.createHttpClient({});
  return await fetchText(session, url);
}

/** Serves {@linkcode PAGE} on a free loopback port. */
function serveLocally(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: currentSignal(), // Cancelling main stops the server.
    onListen: ({ hostname, port }) => {
      console.log(`Serving on http://${hostname}:${port}/`);
    },
  }, () => new Response(PAGE, { headers: { "content-type": "text/html" } }));
}

async function main(): Promise<void> {
  const server = options.url === undefined ? serveLocally() : undefined;
  try {
    const url = options.url ?? `http://127.0.0.1:${server!.addr.port}/`;

    // async with aiohttp.ClientSession() as session: html = await fetch(session, url)
    {
      using session = Deno.createHttpClient({});
      const html = await fetchText(session, url);
      console.log(html);
    }

    // page = await fetch_page(url)
    const page = await fetchPage(url);
    console.log(page);
  } finally {
    await server?.shutdown();
  }
}

/** What `--help` says. */
export const INFO: ScriptInfo = {
  script: "scripts/fetch.ts",
  shows:
    `HTTP with Deno's fetch inside a task: the task's AbortSignal goes with each
request, so cancelling the task (or its timeout) aborts the request. Serves a
small page itself on loopback ("Serving on http://127.0.0.1:PORT/") and
fetches it twice, printing the page each time.
Mirrors the aiohttp examples: fetch(session, url) and fetch_page(url).`,
  permissions: ["--allow-net=127.0.0.1"],
  flags: {
    "--url URL":
      "fetch this address instead of serving (needs --allow-net for its host)",
    "--timeout MS": "bound on each request, in ms (default 10000)",
  },
  sleeps: false,
};

/**
 * Runs the example with command-line flags (`--url`, `--timeout`).
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function cli(args: string[]): Promise<number> {
  const parsed = scriptArgs(args, INFO);
  if (typeof parsed === "number") return Deno.exitCode = parsed;
  try {
    options = optionsFrom(parsed.values);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    return Deno.exitCode = 2;
  }
  return await runMain(main);
}

function optionsFrom(flags: Record<string, string | undefined>): Options {
  const timeoutMs = Number(flags.timeout ?? 10_000);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(
      `--timeout must be a positive number of ms, got "${flags.timeout}"`,
    );
  }
  if (flags.url !== undefined) {
    const url = new URL(flags.url); // Throws a TypeError on a bad URL.
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`--url must be http or https, got "${flags.url}"`);
    }
  }
  return { url: flags.url, timeoutMs };
}

if (import.meta.main) await cli(Deno.args);
