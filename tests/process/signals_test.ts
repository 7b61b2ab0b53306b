import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  Event,
  getRunningLoop,
  InvalidStateError,
  moveOnAfter,
  run,
  signalReceiver,
  sleep,
  taskGroup,
  timeout,
} from "@seed/aio";
import { listening } from "../../lib/_core/_signals.ts";
import { denoFlags } from "../_helpers.ts";

async function child(
  mode: string,
): Promise<{ out: string; signal: string | null; code: number; err: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...denoFlags(),
      new URL("./_signal_child.ts", import.meta.url).pathname,
      mode,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return {
    out: new TextDecoder().decode(output.stdout),
    err: new TextDecoder().decode(output.stderr),
    signal: output.signal,
    code: output.code,
  };
}

Deno.test("`loop.addSignalHandler()` calls the callback with its arguments in the root scope; removeSignalHandler() removes it", async () => {
  // A signal listener does not keep Deno's event loop alive; a timeout does.
  await run(() =>
    timeout(5000, async () => {
      const loop = getRunningLoop();
      const got = new Event();
      const calls: unknown[][] = [];
      loop.addSignalHandler(
        "SIGUSR1",
        (a: number, b: string) => {
          calls.push([a, b, getRunningLoop() === loop]);
          got.set();
        },
        1,
        "x",
      );
      assertEquals(listening("SIGUSR1"), 1);
      Deno.kill(Deno.pid, "SIGUSR1");
      await got.wait();
      assertEquals(calls, [[1, "x", true]]);
      // A second handler replaces the first.
      const second = new Event();
      loop.addSignalHandler("SIGUSR1", () => second.set());
      assertEquals(listening("SIGUSR1"), 1);
      Deno.kill(Deno.pid, "SIGUSR1");
      await second.wait();
      assertEquals(calls.length, 1);
      assertEquals(loop.removeSignalHandler("SIGUSR1"), true);
      assertEquals(loop.removeSignalHandler("SIGUSR1"), false);
      assertEquals(listening("SIGUSR1"), 0);
    })
  );
});

Deno.test("`loop.addSignalHandler()` reports a throwing callback to the exception handler and goes on", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const reported: [unknown, string][] = [];
    const done = new Event();
    loop.setExceptionHandler((error, context) => {
      reported.push([error, context.message]);
      done.set();
    });
    let calls = 0;
    await timeout(5000, async () => {
      loop.addSignalHandler("SIGUSR2", () => {
        calls++;
        throw new Error("boom");
      });
      Deno.kill(Deno.pid, "SIGUSR2");
      await done.wait();
      done.clear();
      Deno.kill(Deno.pid, "SIGUSR2");
      await done.wait();
      assertEquals(calls, 2);
      assertEquals(reported.length, 2);
      assertEquals((reported[0][0] as Error).message, "boom");
      assertMatch(reported[0][1], /SIGUSR2/);
    });
  });
  assertEquals(listening("SIGUSR2"), 0, "removed when run() ended");
});

Deno.test("`loop.addSignalHandler()` rejects unknown or unhandleable signals before installing anything", async () => {
  let loop: ReturnType<typeof getRunningLoop> | undefined;
  await run(() => {
    loop = getRunningLoop();
    assertThrows(
      () => loop!.addSignalHandler("SIGNOPE" as Deno.Signal, () => {}),
      TypeError,
      'addSignalHandler(): unknown signal "SIGNOPE"',
    );
    assertThrows(
      () => loop!.addSignalHandler("SIGKILL", () => {}),
      TypeError,
      "signal SIGKILL cannot be handled",
    );
    assertThrows(
      () => loop!.addSignalHandler("SIGHUP", "nope" as never),
      TypeError,
      "expected a function",
    );
    assertThrows(
      () => loop!.removeSignalHandler(2 as unknown as Deno.Signal),
      TypeError,
      "unknown signal 2",
    );
    assertEquals(listening("SIGHUP"), 0);
  });
  assertThrows(
    () => loop!.addSignalHandler("SIGHUP", () => {}),
    InvalidStateError,
  );
});

Deno.test("loop signal handlers are removed when run() ends: the signal's default action is back", async () => {
  const result = await child("handler");
  assertEquals(result.out, "handled\nafter run\n", result.err);
  assertEquals(result.signal, "SIGUSR1");
});

