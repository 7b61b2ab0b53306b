// The one cancellation mechanism everything else is sugar over: a tree of
// scopes (Trio's cancel scopes). Cancelling a scope marks it and every
// descendant that is not shielded as cancelled, aborts their signals, and
// wakes whatever is blocked inside them; from then on every cancellation
// point inside throws `CancelledError` (level-triggered) until the scope is
// left. The current scope is ambient, found through AsyncLocalStorage, which
// is entered once per task or scope, never per await.

import { AsyncLocalStorage } from "node:async_hooks";
import { CancelledError } from "../errors.ts";
import type { WaitKind } from "./_types.ts";

/** What a scope needs to know of the task it runs in. */
export interface ScopeTask {
  /** The task's own outermost scope. */
  readonly scope: Scope;
  /** Set once a cancellation of the task's own scope reached a cancellation point. */
  cancelDelivered: boolean;
  /** The future or task this task is suspended on, if any (await cycles). */
  awaiting: unknown;
}

/** What a scope needs to know of the `run()` it belongs to. */
export interface ScopeLoop {
  readonly closed: boolean;
}

/** What a scope needs to know of a task owner (task group or run root). */
export interface ScopeNursery {
  readonly scope: Scope;
}

/** An intrusive cancellation hook (no closure, no Set entry per wait). */
export interface CancelNode {
  prevNode: CancelNode | undefined;
  nextNode: CancelNode | undefined;
  linkedTo: Scope | undefined;
  cancel(error: CancelledError): void;
}

// How many open scopes are cancelled: while none is, a cancellation point
// that does not suspend needs no ambient-scope lookup at all.
let cancelledOpen = 0;

/**
 * The current scope if it is cancelled, else undefined; free (no
 * AsyncLocalStorage lookup) while no open scope anywhere is cancelled.
 */
export function cancelledScope(): Scope | undefined {
  if (cancelledOpen === 0) return undefined;
  const scope = currentScope();
  return scope !== undefined && scope.cancelled ? scope : undefined;
}

// Cancellations are delivered from one work list, never recursively: a
// cancelled wait may cancel other scopes (an awaiter cancels the task it
// awaits), and a chain of 100,000 tasks awaiting each other, or 100,000
// nested groups, must not need a stack that deep.
const pendingCancels: Scope[] = [];
let draining = false;

function drainCancels(): void {
  draining = true;
  try {
    for (
      let scope = pendingCancels.pop();
      scope !== undefined;
      scope = pendingCancels.pop()
    ) {
      scope._fire();
    }
  } finally {
    draining = false;
  }
}

/** A hook called once when a scope becomes cancelled. */
export type CancelHook = (error: CancelledError) => void;

export type { WaitKind };

/**
 * Sees every cancellation point that suspends: gets the scope, the kind of
 * wait and a detail (the deadline, the future…), and may return a function
 * that the cancellation point calls when the wait ends, right before it
 * settles the promise the caller awaits (so that watching adds no turn and
 * changes no order).
 */
export type WaitHook = (
  scope: Scope,
  kind: WaitKind,
  detail: unknown,
) => (() => void) | undefined;

/**
 * Set only while debug mode, a trace or virtual time is active, so that the
 * cancellation points cost one property read otherwise.
 */
export const waitHook: { current: WaitHook | undefined } = {
  current: undefined,
};

/** The ambient current scope. */
export const storage: AsyncLocalStorage<Scope> = new AsyncLocalStorage<Scope>();

/** One node of the cancellation tree. */
export class Scope {
  /** The enclosing scope; `undefined` at a root. */
  readonly parent: Scope | undefined;
  /** The task whose code runs in this scope, if any. */
  readonly task: ScopeTask | undefined;
  /** The run this scope belongs to, inherited from the parent. */
  readonly loop: ScopeLoop | undefined;
  /** A shielded scope does not receive its parent's cancellation. */
  readonly shielded: boolean;
  /** Effectively cancelled: by its own `cancel()` or an ancestor's. */
  cancelled = false;
  /** `cancel()` was called on this scope itself. */
  cancelCalled = false;
  /** Left: no longer the current scope of anything. */
  closed = false;
  /**
   * This scope's own deadline on aio's clock (`Infinity`: none). A deadline
   * is a field of the cancel scope, as in Trio; timeouts set and move it.
   */
  deadline = Infinity;
  /** The reason of the cancellation that reached this scope. */
  reason: unknown = undefined;
  /** The error the signal was aborted with (created on cancellation). */
  error: CancelledError | undefined = undefined;
  /** Set on scopes that own tasks (task groups, the run root). */
  nursery: ScopeNursery | undefined = undefined;
  /** A label for debugging (the task tree). */
  label: string;
  // Children as an intrusive doubly linked list: one per task, so no Set.
  #firstChild: Scope | undefined;
  #prevSibling: Scope | undefined;
  #nextSibling: Scope | undefined;
  #controller: AbortController | undefined;

