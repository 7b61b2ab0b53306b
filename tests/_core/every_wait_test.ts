// The probe of the core reshaping: every kind of wait goes through the one
// wait primitive, so debug mode sees each in the task tree, and virtual time
// waits for real work.

import { assertEquals, assertMatch } from "@std/assert";
import {
  formatTaskTree,
  Lock,
  openConnection,
  run,
  sleep,
  startServer,
  taskGroup,
  timeout,
  WorkerPool,
} from "@seed/aio";
import { withVirtualTime } from "@seed/aio/testing";

const fixture = new URL("../fixtures/worker_module.ts", import.meta.url);

Deno.test("every kind of wait is seen: readline, a worker call and a lock each show their own wait in the debug task tree", async () => {
  let tree = "";
  await run(async () => {
    await using pool = new WorkerPool({ size: 1 });
    // Booted and compiled before the probe, so the call below is in flight.
    await pool.run(fixture, "add", [1, 2]);
    await using server = await startServer(async (reader) => {
      await reader.read(1); // never answers: the client's readline waits
    }, { hostname: "127.0.0.1", port: 0 });
    const { reader, writer } = await openConnection(server.addr);
    const lock = new Lock();
    await lock.acquire();
    await taskGroup(async (tg) => {
      tg.createTask(() => reader.readline(), { name: "reader" });
      tg.createTask(() => pool.run(fixture, "busy", [400]), {
        name: "worker",
      });
      tg.createTask(() => lock.acquire(), { name: "locker" });
      // Let all three reach their waits (the worker call takes 400 ms).
      await sleep(100);
      tree = formatTaskTree();
      tg.cancel();
    });
    lock.release();
    writer.close();
  }, { debug: { blockedThresholdMs: 10_000 } });
  const line = (name: string): string =>
    tree.split("\n").find((l) => l.includes(`── ${name} `)) ?? "";
  assertMatch(line("reader"), /readline/);
  assertMatch(line("worker"), /worker call|busy/);
  assertMatch(line("locker"), /lock/);
});

Deno.test("virtual time: a 200 ms worker call under a 60 s timeout returns its value", async () => {
  const value = await withVirtualTime(() =>
    run(async () => {
      await using pool = new WorkerPool({ size: 1 });
      return await timeout(60_000, () => pool.run(fixture, "busy", [200, 200]));
    })
  );
  assertEquals(value, 200);
});
