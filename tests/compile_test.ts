// `deno task compile` (tools/compile.ts). Building needs the Deno runtime
// (denort): from DENORT_BIN, or downloaded. Tests never reach past
// loopback, so the download is always pointed at a closed loopback proxy
// here; the binaries themselves are built and run only where DENORT_BIN
// names a runtime.

import { assert, assertEquals, assertMatch } from "@std/assert";
import { fileURLToPath } from "node:url";
import {
  isRuntimeDownloadFailure,
  noRuntimeMessage,
  TARGETS,
} from "../tools/compile.ts";
import { denoFlags } from "./_helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DENORT_BIN = Deno.env.get("DENORT_BIN") ?? "";

// What deno compile 2.9.6 printed here, with no route to the download.
const DNS_FAILURE = `Check scripts/echo_server.ts
Compile scripts/echo_server.ts to dist/echo_server
Download https://example.invalid/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file 'dist/echo_server.tmp-5c1ca66d1ef320b9'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://example.invalid/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known
    2: client error (Connect)`;

const TYPE_ERROR = `Check scripts/demo.ts
TS2322 [ERROR]: Type 'string' is not assignable to type 'number'.
    at file:///work/main/scripts/demo.ts:10:7
error: Type checking failed.`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function compile(
  args: string[],
  env: Record<string, string>,
): Promise<Result> {
  const vars = Deno.env.toObject();
  delete vars.DENORT_BIN;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...denoFlags(), "tools/compile.ts", ...args],
    cwd: ROOT,
    clearEnv: true,
    env: { ...vars, NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test("isRuntimeDownloadFailure tells a failed runtime download from other errors", () => {
  assert(isRuntimeDownloadFailure(DNS_FAILURE));
  assert(isRuntimeDownloadFailure(`\x1b[31merror\x1b[0m: ${DNS_FAILURE}`));
  assert(!isRuntimeDownloadFailure(TYPE_ERROR));
  assert(!isRuntimeDownloadFailure(""));
});

Deno.test("noRuntimeMessage names DENORT_BIN, the Deno version and the platform", () => {
  const message = noRuntimeMessage("dns error");
  assertMatch(message, /DENORT_BIN=\/path\/to\/denort deno task compile/);
  assert(message.includes(Deno.version.deno), message);
  assert(message.includes(Deno.build.target), message);
  assert(message.includes("dns error"), message);
});

Deno.test("compile stops with a message naming DENORT_BIN when the runtime download fails", async () => {
  const out = await Deno.makeTempDir({ prefix: "aio_compile_" });
  try {
    // A closed loopback port as the proxy: the download fails at once, and
    // nothing leaves the machine.
    const proxy = "http://127.0.0.1:9";
    const result = await compile(["--only", "echo_server", "--out", out], {
      HTTPS_PROXY: proxy,
      HTTP_PROXY: proxy,
      ALL_PROXY: proxy,
      NO_PROXY: "",
    });
    if (result.code === 0) {
      // The runtime was already in Deno's cache: the build needs no download.
      assert((await Deno.stat(`${out}/echo_server`)).isFile);
      return;
    }
    assertEquals(result.code, 3, result.stderr);
    assertMatch(
      result.stderr,
      /could not download the Deno runtime \(denort\)/,
    );
    assertMatch(result.stderr, /Set DENORT_BIN to the path of a denort binary/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("compile rejects a DENORT_BIN that is not a file, and bad flags", async () => {
  const missing = await compile(["--only", "echo_server"], {
    DENORT_BIN: "/nonexistent/denort",
  });
  assertEquals(missing.code, 2);
  assertMatch(missing.stderr, /DENORT_BIN is set to "\/nonexistent\/denort"/);
  const only = await compile(["--only", "nope"], {});
  assertEquals(only.code, 2);
  assertMatch(only.stderr, /--only must be one of echo_server, demo/);
  const flag = await compile(["--nope"], {});
  assertEquals(flag.code, 2);
});

Deno.test("TARGETS build the echo server and the demo", () => {
  assertEquals(TARGETS.map((target) => target.entry), [
    "scripts/echo_server.ts",
    "scripts/demo.ts",
  ]);
});

Deno.test({
  name:
    "compiled echo server echoes and compiled demo runs its steps (skipped: needs DENORT_BIN naming a Deno runtime, since the download is unreachable)",
  ignore: DENORT_BIN === "",
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "aio_compile_" });
    try {
      const built = await compile(["--out", out, "--timeout", "120000"], {
        DENORT_BIN,
      });
      assertEquals(built.code, 0, built.stderr);

      // The echo server: ready line, one echo, SIGINT.
      const server = new Deno.Command(`${out}/echo_server`, {
        args: ["--port", "0"],
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      }).spawn();
      const lines = server.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      const first = (await lines.read()).value ?? "";
      const port = Number(/:(\d+)\s*$/m.exec(first)?.[1]);
      assert(port > 0, `no port in ${JSON.stringify(first)}`);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode("ping"));
      const buffer = new Uint8Array(100);
      const n = await conn.read(buffer);
      conn.close();
      assertEquals(
        new TextDecoder().decode(buffer.subarray(0, n ?? 0)),
        "ping",
      );
      server.kill("SIGINT");
      await lines.cancel();
      await server.stderr.cancel();
      assertEquals((await server.status).code, 130);

      // The demo: two steps, fast, from the scripts compiled into it.
      const demo = await new Deno.Command(`${out}/demo`, {
        args: ["--only", "say_hello,nested", "--fast"],
        stdin: "null",
      }).output();
      const text = new TextDecoder().decode(demo.stdout);
      assertEquals(demo.code, 0, text);
      assertMatch(text, /│ Hello\n {2}│ World/);
      assertMatch(text, /│ 42/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
