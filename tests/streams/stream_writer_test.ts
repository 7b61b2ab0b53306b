// StreamWriter over loopback: copies, UTF-8, back-pressure through drain(),
// half-close, flushing on close, aborting on cancellation, extra info and
// bad input.

import { assert, assertEquals, assertMatch, assertThrows } from "@std/assert";
import {
  InvalidStateError,
  moveOnAfter,
  openConnection,
  run,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "@seed/aio";
import { deferred } from "../_helpers.ts";

const dec = new TextDecoder();

/** Runs `fn` against a server whose handler is `handler`. */
function withServer(
  handler: (reader: StreamReader, writer: StreamWriter) => unknown,
  fn: (port: number) => Promise<void>,
): Promise<void> {
  return run(async () => {
    await using server = await startServer(handler, {
      port: 0,
      gracePeriodMs: 0,
    });
    await fn(server.addr.port);
  });
}

Deno.test("`StreamWriter.write` sends bytes and UTF-8 text in order", async () => {
  const received = deferred<string>();
  await withServer(async (reader) => {
    received.resolve(dec.decode(await reader.read()));
  }, async (port) => {
    const { writer } = await openConnection({ port });
    writer.write("héllo ");
    writer.write(new Uint8Array([0x77, 0x6f]));
    writer.writelines(["rld", "!"]);
    await writer.drain();
    writer.close();
    await writer.waitClosed();
    assertEquals(await received.promise, "héllo world!");
  });
});

Deno.test("`StreamWriter.write` copies: changing the bytes afterwards changes nothing", async () => {
  await withServer(async (reader, writer) => {
    writer.write(await reader.readexactly(4));
  }, async (port) => {
    const { reader, writer } = await openConnection({ port });
    const data = new TextEncoder().encode("abcd");
    writer.write(data);
    data.fill(0x7a);
    assertEquals(dec.decode(await reader.readexactly(4)), "abcd");
    writer.close();
  });
});

Deno.test("`StreamWriter.drain` holds a writer back while the peer does not read", async () => {
  const highWaterMark = 16 * 1024;
  const blocked = deferred();
  const peak = { buffered: 0, written: 0 };
  await run(async () => {
    await using server = await startServer(async (_reader, writer) => {
      const chunk = new Uint8Array(8 * 1024);
      // Bounded: 64 MiB is far more than the kernel buffers can hold.
      while (peak.written < 64 * 1024 * 1024) {
        writer.write(chunk);
        peak.written += chunk.length;
        peak.buffered = Math.max(peak.buffered, writer.bufferedAmount);
        const drained = writer.drain();
        if (writer.bufferedAmount > highWaterMark) blocked.resolve();
        await drained;
      }
    }, { port: 0, highWaterMark, gracePeriodMs: 0 });
    const { reader, writer } = await openConnection(server.addr);
    await blocked.promise;
    // Without reading, the server's queue never outgrows the mark by more
    // than the one write that crossed it.
    assert(peak.buffered <= highWaterMark + 8 * 1024, `${peak.buffered}`);
    const stalledAt = peak.written;
    // Reading lets the writer go on.
    let read = 0;
    while (read < stalledAt + 1024 * 1024) {
      read += (await reader.read(65536)).length;
    }
    assert(peak.written > stalledAt);
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamWriter.writeEof` half-closes: the peer reads to the end and still answers", async () => {
  await withServer(async (reader, writer) => {
    const all = await reader.read();
    writer.write(`got ${all.length} bytes`);
  }, async (port) => {
    const { reader, writer } = await openConnection({ port });
    assert(writer.canWriteEof());
    writer.write("x".repeat(1000));
    writer.writeEof();
    assertThrows(() => writer.write("more"), InvalidStateError);
    assertEquals(dec.decode(await reader.read()), "got 1000 bytes");
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamWriter.close` sends everything queued before closing", async () => {
  const size = 4 * 1024 * 1024;
  await withServer(async (_reader, writer) => {
    writer.write(new Uint8Array(size).fill(0x61));
    writer.close();
    assert(writer.isClosing());
    await writer.waitClosed();
  }, async (port) => {
    const { reader, writer } = await openConnection({ port });
    const all = await reader.read();
    assertEquals(all.length, size);
    assert(all.every((byte) => byte === 0x61));
    writer.close();
  });
});

Deno.test("`StreamWriter.waitClosed` cancelled after close() aborts the connection", async () => {
  await run(async () => {
    const aborted = deferred();
    await using server = await startServer(async (_reader, writer) => {
      // The client never reads: this close can only finish by aborting.
      writer.write(new Uint8Array(32 * 1024 * 1024));
      writer.close();
      const result = await moveOnAfter(20, () => writer.waitClosed());
      assertEquals(result, undefined);
      assertEquals(writer.bufferedAmount, 0);
      aborted.resolve();
    }, { port: 0 });
    const { reader, writer } = await openConnection(server.addr);
    await aborted.promise;
    // The server side is gone: reading ends (EOF or reset), never hangs.
    await reader.read().catch(() => new Uint8Array(0));
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamWriter.getExtraInfo` gives asyncio's peername and sockname", async () => {
  const seen = deferred<string>();
  await withServer((_reader, writer) => {
    seen.resolve(`${writer.getExtraInfo("peername")}`);
  }, async (port) => {
    const { reader, writer } = await openConnection({ port });
    const [host, local] = writer.getExtraInfo("sockname");
    assertEquals(host, "127.0.0.1");
    assertEquals(await seen.promise, `('127.0.0.1', ${local})`);
    const peer = writer.getExtraInfo("peername");
    const [, remote] = peer;
    assertEquals(remote, port);
    assertEquals(peer.port, port);
    assertEquals(peer.hostname, "127.0.0.1");
    assertEquals([...peer], ["127.0.0.1", port]);
    assertMatch(
      Deno.inspect(writer.getExtraInfo("peername")),
      /^\('127\.0\.0\.1', \d+\)$/,
    );
    assert(writer.getExtraInfo("socket") !== undefined);
    assertEquals(writer.getExtraInfo("compression", "none"), "none");
    await reader.read();
    writer.close();
  });
});

Deno.test("`StreamWriter.drain` throws the socket error after the peer reset", async () => {
  const failure = deferred<unknown>();
  await run(async () => {
    await using server = await startServer(async (reader, writer) => {
      await reader.readexactly(5);
      try {
        while (true) {
          writer.write(new Uint8Array(64 * 1024));
          await writer.drain();
        }
      } catch (error) {
        failure.resolve(error);
      }
    }, { port: 0 });
    const { reader, writer } = await openConnection(server.addr);
    writer.write("hello");
    await reader.readexactly(1);
    // Closing with unread bytes in the receive queue makes the kernel send
    // a reset rather than a FIN.
    writer.close();
    await writer.waitClosed();
    const error = await failure.promise;
    assert(
      error instanceof Deno.errors.ConnectionReset ||
        error instanceof Deno.errors.BrokenPipe,
      String(error),
    );
  });
});

Deno.test("`StreamWriter` bad input and misuse throw clear typed errors", async () => {
  await withServer(async (reader) => {
    await reader.read();
  }, async (port) => {
    const { writer } = await openConnection({ port });
    assertThrows(() => writer.write(42 as unknown as string), TypeError);
    assertThrows(() => writer.write(null as unknown as string), TypeError);
    assertThrows(
      () => writer.writelines([new Uint8Array(1), {} as unknown as string]),
      TypeError,
    );
    writer.close();
    assertThrows(() => writer.write("late"), InvalidStateError);
    await writer.waitClosed();
    // Closing twice is harmless.
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamWriter.drain` is a cancellation point", async () => {
  await run(async () => {
    const outcome = deferred<unknown>();
    await using server = await startServer(async (_reader, writer) => {
      const result = await moveOnAfter(20, async () => {
        while (true) {
          writer.write(new Uint8Array(256 * 1024));
          await writer.drain();
        }
      }).catch((error) => error);
      outcome.resolve(result);
    }, { port: 0 });
    const { writer } = await openConnection(server.addr);
    // The timeout cancelled a drain that could never finish.
    assertEquals(await outcome.promise, undefined);
    writer.close();
    await writer.waitClosed();
  });
});

Deno.test("`StreamWriter` writers that share pooled buffers never mix their bytes", async () => {
  // Idle writers give their output buffer back to a pool that every
  // connection draws from: interleaved writers must still each send
  // exactly their own bytes, whether small, pooled-size or larger.
  const sizes = [1, 63, 4096, 16 * 1024, 16 * 1024 + 1, 100_000];
  await withServer(async (reader, writer) => {
    const line = await reader.readline();
    const id = Number(dec.decode(line));
    for (const size of sizes) {
      writer.write(new Uint8Array(size).fill(id));
      // Yield between writes, so that other connections write meanwhile.
      await writer.drain();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    writer.close();
  }, async (port) => {
    const total = sizes.reduce((a, b) => a + b, 0);
    await Promise.all(Array.from({ length: 12 }, async (_, i) => {
      const id = i + 1;
      const { reader, writer } = await openConnection({ port });
      writer.write(`${id}\n`);
      // read() without n reads to the end of the stream.
      const got = await reader.read();
      assertEquals(got.length, total);
      assert(got.every((byte) => byte === id), `connection ${id}`);
      writer.close();
      await writer.waitClosed();
    }));
  });
});
