/**
 * `taskTree()` and `formatTaskTree()`: the live tree of scopes and tasks of
 * a run, like Python 3.14's `python -m asyncio pstree`.
 *
 * @module
 */

import { InvalidStateError } from "./errors.ts";
import { currentScope, type Scope } from "./_core/_scope.ts";
import { Task } from "./task.ts";
import type { EventLoop } from "./event_loop.ts";
import {
  creationSite,
  currentWait,
  frameLocation,
  userFrames,
} from "./_core/_debug.ts";
import { describeWait, formatDuration } from "./_core/_trace.ts";

/** One node of the task tree: the run, a task, a task group or another scope. */
export interface TaskTreeNode {
  /**
   * `"run"`: the root of `run()`. `"task"`: a task. `"group"`: a task group
   * (or `gather`'s). `"scope"`: any other scope (`timeout()`, …).
   */
  kind: "run" | "task" | "group" | "scope";
  /** The task's name or the scope's label (`"TaskGroup"`, `"timeout()"`). */
  name: string;
  /**
   * A task: `"pending"` (not started yet), `"running"` (started, not done)
   * or `"cancelling"` (asked to stop, not done yet). A scope: `"open"` or
   * `"cancelling"`.
   */
  state: "pending" | "running" | "cancelling" | "open";
  /** For a task: milliseconds since it was created. */
  ageMs: number | undefined;
  /**
   * What the task is suspended on (`sleep (1.2 s left)`, `Task "fetch"`, a
   * lock…, with the line that waits in debug mode); outside debug mode, the
   * innermost group or scope it is inside of, if any.
   */
  awaiting: string | undefined;
  /** Where the task was created (`file:line:column`; debug mode only). */
  createdAt: string | undefined;
  /** Whether the scope is shielded from outer cancellation (`shield()`). */
  shielded: boolean;
  /** The task itself, for `kind: "task"`. */
  task: Task<unknown> | undefined;
  /** Tasks and scopes inside, oldest first. */
  children: TaskTreeNode[];
}

/**
 * The live tree of the current run (or of `loop`'s): its tasks, the task
 * groups and scopes (timeouts, shields) that contain them, each task's
 * state, age, what it awaits and (in debug mode) where it was created.
 * Finished tasks and left scopes are not in it.
 *
 * Mirrors Python 3.14's `asyncio` call-graph introspection
 * (`python -m asyncio pstree PID`).
 *
 * @param loop The run to inspect; by default the caller's.
 * @returns The root node (`kind: "run"`).
 * @throws {InvalidStateError} Outside `run()` when no loop is given.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup, taskTree } from "@seed/aio";
 * await run(async () => {
 *   await taskGroup(async (tg) => {
 *     tg.createTask(() => sleep(50), { name: "sleeper" });
 *     await sleep(0);
 *     const main = taskTree().children[0];
 *     const group = main.children[0];
 *     console.log(group.kind, group.children[0].name); // "group" "sleeper"
 *   });
 * });
 * ```
 */
export function taskTree(loop?: EventLoop): TaskTreeNode {
  let root: Scope | undefined;
  if (loop !== undefined) {
    root = loop._rootScope;
  } else {
    root = currentScope();
    while (root?.parent !== undefined) root = root.parent;
  }
  if (root === undefined || root.loop === undefined) {
    throw new InvalidStateError(
      "taskTree() needs a running aio loop: call it inside run() or pass the loop",
    );
  }
  const at = Date.now();
  return {
    kind: "run",
    name: root.label,
    state: root.cancelled ? "cancelling" : "open",
    ageMs: undefined,
    awaiting: undefined,
    createdAt: undefined,
    shielded: false,
    task: undefined,
    children: childrenOf(root, at),
  };
}

function childrenOf(scope: Scope, at: number): TaskTreeNode[] {
  const nodes: TaskTreeNode[] = [];
  for (const child of scope.children()) {
    if (child.closed) continue;
    nodes.push(nodeOf(child, at));
  }
  return nodes;
}