Deno.test("`signalReceiver()` yields signals as they arrive, a repeated pending one once", async () => {
  await run(async () => {
    const signals = signalReceiver("SIGUSR1", "SIGUSR2");
    assertEquals(listening("SIGUSR1"), 1);
    Deno.kill(Deno.pid, "SIGUSR1");
    const first = await signals.next();
    assertEquals(first, { value: "SIGUSR1", done: false });
    // Three arrive before anyone reads: SIGUSR2 and SIGUSR1, each once.
    Deno.kill(Deno.pid, "SIGUSR2");
    const second = await signals.next();
    assertEquals(second.value, "SIGUSR2");
    const seen: string[] = [];
    Deno.kill(Deno.pid, "SIGUSR1");
    for await (const sig of signals) {
      seen.push(sig);
      break;
    }
    assertEquals(seen, ["SIGUSR1"]);
    assert(signals.closed, "leaving the loop closes it");
    assertEquals(listening("SIGUSR1"), 0);
    assertEquals(listening("SIGUSR2"), 0);
    assertEquals(await signals.next(), { value: undefined, done: true });
  });
});

Deno.test("`signalReceiver()` is scoped: cancelling the waiting task removes its listeners", async () => {
  await run(async () => {
    const result = await moveOnAfter(50, async () => {
      for await (const _ of signalReceiver("SIGHUP")) return "signal";
      return "ended";
    });
    assertEquals(result, undefined);
    assertEquals(listening("SIGHUP"), 0);
    // A receiver nobody iterates goes with its scope.
    await taskGroup(async (tg) => {
      tg.createTask(() => {
        signalReceiver("SIGWINCH");
      });
      await Promise.resolve();
    });
    assertEquals(listening("SIGWINCH"), 1, "its task ended, not its run");
    // One in a cancelled scope goes at once.
    await moveOnAfter(10, async () => {
      signalReceiver("SIGWINCH");
      assertEquals(listening("SIGWINCH"), 2);
      await sleep(10_000);
    });
    assertEquals(listening("SIGWINCH"), 1);
  });
  assertEquals(listening("SIGWINCH"), 0, "removed when run() ended");
});

Deno.test("`signalReceiver()` rejects unknown names with TypeError before installing anything", async () => {
  await run(() => {
    assertThrows(
      () => signalReceiver("SIGUSR1", "SIGNOPE" as Deno.Signal),
      TypeError,
      'signalReceiver(): unknown signal "SIGNOPE"',
    );
    assertThrows(() => signalReceiver(), TypeError, "at least one signal");
    assertThrows(
      () => signalReceiver("SIGSTOP"),
      TypeError,
      "cannot be handled",
    );
    assertEquals(listening("SIGUSR1"), 0);
  });
  assertThrows(() => signalReceiver("SIGUSR1"), InvalidStateError);
});

Deno.test("signal receivers left open are removed when run() ends: the default action is back", async () => {
  const result = await child("receiver");
  assertEquals(result.out, "received SIGUSR2\nafter run\n", result.err);
  assertEquals(result.signal, "SIGUSR2");
});

Deno.test("`runMain()` with a bad signal name or a string throws TypeError and installs nothing", async () => {
  const result = await child("runmain-bad-name");
  assertEquals(
    result.out,
    'TypeError: runMain(): unknown signal "SIGNOPE"; expected a name like "SIGINT"\n' +
      'TypeError: runMain(): signals must be an array of signal names, got "SIGINT"\n',
    result.err,
  );
  assertEquals(result.signal, "SIGINT", "no SIGINT listener was left");
});

Deno.test("`runMain()` removes its listeners when it returns", async () => {
  const result = await child("runmain-done");
  assertEquals(result.out, "after runMain\n", result.err);
  assertEquals(result.signal, "SIGTERM");
});

Deno.test("`runMain()` option checks happen before main runs", async () => {
  const { runMain } = await import("@seed/aio");
  let ran = false;
  await assertRejects(
    () =>
      runMain(() => {
        ran = true;
      }, { taskTreeSignal: "SIGNOPE" as Deno.Signal }),
    TypeError,
    "unknown signal",
  );
  await assertRejects(
    () => runMain(() => {}, { signals: ["SIGKILL"] }),
    TypeError,
    "SIGKILL cannot be handled",
  );
  assertEquals(ran, false);
  assertEquals(listening("SIGINT"), 0);
});

Deno.test("a script serving with no connections exits on SIGTERM in milliseconds", async () => {
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...denoFlags(),
      "--allow-net=127.0.0.1",
      new URL("../../scripts/echo_server.ts", import.meta.url).pathname,
      "--port",
      "0",
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const reader = server.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  assertMatch(out, /^Serving on 127\.0\.0\.1:\d+/);
  const start = performance.now();
  server.kill("SIGTERM");
  const status = await server.status;
  const elapsed = performance.now() - start;
  reader.releaseLock();
  await server.stdout.cancel();
  await server.stderr.cancel();
  assertEquals(status.code, 143);
  // Measured 30-100 ms here; generous for a loaded machine.
  assert(elapsed < 1000, `took ${elapsed} ms`);
});