  constructor(
    parent: Scope | undefined,
    task: ScopeTask | undefined,
    label: string,
    shielded = false,
    loop: ScopeLoop | undefined = parent?.loop,
  ) {
    this.parent = parent;
    this.task = task;
    this.loop = loop;
    this.shielded = shielded;
    this.label = label;
    if (parent !== undefined) {
      const first = parent.#firstChild;
      if (first !== undefined) {
        first.#prevSibling = this;
        this.#nextSibling = first;
      }
      parent.#firstChild = this;
      if (!shielded && parent.cancelled) {
        this.cancelled = true;
        cancelledOpen++;
        this.reason = parent.reason;
        this.error = parent.error;
      }
    }
  }

  /** An AbortSignal that aborts when this scope is cancelled. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.cancelled) this.#controller.abort(this.error);
    }
    return this.#controller.signal;
  }

  /** The live child scopes, oldest first (for the task tree). */
  children(): Scope[] {
    const list: Scope[] = [];
    for (let c = this.#firstChild; c !== undefined; c = c.#nextSibling) {
      list.push(c);
    }
    return list.reverse();
  }

  /**
   * Cancels this scope and everything below it that is not shielded.
   * Returns false if it was already cancelled or closed.
   */
  cancel(reason?: unknown): boolean {
    if (this.closed || this.cancelCalled) return false;
    this.cancelCalled = true;
    if (this.cancelled) return false;
    this.#mark(reason, new CancelledError(reason));
    pendingCancels.push(this);
    if (!draining) drainCancels();
    return true;
  }

  #mark(reason: unknown, error: CancelledError): void {
    this.cancelled = true;
    if (!this.closed) cancelledOpen++;
    this.reason = reason;
    this.error = error;
  }

  /** @internal Delivers a marked cancellation: signal, waits, then children. */
  _fire(): void {
    const error = this.error!;
    this.#controller?.abort(error);
    for (let node = this.#nodeHead; node !== undefined; node = this.#nodeHead) {
      this.unlink(node);
      node.cancel(this.deliver());
    }
    // A child may close (and unlink itself) while it is being cancelled,
    // so read the next sibling first.
    let child = this.#firstChild;
    while (child !== undefined) {
      const next: Scope | undefined = child.#nextSibling;
      if (!child.shielded && !child.cancelled) {
        child.#mark(this.reason, error);
        pendingCancels.push(child);
      }
      child = next;
    }
  }

  // The waits blocked in this scope, as an intrusive list: a wait links its
  // own node (no Set entry, no closure per wait in the primitives).
  #nodeHead: CancelNode | undefined;

  /** Links a node whose cancel() runs once when this scope is cancelled. */
  link(node: CancelNode): void {
    node.prevNode = undefined;
    node.nextNode = this.#nodeHead;
    if (this.#nodeHead !== undefined) this.#nodeHead.prevNode = node;
    this.#nodeHead = node;
    node.linkedTo = this;
  }

  /** Unlinks a node linked with link() (no-op if it is not linked here). */
  unlink(node: CancelNode): void {
    if (node.linkedTo !== this) return;
    node.linkedTo = undefined;
    if (node.prevNode === undefined) this.#nodeHead = node.nextNode;
    else node.prevNode.nextNode = node.nextNode;
    if (node.nextNode !== undefined) node.nextNode.prevNode = node.prevNode;
    node.prevNode = node.nextNode = undefined;
  }

  /**
   * Registers `hook` to run when this scope becomes cancelled; returns the
   * function that unregisters it. The caller checks `cancelled` first.
   * (A closure-friendly form of {@linkcode Scope.link}.)
   */
  onCancel(hook: CancelHook): () => void {
    const node: CancelNode = {
      prevNode: undefined,
      nextNode: undefined,
      linkedTo: undefined,
      cancel: hook,
    };
    this.link(node);
    return () => this.unlink(node);
  }

  /**
   * The error a cancellation point throws now, noting on the task that its
   * own cancellation was delivered (asyncio: a task that caught it and
   * returned a value completes with that value).
   */
  deliver(): CancelledError {
    const task = this.task;
    if (task !== undefined && task.scope.cancelled) task.cancelDelivered = true;
    return new CancelledError(this.reason, { cause: this.error });
  }

  /** Leaves the scope: it stops being anyone's parent or current scope. */
  close(): void {
    if (this.closed) return;
    if (this.cancelled) cancelledOpen--;
    this.closed = true;
    const parent = this.parent;
    if (parent === undefined) return;
    const prev = this.#prevSibling;
    const next = this.#nextSibling;
    if (prev === undefined) {
      if (parent.#firstChild === this) parent.#firstChild = next;
    } else prev.#nextSibling = next;
    if (next !== undefined) next.#prevSibling = prev;
    this.#prevSibling = this.#nextSibling = undefined;
  }

  /** True if an ancestor (not crossing a shield) is cancelled. */
  outerCancelled(): boolean {
    return !this.shielded && this.parent !== undefined && this.parent.cancelled;
  }
}

/** The current scope, skipping any that were left (see TaskGroup's `using`). */
export function currentScope(): Scope | undefined {
  let scope = storage.getStore();
  while (scope !== undefined && scope.closed) scope = scope.parent;
  return scope;
}

/** Throws `CancelledError` if the current scope is cancelled. */
export function throwIfCancelled(
  scope: Scope | undefined = currentScope(),
): void {
  if (scope !== undefined && scope.cancelled) throw scope.deliver();
}
