// The layout's promise: no import cycles in lib/, counting type-only
// imports, and no private file re-exported from an entry point.

import { assertEquals } from "@std/assert";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const lib = join(root, "lib");

async function* files(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* files(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

const SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;

async function graph(): Promise<Map<string, string[]>> {
  const edges = new Map<string, string[]>();
  for await (const file of files(lib)) {
    const text = await Deno.readTextFile(file);
    const targets: string[] = [];
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1] ?? m[2];
      const target = normalize(join(dirname(file), spec));
      if (target.startsWith(lib)) targets.push(relative(root, target));
    }
    edges.set(relative(root, file), targets);
  }
  return edges;
}

/** Every cycle's members, found with Tarjan's strongly connected components. */
function cycles(edges: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) {
        found.push(component.sort());
      }
    }
  };
  for (const v of [...edges.keys()].sort()) if (!indices.has(v)) visit(v);
  return found;
}

Deno.test("lib/ has no import cycles, type-only imports included", async () => {
  assertEquals(cycles(await graph()), []);
});

Deno.test("lib/ files stay under 700 lines unless divided into sections", async () => {
  const over: string[] = [];
  for await (const file of files(lib)) {
    const text = await Deno.readTextFile(file);
    const lines = text.split("\n").length;
    // Banner sections, as in Trio's _run.py: `// ---- Name ----` lines.
    const sectioned = (text.match(/^\/\/ (?:-{3,}|={3,})/gm) ?? []).length >= 2;
    if (lines > 700 && !sectioned) {
      over.push(`${relative(root, file)} (${lines})`);
    }
  }
  assertEquals(over, []);
});
