// Bad input and faults against a running server, each on loopback: binary
// garbage, an overlong line, a peer that resets mid-write, half-close, a
// peer that never reads, idle peers, 1,000 concurrent connections and a
// connect storm. After each, the server still serves a fresh client and
// nothing is left behind (the sanitizers check sockets and ops; the test
// checks connections and timers).

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import {
  LimitOverrunError,
  openConnection,
  run,
  type Server,
  type ServerOptions,
  sleep,
  startServer,
  type StreamReader,
  type StreamWriter,
  taskGroup,
} from "@seed/aio";
import { pendingTimers } from "../../lib/_core/_timers.ts";
import { deferred } from "../_helpers.ts";

const dec = new TextDecoder();

async function echoChunks(reader: StreamReader, writer: StreamWriter) {
  while (true) {
    const data = await reader.read(65536);
    if (data.length === 0) return;
    writer.write(data);
    await writer.drain();
  }
}

async function echoLines(reader: StreamReader, writer: StreamWriter) {
  for await (const line of reader) {
    writer.write(line);
    await writer.drain();
  }
}

/** Checks that `server` still answers a new client, line by line. */
async function stillServes(server: Server): Promise<void> {
  const { reader, writer } = await openConnection(server.addr);
  writer.write("still here\n");
  assertEquals(dec.decode(await reader.readline()), "still here\n");
  writer.close();
  await writer.waitClosed();
}

/** Runs `fn` with a server, then closes it and checks nothing is left. */
async function withServer(
  handler: (reader: StreamReader, writer: StreamWriter) => Promise<void>,
  options: ServerOptions,
  fn: (server: Server) => Promise<void>,
): Promise<void> {
  await run(async () => {
    const server = await startServer(handler, { port: 0, ...options });
    await fn(server);
    await stillServes(server);
    server.close();
    await server.closed;
    assertEquals(server.activeConnections, 0);
  });
  assertEquals(pendingTimers(), 0);
}

Deno.test("echo server: binary garbage comes back byte for byte", async () => {
  const bytes = new Uint8Array(1024 * 1024);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = (i * 7919 + (i >> 9)) & 0xff;
  }
  await withServer(echoChunks, {}, async (server) => {
    const { reader, writer } = await openConnection(server.addr);
    writer.write(bytes);
    writer.writeEof();
    const back = await reader.read();
    assertEquals(back.length, bytes.length);
    assert(back.every((byte, i) => byte === bytes[i]));
    writer.close();
  });
});

Deno.test("line echo: lines of invalid UTF-8, NULs and CRs come back intact", async () => {
  const lines = [
    new Uint8Array([0xff, 0xfe, 0x00, 0x0d, 0x0a]),
    new Uint8Array([0xc3, 0x28, 0x0a]),
    new Uint8Array([0x00, 0x00, 0x0a]),
  ];
  await withServer(echoLines, {}, async (server) => {
    const { reader, writer } = await openConnection(server.addr);
    for (const line of lines) writer.write(line);
    for (const line of lines) assertEquals(await reader.readline(), line);
    writer.close();
  });
});

Deno.test("line echo: a line over the limit fails only its own connection", async () => {
  const errors: unknown[] = [];
  await withServer(echoLines, {
    limit: 1024,
    onError: (error) => errors.push(error),
  }, async (server) => {
    const good = await openConnection(server.addr);
    const bad = await openConnection(server.addr);
    // 1 MiB with no newline: the server stops buffering at its limit.
    bad.writer.write(new Uint8Array(1024 * 1024).fill(0x78));
    const ended = await bad.reader.read().catch(() => new Uint8Array(0));
    assertEquals(ended.length, 0);
    good.writer.write("ok\n");
    assertEquals(dec.decode(await good.reader.readline()), "ok\n");
    bad.writer.close();
    good.writer.close();
  });
  assertEquals(errors.length, 1);
  assertInstanceOf(errors[0], LimitOverrunError);
});

Deno.test("echo server: a client that resets mid-write is reported and forgotten", async () => {
  const errors: unknown[] = [];
  const writing = deferred();
  await withServer(
    async (reader, writer) => {
      const first = await reader.readline();
      if (dec.decode(first) !== "flood\n") {
        writer.write(first);
        return await echoLines(reader, writer);
      }
      while (true) {
        writer.write(new Uint8Array(64 * 1024));
        writing.resolve();
        await writer.drain();
      }
    },
    { onError: (error) => errors.push(error) },
    async (server) => {
      const { reader, writer } = await openConnection(server.addr);
      writer.write("flood\n");
      await writing.promise;
      await reader.readexactly(1000);
      // Unread bytes in the receive queue: close sends a reset.
      writer.close();
      await writer.waitClosed();
      while (server.activeConnections > 0) await sleep(1);
    },
  );
  assertEquals(errors.length, 1);
  assert(
    errors[0] instanceof Deno.errors.ConnectionReset ||
      errors[0] instanceof Deno.errors.BrokenPipe,
    String(errors[0]),
  );
});