function nodeOf(scope: Scope, at: number): TaskTreeNode {
  const task = scope.task;
  const children = childrenOf(scope, at);
  if (task instanceof Task && task.scope === scope) {
    const wait = currentWait(task);
    let awaiting: string | undefined;
    if (wait !== undefined) {
      const site = wait.site === undefined
        ? undefined
        : frameLocation(userFrames(wait.site.stack, 1)[0]);
      awaiting = describeWait(wait) + (site === undefined ? "" : ` at ${site}`);
    } else {
      awaiting = innermostScope(children);
    }
    return {
      kind: "task",
      name: task.name,
      state: !task.started()
        ? (scope.cancelled ? "cancelling" : "pending")
        : scope.cancelled
        ? "cancelling"
        : "running",
      ageMs: Math.max(0, at - task.createdAt),
      awaiting,
      createdAt: creationSite(task),
      shielded: scope.shielded,
      task,
      children,
    };
  }
  return {
    kind: scope.nursery !== undefined ? "group" : "scope",
    name: scope.label,
    state: scope.cancelled ? "cancelling" : "open",
    ageMs: undefined,
    awaiting: undefined,
    createdAt: undefined,
    shielded: scope.shielded,
    task: undefined,
    children,
  };
}

// Without debug mode a task's wait is unknown; the deepest group or scope it
// has open says at least where it is.
function innermostScope(children: TaskTreeNode[]): string | undefined {
  let found: TaskTreeNode | undefined;
  let nodes = children;
  while (true) {
    const scope = nodes.find((node) => node.kind !== "task");
    if (scope === undefined) break;
    found = scope;
    nodes = scope.children;
  }
  if (found === undefined) return undefined;
  return found.kind === "group"
    ? `task group ${JSON.stringify(found.name)}`
    : found.name;
}

/**
 * Draws a task tree as text, one line per node:
 *
 * ```text
 * run()
 * └── main · running 1.20 s · awaiting task group "TaskGroup"
 *     └── TaskGroup (group)
 *         ├── say_hello · running 1.19 s · awaiting sleep (810 ms left)
 *         └── say_world · pending 0 ms
 * ```
 *
 * @param tree The tree; by default `taskTree()` of the current run.
 * @returns The drawing, without a trailing newline.
 * @throws {InvalidStateError} Outside `run()` when no tree is given.
 *
 * @example
 * ```ts
 * import { createTask, formatTaskTree, run, sleep } from "@seed/aio";
 * await run(async () => {
 *   createTask(() => sleep(20), { name: "worker" });
 *   await sleep(0);
 *   console.log(formatTaskTree()); // run() / ├── main … / └── worker …
 * });
 * ```
 */
export function formatTaskTree(tree?: TaskTreeNode): string {
  const root = tree === undefined ? taskTree() : tree;
  if (root === null || typeof root !== "object" || !("children" in root)) {
    throw new TypeError("formatTaskTree(): expected a TaskTreeNode");
  }
  const lines = [describeNode(root)];
  const draw = (nodes: TaskTreeNode[], prefix: string): void => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${prefix}${last ? "└── " : "├── "}${describeNode(node)}`);
      draw(node.children, prefix + (last ? "    " : "│   "));
    });
  };
  draw(root.children, "");
  return lines.join("\n");
}

function describeNode(node: TaskTreeNode): string {
  const parts: string[] = [];
  if (node.kind === "task") {
    parts.push(node.name);
    parts.push(
      `${node.state} ${
        node.ageMs === undefined ? "" : formatDuration(node.ageMs)
      }`
        .trim(),
    );
    if (node.awaiting !== undefined) parts.push(`awaiting ${node.awaiting}`);
    if (node.createdAt !== undefined) {
      parts.push(`created at ${node.createdAt}`);
    }
  } else {
    const kind = node.kind === "group"
      ? " (group)"
      : node.kind === "scope"
      ? " (scope)"
      : "";
    parts.push(`${node.name}${kind}`);
    if (node.state === "cancelling") parts.push("cancelling");
  }
  if (node.shielded) parts.push("shielded");
  return parts.join(" · ");
}
