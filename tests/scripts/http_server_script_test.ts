// scripts/http_server.ts as a user runs it: a real child process serving on
// a free loopback port, real fetches, a client that goes away, SIGINT.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { denoFlags } from "../_helpers.ts";

const SCRIPT = new URL("../../scripts/http_server.ts", import.meta.url)
  .pathname;

interface Server {
  child: Deno.ChildProcess;
  port: number;
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp): Promise<string>;
  lines: string[];
  stderr: Promise<string>;
}

function start(args: string[]): Promise<Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net=127.0.0.1",
      "--allow-read",
      ...denoFlags(),
      SCRIPT,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const stderr = new Response(child.stderr).text();
  void (async () => {
    let pending = "";
    for await (
      const chunk of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      pending += chunk;
      let end;
      while ((end = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        lines.push(line);
        for (const waiter of [...waiters]) {
          if (waiter.pattern.test(line)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(line);
          }
        }
      }
    }
  })();
  const line = (pattern: RegExp): Promise<string> => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no line like ${pattern}: ${lines.join("\n")}`)),
        20_000,
      );
      waiters.push({
        pattern,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  };
  return line(/^Serving HTTP on /).then((ready) => {
    const match = /^Serving HTTP on 127\.0\.0\.1:(\d+)$/.exec(ready);
    assert(match !== null, ready);
    return { child, port: Number(match[1]), line, lines, stderr };
  });
}

Deno.test("http_server serves, cancels a handler whose client left, and exits 130 on SIGINT", async () => {
  const server = await start(["--port", "0"]);
  const base = `http://127.0.0.1:${server.port}`;
  try {
    let response = await fetch(`${base}/`);
    assertEquals(await response.text(), "hello from request\n");
    response = await fetch(`${base}/sleep?ms=50`);
    assertEquals(await response.text(), "slept 50 ms\n");
    response = await fetch(`${base}/fib?n=20`);
    assertEquals(await response.text(), "fib(20) = 6765\n");
    response = await fetch(`${base}/nowhere`);
    assertEquals(response.status, 404);
    await response.body?.cancel();

    // A client that goes away: its handler is cancelled.
    const gone = await fetch(`${base}/slow`, {
      signal: AbortSignal.timeout(200),
    }).catch((error) => error);
    assert(gone instanceof Error);
    await server.line(/^GET \/slow cancelled \(client went away\)/);

    // SIGINT while a handler runs: it gets the grace period, then is
    // cancelled, and the script exits cleanly with 130.
    const pending = fetch(`${base}/slow`).then(
      async (r) => [r.status, await r.text()] as const,
      (error) => error,
    );
    for (let i = 0; i < 2_000; i++) {
      if (server.lines.filter((l) => l.startsWith("/slow:")).length >= 2) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const began = performance.now();
    server.child.kill("SIGINT");
    const status = await server.child.status;
    const ms = performance.now() - began;
    const stderr = await server.stderr;
    const context = `stdout:\n${server.lines.join("\n")}\nstderr:\n${stderr}`;
    assertEquals(status.code, 130, context);
    assert(ms < 8_000, `took ${ms} ms to stop`);
    assertEquals(await pending, [503, "Service Unavailable"], context);
    await server.line(/^GET \/slow cancelled \(server shutting down\)/);
    assertEquals(stderr, "");
  } finally {
    try {
      server.child.kill("SIGKILL");
    } catch { /* exited */ }
    await server.child.status;
  }
});

Deno.test("http_server --demo sends itself requests and exits 0", async () => {
  const server = await start(["--demo"]);
  const status = await server.child.status;
  assertEquals(status.code, 0);
  await server.stderr;
  const out = server.lines.join("\n");
  assertMatch(out, /client: \/ -> hello from request/);
  assertMatch(out, /client: \/sleep\?ms=200 -> slept 200 ms/);
  assertMatch(out, /client: \/fib\?n=25 -> fib\(25\) = 75025/);
  assertMatch(out, /GET \/slow cancelled \(client went away\)/);
});

Deno.test("http_server --help describes it and exits 0", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...denoFlags(), SCRIPT, "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  assertEquals(code, 0);
  const text = new TextDecoder().decode(stdout);
  assertMatch(text, /Serving HTTP on HOST:PORT/);
  assertMatch(text, /--port PORT/);
});
