// A project of one's own, outside the repository, using aio the way
// README.md's "Use it in your project" tells a reader on a network that
// reaches npm but not JSR: a checkout (here a symlink standing in for a
// vendored copy) plus import-map entries in the project's deno.json,
// `@std/async` included through the checkout's fallback.

import { assert, assertEquals } from "@std/assert";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The README's deno.json for npm-only networks, as the reader copies it. */
async function documentedConfig(): Promise<Record<string, unknown>> {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .filter((text) => text.includes('"@seed/aio"'));
  assertEquals(blocks.length, 1, "README.md shows one such deno.json");
  return JSON.parse(blocks[0]);
}

const MAIN = `
import { currentSignal, gather, run, sleep, taskGroup } from "@seed/aio";
import { withVirtualTime } from "@seed/aio/testing";
import { delay } from "@std/async";

await run(async () => {
  const [a, b] = await gather(
    () => sleep(10, "a"),
    async () => {
      await delay(10, { signal: currentSignal() });
      return "b";
    },
  );
  await taskGroup((tg) => {
    tg.createTask(() => console.log("gathered", a, b));
  });
});
await withVirtualTime(async (clock) => {
  await run(() => sleep(3_600_000));
  console.log("an hour of virtual time:", clock.elapsed);
});
`;

async function inProject(
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_project_" });
  try {
    assert(!dir.startsWith(ROOT), "the project must be outside the repository");
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a project outside the repo imports @seed/aio the documented npm-only way", async () => {
  await inProject(async (dir) => {
    await Deno.mkdir(`${dir}/vendor`);
    await Deno.symlink(ROOT, `${dir}/vendor/aio`);
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify(await documentedConfig(), null, 2),
    );
    await Deno.writeTextFile(`${dir}/main.ts`, MAIN);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "main.ts"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, err);
    assertEquals(
      new TextDecoder().decode(stdout),
      "gathered a b\nan hour of virtual time: 3600000\n",
    );
  });
});

Deno.test("deno task run FILE runs a file outside the repo with @seed/aio mapped", async () => {
  await inProject(async (dir) => {
    await Deno.writeTextFile(`${dir}/try_aio.ts`, MAIN);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}/tools/task.ts`, "run", `${dir}/try_aio.ts`],
      cwd: dir,
      env: { NO_COLOR: "1", AIO_STD: "npm" },
      stdin: "null",
    }).output();
    const err = new TextDecoder().decode(stderr);
    assertEquals(code, 0, err);
    assertEquals(
      new TextDecoder().decode(stdout),
      "gathered a b\nan hour of virtual time: 3600000\n",
    );
  });
});
