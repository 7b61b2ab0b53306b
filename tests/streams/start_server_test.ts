// startServer and openConnection: the asyncio echo exchange, structure
// (handlers are tasks in the server's scope, run and task groups wait for
// the server), graceful close, limits, and bad input.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import {
  CancelledError,
  InvalidStateError,
  openConnection,
  run,
  Server,
  sleep,
  startServer,
  taskGroup,
  timeout,
} from "@seed/aio";
import { pendingTimers } from "../../lib/_core/_timers.ts";
import { deferred } from "../_helpers.ts";

const dec = new TextDecoder();

Deno.test("`startServer` runs the asyncio echo exchange with `openConnection`", async () => {
  const lines: string[] = [];
  await run(async () => {
    const server = await startServer(async (reader, writer) => {
      const data = await reader.read(100);
      const addr = writer.getExtraInfo("peername");
      lines.push(`Received ${dec.decode(data)} from ${addr}`);
      writer.write(data);
      await writer.drain();
      writer.close();
    }, { hostname: "127.0.0.1", port: 0 });
    assertInstanceOf(server, Server);
    assert(server.isServing());
    assert(server.addr.port > 0);
    const { reader, writer } = await openConnection({
      hostname: "127.0.0.1",
      port: server.addr.port,
    });
    writer.write("Hello World!");
    assertEquals(dec.decode(await reader.read(100)), "Hello World!");
    assertEquals((await reader.read(100)).length, 0);
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.closed;
    assert(!server.isServing());
  });
  assertEquals(lines.length, 1);
  assert(/^Received Hello World! from \('127\.0\.0\.1', \d+\)$/.test(lines[0]));
  assertEquals(pendingTimers(), 0);
});

Deno.test("`startServer` reports a failing handler through onError and serves on", async () => {
  const errors: [unknown, string][] = [];
  await run(async () => {
    await using server = await startServer(async (reader, writer) => {
      const line = dec.decode(await reader.readline());
      if (line === "boom\n") throw new Error("handler failed");
      writer.write(line);
    }, {
      port: 0,
      onError: (error, context) => errors.push([error, context.message]),
    });
    const bad = await openConnection(server.addr);
    bad.writer.write("boom\n");
    // The failed handler's connection is closed.
    assertEquals((await bad.reader.read()).length, 0);
    bad.writer.close();
    const good = await openConnection(server.addr);
    good.writer.write("fine\n");
    assertEquals(dec.decode(await good.reader.readline()), "fine\n");
    good.writer.close();
  });
  assertEquals(errors.length, 1);
  assertEquals((errors[0][0] as Error).message, "handler failed");
  assert(
    errors[0][1].startsWith(
      "Exception in connection handler for ('127.0.0.1', ",
    ),
  );
});

Deno.test("`Server.close` stops accepting at once and lets a running handler finish", async () => {
  await run(async () => {
    const inside = deferred();
    const release = deferred();
    let finished = false;
    const server = await startServer(async (_reader, writer) => {
      inside.resolve();
      await release.promise;
      writer.write("bye");
      finished = true;
    }, { port: 0, gracePeriodMs: 5_000 });
    const { reader, writer } = await openConnection(server.addr);
    await inside.promise;
    server.close();
    // Refused, or reset if it reached the listen queue in the instant the
    // listening socket took to go away: never served.
    const refused = await openConnection(server.addr).then(
      () => undefined,
      (error) => error,
    );
    assert(
      refused instanceof Deno.errors.ConnectionRefused ||
        refused instanceof Deno.errors.ConnectionReset,
      String(refused),
    );
    release.resolve();
    await server.closed;
    assert(finished);
    // What the handler wrote before its socket closed arrived.
    assertEquals(dec.decode(await reader.read()), "bye");
    writer.close();
  });
});

Deno.test("`Server.close` cancels handlers that outlast the grace period", async () => {
  let seen: unknown;
  await run(async () => {
    const inside = deferred();
    const server = await startServer(async () => {
      inside.resolve();
      try {
        await sleep(60_000);
      } catch (error) {
        seen = error;
        throw error;
      }
    }, { port: 0, gracePeriodMs: 20 });
    const { writer } = await openConnection(server.addr);
    await inside.promise;
    server.close();
    await server.closed;
    assertEquals(server.activeConnections, 0);
    writer.close();
  });
  assertInstanceOf(seen, CancelledError);
});

