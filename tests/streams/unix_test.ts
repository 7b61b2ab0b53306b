// Unix domain sockets: `startUnixServer` and `openUnixConnection`, and the
// rule for a socket file already at the path (replaced only when stale).

import { assert, assertEquals, assertRejects } from "@std/assert";
import { openUnixConnection, run, startUnixServer } from "@seed/aio";

const dec = new TextDecoder();

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_unix_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("`startUnixServer` and `openUnixConnection`: a line round trip, then the socket file is removed", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/echo.sock`;
    await run(async () => {
      const server = await startUnixServer(async (reader, writer) => {
        for await (const line of reader) writer.write(line);
        writer.write("bye\n");
      }, { path });
      assertEquals(server.addr.transport, "unix");
      assertEquals(server.addr.path, path);
      assert(Deno.lstatSync(path).isSocket);
      const { reader, writer } = await openUnixConnection({ path });
      writer.write("one\ntwo\n");
      assertEquals(dec.decode(await reader.readline()), "one\n");
      assertEquals(dec.decode(await reader.readline()), "two\n");
      writer.writeEof();
      assertEquals(dec.decode(await reader.readline()), "bye\n");
      assertEquals((await reader.read()).length, 0);
      writer.close();
      await writer.waitClosed();
      server.close();
      await server.closed;
    });
    assert(!exists(path), "the socket file is gone after close");
  });
});

Deno.test("`startUnixServer` replaces a stale socket file, refuses a live one and any other file", async () => {
  await withDir(async (dir) => {
    // A stale socket: a process listened there and exited without cleaning
    // up (Deno removes the file when a listener is closed, not at exit).
    const stale = `${dir}/stale.sock`;
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ transport: "unix", path: ${
          JSON.stringify(stale)
        } }); Deno.exit(0);`,
      ],
      stdout: "null",
      stderr: "inherit",
    }).output();
    assertEquals(code, 0);
    assert(Deno.lstatSync(stale).isSocket);
    // A plain file where a socket would go.
    const plain = `${dir}/plain.txt`;
    await Deno.writeTextFile(plain, "keep me");

    await run(async () => {
      await using server = await startUnixServer((_reader, writer) => {
        writer.write("fresh\n");
      }, { path: stale });
      await using conn = await openUnixConnection({ path: stale });
      assertEquals(dec.decode(await conn.reader.readline()), "fresh\n");

      // Live: something accepts there. Refused, and it keeps serving.
      await assertRejects(
        () => startUnixServer(() => {}, { path: stale }),
        Deno.errors.AddrInUse,
        "listening",
      );
      await using again = await openUnixConnection({ path: stale });
      assertEquals(dec.decode(await again.reader.readline()), "fresh\n");
      assert(server.isServing());

      await assertRejects(
        () => startUnixServer(() => {}, { path: plain }),
        Deno.errors.AddrInUse,
        "not a socket",
      );
    });
    assertEquals(await Deno.readTextFile(plain), "keep me");
  });
});

Deno.test("`openUnixConnection` to a path nobody serves rejects; bad options are TypeErrors", async () => {
  await withDir(async (dir) => {
    await assertRejects(() => openUnixConnection({ path: `${dir}/none.sock` }));
    await assertRejects(() => openUnixConnection({ path: "" }), TypeError);
    await assertRejects(
      () => openUnixConnection({ path: `${dir}/x`, limt: 5 } as never),
      TypeError,
      "did you mean limit?",
    );
    await assertRejects(
      () => startUnixServer(() => {}, { path: 5 } as never),
      TypeError,
    );
    await assertRejects(
      () => startUnixServer(() => {}, undefined as never),
      TypeError,
    );
  });
});
