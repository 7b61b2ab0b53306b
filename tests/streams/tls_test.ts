// TLS streams: `startServer(…, { tls: { cert, key } })` and
// `openConnection({ tls })`, with a self-signed certificate for
// 127.0.0.1/localhost made by `openssl` at test time.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import { openConnection, run, startServer } from "@seed/aio";
import { type Pem, selfSignedCert } from "../_helpers.ts";

const dec = new TextDecoder();

// The certificates are made with openssl; without it the TLS round trips
// are skipped, with the reason printed.
async function probeOpenssl(): Promise<string | undefined> {
  try {
    const { code } = await new Deno.Command("openssl", {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0 ? undefined : `openssl version exited ${code}`;
  } catch (error) {
    return `no openssl: ${error}`;
  }
}
const opensslMissing = await probeOpenssl();
if (opensslMissing !== undefined) {
  console.error(`tls_test: skipping the TLS round trips (${opensslMissing})`);
}
const ignore = opensslMissing !== undefined;

let made: Promise<Pem> | undefined;

/** One certificate for the whole file. */
function selfSigned(): Promise<Pem> {
  return made ??= selfSignedCert();
}

Deno.test({
  name:
    "`startServer` with tls and `openConnection` with tls.caCerts: a line round trip and a half-close",
  ignore,
  fn: async () => {
    const { cert, key } = await selfSigned();
    await run(async () => {
      await using server = await startServer(async (reader, writer) => {
        for await (const line of reader) writer.write(line);
        writer.write("bye\n");
      }, { port: 0, tls: { cert, key } });
      const { reader, writer } = await openConnection({
        hostname: "127.0.0.1",
        port: server.addr.port,
        tls: { caCerts: [cert] },
      });
      writer.write("hello over TLS\n");
      assertEquals(dec.decode(await reader.readline()), "hello over TLS\n");
      // 64 KiB in one write comes back whole.
      const big = "x".repeat(64 * 1024) + "\n";
      writer.write(big);
      await writer.drain();
      assertEquals(dec.decode(await reader.readline()), big);
      assert(writer.canWriteEof());
      writer.writeEof();
      assertEquals(dec.decode(await reader.readline()), "bye\n");
      assertEquals((await reader.read()).length, 0);
      assertEquals(
        writer.getExtraInfo("socket").constructor.name,
        "TlsConn",
      );
      writer.close();
      await writer.waitClosed();
    });
  },
});

Deno.test({
  name:
    "`openConnection` with tls.hostname verifies the certificate for that name",
  ignore,
  fn: async () => {
    const { cert, key } = await selfSigned();
    await run(async () => {
      await using server = await startServer(async (reader, writer) => {
        writer.write(await reader.readline());
      }, { port: 0, tls: { cert, key } });
      await using conn = await openConnection({
        hostname: "127.0.0.1",
        port: server.addr.port,
        tls: { caCerts: [cert], hostname: "localhost" },
      });
      conn.writer.write("by name\n");
      assertEquals(dec.decode(await conn.reader.readline()), "by name\n");
    });
  },
});

Deno.test({
  name:
    "`openConnection` with tls: an untrusted or misnamed certificate rejects, and nothing stays open",
  ignore,
  fn: async () => {
    const { cert, key } = await selfSigned();
    const reported: unknown[] = [];
    await run(async () => {
      await using server = await startServer(async (reader) => {
        await reader.read();
      }, {
        port: 0,
        tls: { cert, key },
        onError: (error) => reported.push(error),
      });
      // The system's roots do not include a self-signed certificate.
      const untrusted = await assertRejects(() =>
        openConnection({ port: server.addr.port, tls: true })
      );
      assertInstanceOf(untrusted, Deno.errors.InvalidData);
      // Trusted, but issued for other names.
      await assertRejects(() =>
        openConnection({
          port: server.addr.port,
          tls: { caCerts: [cert], hostname: "example.invalid" },
        })
      );
    });
    // Each refused handshake failed its handler's read; the server reported
    // them and served on.
    assert(reported.length <= 2);
  },
});

Deno.test("`openConnection` and `startServer` reject bad tls options before opening anything", async () => {
  await assertRejects(
    () => openConnection({ port: 1, tls: "yes" as unknown as boolean }),
    TypeError,
  );
  await assertRejects(
    () => openConnection({ port: 1, tls: { caCert: ["x"] } as never }),
    TypeError,
    "tls.caCert",
  );
  await assertRejects(
    () => openConnection({ port: 1, tls: { caCerts: "pem" } as never }),
    TypeError,
  );
  await assertRejects(
    () => startServer(() => {}, { tls: { cert: "x" } as never }),
    TypeError,
    "tls",
  );
});
