// scripts/echo_server.ts and scripts/echo_client.ts run as a reader would
// run them: the server on a free port (--port 0, the ready line tells which),
// the client against it, then SIGINT for a clean exit. The continuous modes
// are driven from here.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { fileURLToPath } from "node:url";
import { openConnection } from "@seed/aio";
import { denoFlags } from "./_helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const dec = new TextDecoder();

interface Spawned {
  child: Deno.ChildProcess;
  port: number;
  /** Every stdout line so far (the ready line first). */
  lines: string[];
  /** Resolves with the next stdout line. */
  nextLine(): Promise<string>;
  stderr: Promise<string>;
}

async function spawnServer(args: string[] = []): Promise<Spawned> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...denoFlags(),
      "--allow-net=127.0.0.1",
      "scripts/echo_server.ts",
      "--port",
      "0",
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const lines: string[] = [];
  let pending = "";
  const nextLine = async (): Promise<string> => {
    while (!pending.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`server exited; stderr: ${await stderr}`);
      pending += value;
    }
    const at = pending.indexOf("\n");
    const line = pending.slice(0, at);
    pending = pending.slice(at + 1);
    lines.push(line);
    return line;
  };
  const ready = await nextLine();
  const match = ready.match(/^Serving on 127\.0\.0\.1:(\d+)$/);
  assert(match, `unexpected ready line: ${ready}`);
  // Drain the rest of stdout when the child ends.
  child.status.then(() => reader.cancel().catch(() => {}));
  return { child, port: Number(match[1]), lines, nextLine, stderr };
}

async function stop(server: Spawned): Promise<Deno.CommandStatus> {
  server.child.kill("SIGINT");
  const status = await server.child.status;
  await server.stderr;
  return status;
}

Deno.test("echo_server.ts and echo_client.ts: the asyncio exchange, then a clean SIGINT", async () => {
  const server = await spawnServer();
  try {
    const client = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...denoFlags(),
        "--allow-net=127.0.0.1",
        "scripts/echo_client.ts",
        "--port",
        String(server.port),
      ],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    assertEquals(dec.decode(client.stderr), "");
    assertEquals(
      dec.decode(client.stdout).trim().split("\n"),
      ["Send: Hello World!", "Received: Hello World!", "Close the connection"],
    );
    assertEquals(client.code, 0);
    assertMatch(
      await server.nextLine(),
      /^Received Hello World! from \('127\.0\.0\.1', \d+\)$/,
    );
  } finally {
    const status = await stop(server);
    // runMain: cancelled by SIGINT, the server closed and exited with 130.
    assertEquals(status.code, 130);
  }
});

Deno.test("echo_server.ts --mode chunk echoes continuously; --mode line line by line", async () => {
  for (const mode of ["chunk", "line"]) {
    const server = await spawnServer(["--mode", mode]);
    try {
      const { reader, writer } = await openConnection({ port: server.port });
      for (let i = 0; i < 50; i++) {
        writer.write(`message ${i}\n`);
        assertEquals(dec.decode(await reader.readline()), `message ${i}\n`);
      }
      // Under the 64 KiB line limit, so line mode takes it too.
      const big = new Uint8Array(60 * 1024).fill(0x41);
      writer.write(big);
      writer.write("\n");
      assertEquals(
        (await reader.readexactly(big.length + 1)).length,
        big.length + 1,
      );
      writer.close();
      await writer.waitClosed();
    } finally {
      assertEquals((await stop(server)).code, 130);
    }
  }
});

Deno.test("echo_server.ts on SIGINT closes a busy connection after sending what it wrote", async () => {
  const server = await spawnServer(["--mode", "chunk"]);
  const { reader, writer } = await openConnection({ port: server.port });
  writer.write("before the signal");
  assertEquals(dec.decode(await reader.read(100)), "before the signal");
  // The handler waits in read(): SIGINT closes the server, the grace period
  // passes, the handler is cancelled and the socket closed.
  const status = await stop(server);
  assertEquals(status.code, 130);
  assertEquals((await reader.read()).length, 0);
  writer.close();
  await writer.waitClosed();
});

Deno.test("echo_server.ts rejects a bad --mode with a clear error", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...denoFlags(),
      "--allow-net=127.0.0.1",
      "scripts/echo_server.ts",
      "--port",
      "0",
      "--mode",
      "telnet",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  assertEquals(output.code, 1);
  assertMatch(dec.decode(output.stderr), /--mode must be once, chunk or line/);
});
