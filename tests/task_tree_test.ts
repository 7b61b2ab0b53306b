import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  createTask,
  formatTaskTree,
  InvalidStateError,
  run,
  shield,
  sleep,
  taskGroup,
  taskTree,
  type TaskTreeNode,
  timeout,
} from "@seed/aio";
import { deferred, denoFlags, flushMicrotasks } from "./_helpers.ts";

interface Shape {
  kind: string;
  name: string;
  state: string;
  children: Shape[];
}

// The part of a node that must be exact: ages and sites vary by run.
function shape(node: TaskTreeNode): Shape {
  return {
    kind: node.kind,
    name: node.name,
    state: node.state,
    children: node.children.map(shape),
  };
}

function task(name: string, state: string, children: Shape[] = []): Shape {
  return { kind: "task", name, state, children };
}

Deno.test("`taskTree` reflects nesting and states exactly", async () => {
  const gate = deferred();
  await run(async () => {
    createTask(() => sleep(1_000), { name: "detached" });
    await taskGroup({ name: "outer" }, async (tg) => {
      tg.createTask(() => sleep(1_000), { name: "sleeper" });
      tg.createTask(
        () =>
          taskGroup({ name: "inner" }, (inner) => {
            inner.createTask(() => timeout(5_000, () => sleep(1_000)), {
              name: "timed",
            });
          }),
        { name: "nester" },
      );
      const stubborn = tg.createTask(async () => {
        try {
          await sleep(1_000);
        } catch {
          // Cancelled, but it keeps going until the gate opens.
          await gate.promise;
        }
      }, { name: "stubborn" });
      await flushMicrotasks();
      stubborn.cancel();
      await flushMicrotasks();
      tg.createTask(() => sleep(1), { name: "fresh" });
      // "fresh" has not had a turn yet: it is pending.
      const tree = taskTree();
      // Open the gate first so that a failed assertion cannot hang the group.
      gate.resolve();
      assertEquals(shape(tree), {
        kind: "run",
        name: "run()",
        state: "open",
        children: [
          task("main", "running", [{
            kind: "group",
            name: "outer",
            state: "open",
            children: [
              task("sleeper", "running"),
              task("nester", "running", [{
                kind: "group",
                name: "inner",
                state: "open",
                children: [
                  task("timed", "running", [{
                    kind: "scope",
                    name: "timeout()",
                    state: "open",
                    children: [],
                  }]),
                ],
              }]),
              task("stubborn", "cancelling"),
              task("fresh", "pending"),
            ],
          }]),
          task("detached", "running"),
        ],
      });
      const mainNode = tree.children[0];
      // Without debug mode, the innermost open scope stands for the wait.
      assertEquals(mainNode.awaiting, 'task group "outer"');
      assertEquals(
        mainNode.children[0].children[1].awaiting,
        'task group "inner"',
      );
      assert(mainNode.ageMs! >= 0);
      assertEquals(mainNode.createdAt, undefined); // debug mode is off
      tg.cancel();
    });
    // Finished tasks and left scopes are gone.
    assertEquals(shape(taskTree()).children.map((node) => node.name), [
      "main",
      "detached",
    ]);
  }, { debug: false }); // what is asserted is the tree without debug mode
});

Deno.test("`taskTree` marks shielded work and cancelled scopes", async () => {
  await run(async () => {
    await taskGroup({ name: "g" }, async (tg) => {
      tg.createTask(() => shield(() => sleep(20)), { name: "caller" });
      await flushMicrotasks();
      tg.cancel();
      const group = taskTree().children[0].children[0];
      assertEquals(group.state, "cancelling");
      const shielded = group.children.find((node) => node.name === "shield()");
      assertEquals(shielded?.shielded, true);
      // The shield keeps the group's cancellation out.
      assertEquals(shielded?.state, "running");
      assertEquals(
        group.children.find((node) => node.name === "caller")?.state,
        "cancelling",
      );
    });
  });
});

Deno.test("`taskTree` in debug mode shows what each task awaits and where it was made", async () => {
  await run(async () => {
    const waiter = createTask(() => sleep(5_000), { name: "waiter" });
    const awaiting = createTask(async () => await waiter, {
      name: "awaiting",
    });
    await flushMicrotasks();
    const [, waiterNode, awaitingNode] = taskTree().children;
    assertMatch(
      waiterNode.awaiting!,
      /^sleep \(\d.* left\) at .*task_tree_test\.ts:\d+:\d+$/,
    );
    assertMatch(waiterNode.createdAt!, /task_tree_test\.ts:\d+:\d+$/);
    assertStringIncludes(awaitingNode.awaiting!, 'Task "waiter"');
    assertEquals(waiterNode.task, waiter);
    awaiting.cancel();
  }, { debug: true });
});

Deno.test("`formatTaskTree` draws one line per node, children indented", async () => {
  await run(async () => {
    await taskGroup({ name: "crew" }, async (tg) => {
      tg.createTask(() => sleep(50), { name: "say_hello" });
      tg.createTask(() => sleep(50), { name: "say_world" });
      await flushMicrotasks();
      const lines = formatTaskTree().split("\n");
      assertEquals(lines[0], "run()");
      assertMatch(
        lines[1],
        /^└── main · running \d+ ms · awaiting task group "crew"$/,
      );
      assertEquals(lines[2], "    └── crew (group)");
      assertMatch(lines[3], /^ {8}├── say_hello · running \d+ ms$/);
      assertMatch(lines[4], /^ {8}└── say_world · running \d+ ms$/);
      assertEquals(lines.length, 5);
      tg.cancel();
    });
  }, { debug: false });
});

Deno.test("`taskTree` outside run and `formatTaskTree` given garbage throw", () => {
  assertThrows(() => taskTree(), InvalidStateError);
  assertThrows(() => formatTaskTree(42 as never), TypeError);
  assertThrows(() => formatTaskTree(null as never), TypeError);
});

Deno.test({
  name: "`runMain` prints the task tree on SIGQUIT and keeps running",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir();
    const script = `${dir}/quit.ts`;
    const mod = new URL("../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { createTask, runMain, sleep } from ${JSON.stringify(mod)};
await runMain(async () => {
  createTask(() => sleep(60_000), { name: "sleeper" });
  await sleep(0);
  console.log("ready");
  await sleep(60_000);
});
`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...denoFlags(), script],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let seen = "";
      while (!seen.includes("ready")) {
        const { value, done } = await out.read();
        if (done) break;
        seen += value;
      }
      assertStringIncludes(seen, "ready");
      const err = child.stderr.pipeThrough(new TextDecoderStream())
        .getReader();
      child.kill("SIGQUIT");
      let tree = "";
      while (!tree.includes("sleeper")) {
        const { value, done } = await err.read();
        if (done) break;
        tree += value;
      }
      assertStringIncludes(tree, "run()");
      assertStringIncludes(tree, "main · running");
      assertStringIncludes(tree, "sleeper · running");
      // Still alive: SIGINT now ends it the usual way.
      child.kill("SIGINT");
      const status = await child.status;
      assertEquals(status.code, 130);
      await out.cancel();
      await err.cancel();
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("`TaskTreeNode.task` is the live Task", async () => {
  await run(async () => {
    const worker = createTask(() => sleep(10), { name: "worker" });
    await flushMicrotasks();
    const node = taskTree().children.find((n) => n.name === "worker")!;
    assertInstanceOf(node.task, Object);
    assertEquals(node.task, worker);
    await worker;
  });
});