Deno.test("line echo: a half-closed client gets every answer, then the end", async () => {
  await withServer(echoLines, {}, async (server) => {
    const { reader, writer } = await openConnection(server.addr);
    for (let i = 0; i < 100; i++) writer.write(`line ${i}\n`);
    writer.writeEof();
    const back = dec.decode(await reader.read());
    assertEquals(back.split("\n").length, 101);
    assert(back.startsWith("line 0\nline 1\n"));
    assert(reader.atEof());
    writer.close();
  });
});

Deno.test("echo server: clients that never read cannot make it buffer without bound", async () => {
  const highWaterMark = 32 * 1024;
  const writers: StreamWriter[] = [];
  const readers: StreamReader[] = [];
  let received = 0;
  await withServer(async (reader, writer) => {
    writers.push(writer);
    readers.push(reader);
    while (true) {
      const data = await reader.read(65536);
      if (data.length === 0) return;
      received += data.length;
      writer.write(data);
      await writer.drain();
    }
  }, {
    highWaterMark,
    gracePeriodMs: 0,
    // The clients are cut off at the end; their resets are expected.
    onError: () => {},
  }, async (server) => {
    const clients = 10;
    await taskGroup(async (tg) => {
      const conns = await Promise.all(
        Array.from({ length: clients }, () => openConnection(server.addr)),
      );
      for (const { writer } of conns) {
        // Each client pushes up to 64 MiB and never reads a byte.
        tg.createTask(async () => {
          const chunk = new Uint8Array(64 * 1024);
          for (let sent = 0; sent < 64 * 1024 * 1024; sent += chunk.length) {
            writer.write(chunk);
            await writer.drain();
          }
        });
      }
      // Wait until the server has taken in data, then stopped: the same
      // count three times in a row, 25 ms apart (bounded: 10 s).
      let last = -1;
      let steady = 0;
      for (let i = 0; i < 400 && steady < 3; i++) {
        await sleep(25);
        steady = received > 0 && received === last ? steady + 1 : 0;
        last = received;
      }
      assertEquals(steady, 3, "the server kept reading");
      assertEquals(writers.length, clients);
      for (const writer of writers) {
        assert(writer.bufferedAmount <= highWaterMark + 65536);
      }
      for (const reader of readers) assert(reader.bufferedAmount <= 65536);
      // Kernel buffers, not the server, hold the rest: far below 64 MiB each.
      assert(received < clients * 16 * 1024 * 1024, `${received}`);
      tg.cancel();
      for (const { writer } of conns) writer.close();
    });
  });
});

Deno.test("echo server: 1,000 concurrent connections are all served", async () => {
  const n = 1000;
  let peak = 0;
  await withServer(
    async (reader, writer) => {
      await echoLines(reader, writer);
    },
    {},
    async (server) => {
      const conns = await Promise.all(
        Array.from({ length: n }, () => openConnection(server.addr)),
      );
      await Promise.all(conns.map(async ({ reader, writer }, i) => {
        writer.write(`hello ${i}\n`);
        assertEquals(dec.decode(await reader.readline()), `hello ${i}\n`);
      }));
      peak = server.activeConnections;
      await Promise.all(conns.map(async ({ writer }) => {
        writer.close();
        await writer.waitClosed();
      }));
      while (server.activeConnections > 0) await sleep(1);
    },
  );
  assertEquals(peak, n);
});

Deno.test("echo server: a connect storm of 3,000 short connections", async () => {
  let served = 0;
  await withServer(
    async (reader, writer) => {
      writer.write(await reader.readline());
      served++;
    },
    { backlog: 1024 },
    async (server) => {
      // Waves of 500 connects in flight at once, each a full exchange.
      for (let wave = 0; wave < 6; wave++) {
        await Promise.all(Array.from({ length: 500 }, async () => {
          const { reader, writer } = await openConnection(server.addr);
          writer.write("hi\n");
          assertEquals(dec.decode(await reader.readline()), "hi\n");
          writer.close();
          await writer.waitClosed();
        }));
      }
      while (server.activeConnections > 0) await sleep(1);
    },
  );
  assertEquals(served, 3001);
});

Deno.test("echo server: idle peers past idleTimeoutMs are dropped, busy ones kept", async () => {
  await withServer(echoLines, { idleTimeoutMs: 50 }, async (server) => {
    const idle = await Promise.all(
      Array.from({ length: 50 }, () => openConnection(server.addr)),
    );
    const busy = await openConnection(server.addr);
    const allDropped = Promise.all(idle.map(({ reader }) => reader.read()));
    for (let i = 0; i < 10; i++) {
      busy.writer.write("ping\n");
      assertEquals(dec.decode(await busy.reader.readline()), "ping\n");
      await sleep(15);
    }
    for (const end of await allDropped) assertEquals(end.length, 0);
    assertEquals(server.activeConnections, 1);
    for (const { writer } of idle) writer.close();
    busy.writer.close();
    await busy.writer.waitClosed();
  });
});