Deno.test("`Server.close` loses no byte a handler wrote before it", async () => {
  // Sized to leave well within the grace period plus the final flush even
  // on a loaded machine (8 MiB in 150 ms was not, under load).
  const size = 2 * 1024 * 1024;
  await run(async () => {
    const wrote = deferred();
    const server = await startServer(async (_reader, writer) => {
      writer.write(new Uint8Array(size).fill(0x62));
      wrote.resolve();
      await sleep(60_000);
    }, { port: 0, gracePeriodMs: 200 });
    const { reader, writer } = await openConnection(server.addr);
    await wrote.promise;
    server.close();
    // The client reads slowly at first; the bytes still all arrive.
    await sleep(20);
    const all = await reader.read();
    assertEquals(all.length, size);
    await server.closed;
    writer.close();
  });
});

// A port nothing listens on (it was free a moment ago).
async function startedPort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await Promise.resolve();
  return port;
}

Deno.test("`run`'s end gives a connected handler its grace period, then cancels it", async () => {
  const order: string[] = [];
  await run(async () => {
    const inside = deferred();
    const server = await startServer(async (reader) => {
      inside.resolve();
      try {
        await reader.read();
      } catch (error) {
        order.push(`handler ${(error as Error).name}`);
      }
    }, { port: 0, gracePeriodMs: 10 });
    await openConnection(server.addr);
    await inside.promise;
    order.push("main done");
  });
  order.push("run done");
  assertEquals(order, ["main done", "handler CancelledError", "run done"]);
});

Deno.test("`startServer` in a task group: the group waits for it and its cancel closes it", async () => {
  await run(async () => {
    let server: Server | undefined;
    await taskGroup(async (tg) => {
      server = await startServer(async (reader, writer) => {
        writer.write(await reader.readline());
      }, { port: 0 });
      const { reader, writer } = await openConnection(server.addr);
      writer.write("ping\n");
      assertEquals(dec.decode(await reader.readline()), "ping\n");
      writer.close();
      tg.cancel();
    });
    assert(!server!.isServing());
    await server!.closed;
  });
});

Deno.test("`Server.serveForever` returns after close() and closes the server when cancelled", async () => {
  await run(async () => {
    const server = await startServer(() => {}, { port: 0 });
    const serving = server.serveForever();
    await assertRejects(() => server.serveForever(), InvalidStateError);
    server.close();
    await serving;
    await assertRejects(() => server.serveForever(), InvalidStateError);

    const other = await startServer(() => {}, { port: 0 });
    await assertRejects(
      () => timeout(10, () => other.serveForever()),
      Error,
    );
    assert(!other.isServing());
    await other.waitClosed();
  });
});

Deno.test("`startServer` with maxConnections serves the extra peer once a slot frees", async () => {
  await run(async () => {
    let peak = 0;
    await using server = await startServer(async (reader, writer) => {
      peak = Math.max(peak, server.activeConnections);
      for await (const line of reader) writer.write(line);
    }, { port: 0, maxConnections: 2 });
    const a = await openConnection(server.addr);
    const b = await openConnection(server.addr);
    a.writer.write("a\n");
    b.writer.write("b\n");
    assertEquals(dec.decode(await a.reader.readline()), "a\n");
    assertEquals(dec.decode(await b.reader.readline()), "b\n");
    // The kernel completes the third connection, but nobody serves it yet.
    const c = await openConnection(server.addr);
    c.writer.write("c\n");
    const early = await timeout(50, () => c.reader.readline()).catch(() =>
      "waiting"
    );
    assertEquals(early, "waiting");
    a.writer.close();
    assertEquals(dec.decode(await c.reader.readline()), "c\n");
    assertEquals(peak, 2);
    b.writer.close();
    c.writer.close();
  });
});

