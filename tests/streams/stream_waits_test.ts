// Stream waits go through the one wait primitive: debug mode's task tree
// shows a task blocked in a read or a drain with its own wait (and the line
// that waits), and cancellation reaches it there.

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  createTask,
  formatTaskTree,
  openConnection,
  run,
  sleep,
  startServer,
  StreamReader,
  taskTree,
  type TaskTreeNode,
} from "@seed/aio";

function find(node: TaskTreeNode, name: string): TaskTreeNode | undefined {
  if (node.name === name) return node;
  for (const child of node.children) {
    const found = find(child, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

Deno.test("`formatTaskTree` in debug mode shows a task blocked in `reader.readline()` with its own wait", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const blocked = createTask(() => reader.readline(), { name: "liner" });
    await sleep(0);
    const node = find(taskTree(), "liner");
    assert(node !== undefined);
    // Its own wait, at the line of this file that reads (not the innermost
    // scope, nor a promise of the library's).
    assertMatch(node.awaiting ?? "", /stream_waits_test\.ts:\d+/);
    const tree = formatTaskTree();
    const line = tree.split("\n").find((l) => l.includes("liner"));
    assert(line !== undefined, tree);
    assertMatch(line, /stream_waits_test\.ts:\d+/);
    reader.feedData("done\n");
    assertEquals(new TextDecoder().decode(await blocked), "done\n");
    // Once woken, the task no longer waits there.
    assertEquals(find(taskTree(), "liner"), undefined);
  }, { debug: true });
});

Deno.test("`formatTaskTree` in debug mode shows a task in `for await (const line of reader)` waiting at that line", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const seen: string[] = [];
    const looping = createTask(async () => {
      for await (const line of reader) {
        seen.push(new TextDecoder().decode(line));
      }
    }, { name: "looper" });
    await sleep(0);
    assertMatch(
      find(taskTree(), "looper")?.awaiting ?? "",
      /stream_waits_test\.ts:\d+/,
    );
    reader.feedData("a\nb\n");
    reader.feedEof();
    await looping;
    assertEquals(seen, ["a\n", "b\n"]);
  }, { debug: true });
});

Deno.test("`StreamWriter.drain` in debug mode is a wait of its own in the task tree", async () => {
  await run(async () => {
    const server = await startServer(async (reader) => {
      await reader.read(1); // reads one byte, then no more
      await sleep(10_000);
    }, { port: 0, gracePeriodMs: 0 });
    const { writer } = await openConnection(server.addr);
    const filler = createTask(async () => {
      for (let i = 0; i < 10_000; i++) {
        writer.write(new Uint8Array(64 * 1024));
        await writer.drain();
      }
    }, { name: "filler" });
    let node: TaskTreeNode | undefined;
    for (let i = 0; i < 500; i++) {
      await sleep(10);
      node = find(taskTree(), "filler");
      if (node?.awaiting?.includes("stream_waits_test.ts")) break;
    }
    assertMatch(node?.awaiting ?? "", /stream_waits_test\.ts:\d+/);
    filler.cancel();
    await filler.then(() => {}, () => {});
    writer.close();
    server.close();
    await server.closed;
  }, { debug: true });
});