Deno.test("`startServer` with idleTimeoutMs closes silent peers and spares busy ones", async () => {
  await run(async () => {
    const reasons: unknown[] = [];
    await using server = await startServer(async (reader, writer) => {
      try {
        for await (const line of reader) writer.write(line);
      } catch (error) {
        reasons.push((error as CancelledError).reason);
        throw error;
      }
    }, { port: 0, idleTimeoutMs: 60 });
    const idle = await openConnection(server.addr);
    const busy = await openConnection(server.addr);
    const closedAt = idle.reader.read().then(() => performance.now());
    const start = performance.now();
    // The busy peer talks every 20 ms for well past the idle timeout.
    for (let i = 0; i < 8; i++) {
      busy.writer.write("tick\n");
      assertEquals(dec.decode(await busy.reader.readline()), "tick\n");
      await sleep(20);
    }
    // Not cut early: idle for most of the timeout (the idle clock started
    // at accept, a little before `start`).
    assert((await closedAt) - start >= 30);
    assertEquals(reasons, ["idle timeout"]);
    idle.writer.close();
    busy.writer.close();
  });
});

Deno.test("`startServer` works outside `run` and closes cleanly", async () => {
  const server = await startServer(async (reader, writer) => {
    writer.write(await reader.read(10));
  }, { port: 0 });
  const { reader, writer } = await openConnection(server.addr);
  writer.write("solo");
  assertEquals(dec.decode(await reader.read()), "solo");
  writer.close();
  await writer.waitClosed();
  server.close();
  await server.closed;
});

Deno.test("`openConnection` connections left open are closed when `run` ends", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  await run(async () => {
    await openConnection({ port: listener.addr.port });
  });
  const conn = await accepted;
  // The client side was closed by run(): the peer reads the end.
  assertEquals(await conn.read(new Uint8Array(8)), null);
  conn.close();
  listener.close();
});

Deno.test("`openConnection` to a closed port rejects; a cancelled attempt leaves nothing open", async () => {
  const port = await startedPort();
  await assertRejects(
    () => openConnection({ port }),
    Deno.errors.ConnectionRefused,
  );
  await run(async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const error = await assertRejects(() =>
      timeout(0, () => openConnection({ port: listener.addr.port }))
    );
    assertEquals((error as Error).name, "TimeoutError");
    listener.close();
  });
});

Deno.test("`startServer` and `openConnection` bad input throws clear typed errors", async () => {
  await assertRejects(
    () => startServer("handler" as unknown as () => void),
    TypeError,
  );
  await assertRejects(() => startServer(() => {}, { port: -1 }), RangeError);
  await assertRejects(() => startServer(() => {}, { port: 1.5 }), RangeError);
  await assertRejects(
    () => startServer(() => {}, { port: "80" as unknown as number }),
    TypeError,
  );
  await assertRejects(
    () => startServer(() => {}, { hostname: 1 as unknown as string }),
    TypeError,
  );
  await assertRejects(
    () => startServer(() => {}, { idleTimeoutMs: 0 }),
    RangeError,
  );
  await assertRejects(
    () => startServer(() => {}, { idleTimeoutMs: NaN }),
    TypeError,
  );
  await assertRejects(
    () => startServer(() => {}, { maxConnections: 0 }),
    RangeError,
  );
  await assertRejects(() => startServer(() => {}, { limit: -5 }), RangeError);
  await assertRejects(
    () => startServer(() => {}, { onError: 5 as unknown as () => void }),
    TypeError,
  );
  await assertRejects(
    () => startServer(() => {}, "fast" as unknown as { port: number }),
    TypeError,
  );
  await assertRejects(
    () => openConnection(undefined as unknown as { port: number }),
    TypeError,
  );
  await assertRejects(() => openConnection({ port: 0 }), RangeError);
  await assertRejects(() => openConnection({ port: 70000 }), RangeError);
  await assertRejects(
    () => openConnection({ port: 80, highWaterMark: 0 }),
    RangeError,
  );
  // Every failure above happened before anything was opened: the resource
  // and op sanitizers of this test would flag a listener or socket.
});
