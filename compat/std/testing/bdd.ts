/**
 * npm-only stand-in for `@std/testing/bdd`: `describe`/`it` with the four
 * hooks, mapped onto `Deno.test` (top level) and `t.step` (nested), as @std
 * does. Supported: the `(name, fn)`, `(name, options, fn)` and
 * `({ name, fn, ...options })` call forms, `.only`, `.ignore`/`.skip`, the
 * `this` context shared by hooks and tests, and top-level hooks. Not
 * supported: passing a suite object as the first argument.
 *
 * @module
 */

/** A test body: `this` is the context object the hooks also see. */
export type TestFn<T> = (
  this: T,
  t: Deno.TestContext,
) => void | Promise<void>;

/** A hook body: `this` is the suite's (or, for each-hooks, test's) context. */
export type HookFn<T> = (this: T) => void | Promise<void>;

/** Options shared by `describe` and `it`, passed on to Deno's test runner. */
export interface TestOptions {
  /** Skip this test or suite. */
  ignore?: boolean;
  /** Run only the tests and suites marked `only`. */
  only?: boolean;
  /** Permissions for a top-level test (ignored on nested ones, as in Deno). */
  permissions?: Deno.PermissionOptions;
  /** Check that async ops started by the test finish within it. */
  sanitizeOps?: boolean;
  /** Check that resources opened by the test are closed within it. */
  sanitizeResources?: boolean;
  /** Check that the test does not call `Deno.exit`. */
  sanitizeExit?: boolean;
}

/** The object form of `it`. */
export interface ItDefinition<T> extends TestOptions {
  /** The test's name. */
  name: string;
  /** The test's body. */
  fn: TestFn<T>;
}

/** The object form of `describe`. */
export interface DescribeDefinition<T> extends TestOptions {
  /** The suite's name. */
  name: string;
  /** Registers the suite's tests and hooks; must be synchronous. */
  fn?: (this: T) => void;
}

interface Hooks {
  beforeAll: HookFn<unknown>[];
  afterAll: HookFn<unknown>[];
  beforeEach: HookFn<unknown>[];
  afterEach: HookFn<unknown>[];
}

interface Suite {
  kind: "suite";
  name: string;
  options: TestOptions;
  parent: Suite | undefined;
  children: (Suite | Test)[];
  hooks: Hooks;
}

interface Test {
  kind: "test";
  name: string;
  options: TestOptions;
  fn: TestFn<unknown>;
}

function newSuite(
  name: string,
  options: TestOptions,
  parent: Suite | undefined,
): Suite {
  return {
    kind: "suite",
    name,
    options,
    parent,
    children: [],
    hooks: { beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] },
  };
}

// Hooks declared outside any describe apply to every test in the module.
const root = newSuite("", {}, undefined);
const rootContext: object = {};
let building: Suite | undefined;
let topLevelCount = 0;
let topLevelDone = 0;
let rootStarted: Promise<void> | undefined;

// Deno 2.9 runs no sanitizer at all when `sanitizeOps` and
// `sanitizeResources` are both present but undefined, so only the options
// actually given are passed on.
function given<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

function stepOptions(options: TestOptions): TestOptions {
  const { ignore, sanitizeOps, sanitizeResources, sanitizeExit } = options;
  return given({ ignore, sanitizeOps, sanitizeResources, sanitizeExit });
}

async function runHooks(hooks: HookFn<unknown>[], context: object) {
  for (const hook of hooks) await hook.call(context);
}

async function runTest(
  test: Test,
  t: Deno.TestContext,
  suiteContext: object,
  chain: Suite[],
): Promise<void> {
  const context = Object.create(suiteContext);
  try {
    for (const suite of chain) await runHooks(suite.hooks.beforeEach, context);
    await test.fn.call(context, t);
  } finally {
    for (const suite of chain.toReversed()) {
      await runHooks(suite.hooks.afterEach, context);
    }
  }
}

async function runSuite(
  suite: Suite,
  t: Deno.TestContext,
  parentContext: object,
  chain: Suite[],
): Promise<void> {
  const context = Object.create(parentContext);
  const inner = [...chain, suite];
  const onlyMode = suite.children.some((child) => child.options.only);
  await runHooks(suite.hooks.beforeAll, context);
  try {
    for (const child of suite.children) {
      await t.step({
        ...stepOptions(child.options),
        name: child.name,
        ignore: child.options.ignore || (onlyMode && !child.options.only),
        fn: (inner_t) =>
          child.kind === "suite"
            ? runSuite(child, inner_t, context, inner)
            : runTest(child, inner_t, context, inner),
      });
    }
  } finally {
    await runHooks(suite.hooks.afterAll, context);
  }
}

function register(node: Suite | Test): void {
  if (building) {
    building.children.push(node);
    return;
  }
  if (!node.options.ignore) topLevelCount++;
  Deno.test({
    ...given(node.options),
    name: node.name,
    async fn(t) {
      rootStarted ??= runHooks(root.hooks.beforeAll, rootContext);
      await rootStarted;
      try {
        if (node.kind === "suite") {
          await runSuite(node, t, rootContext, [root]);
        } else {
          await runTest(node, t, rootContext, [root]);
        }
      } finally {
        // Module-level afterAll hooks run after the last top-level test.
        if (++topLevelDone === topLevelCount) {
          await runHooks(root.hooks.afterAll, rootContext);
        }
      }
    },
  });
}

// `only` deep inside a suite makes every enclosing suite `only` too, or
// Deno would never reach it.
function markOnly(options: TestOptions): void {
  if (!options.only) return;
  for (let s = building; s; s = s.parent) s.options.only = true;
}

type ItArgs<T> =
  | [definition: ItDefinition<T>]
  | [name: string, fn: TestFn<T>]
  | [name: string, options: TestOptions, fn: TestFn<T>];

function itDefinition<T>(args: ItArgs<T>): ItDefinition<T> {
  if (args.length === 1) return args[0];
  if (args.length === 2) return { name: args[0], fn: args[1] };
  return { ...args[1], name: args[0], fn: args[2] };
}

type DescribeArgs<T> =
  | [definition: DescribeDefinition<T>]
  | [name: string, fn: (this: T) => void]
  | [name: string, options: TestOptions, fn: (this: T) => void];

function describeDefinition<T>(args: DescribeArgs<T>): DescribeDefinition<T> {
  if (args.length === 1) return args[0];
  if (args.length === 2) return { name: args[0], fn: args[1] };
  return { ...args[1], name: args[0], fn: args[2] };
}

function addTest<T>(definition: ItDefinition<T>): void {
  const { name, fn, ...options } = definition;
  markOnly(options);
  register({ kind: "test", name, options, fn: fn as TestFn<unknown> });
}

function addSuite<T>(definition: DescribeDefinition<T>): void {
  const { name, fn, ...options } = definition;
  markOnly(options);
  const suite = newSuite(name, { ...options }, building);
  const outer = building;
  building = suite;
  try {
    const result: unknown = fn?.call({} as T);
    if (result instanceof Promise) {
      throw new Error(
        "Returning a Promise from 'describe' is not supported: tests must be defined synchronously",
      );
    }
  } finally {
    building = outer;
  }
  register(suite);
}

/** Registers a test (a step when inside `describe`). */
export interface ItFunction {
  /** @param args `(name, fn)`, `(name, options, fn)` or `({ name, fn })`. */
  <T>(...args: ItArgs<T>): void;
  /** Like `it`, but only tests marked `only` run. */
  only<T>(...args: ItArgs<T>): void;
  /** Like `it`, but the test is skipped. */
  ignore<T>(...args: ItArgs<T>): void;
  /** Alias of `ignore`. */
  skip<T>(...args: ItArgs<T>): void;
}

/** Registers a suite: its tests become steps of one Deno test. */
export interface DescribeFunction {
  /** @param args `(name, fn)`, `(name, options, fn)` or `({ name, fn })`. */
  <T>(...args: DescribeArgs<T>): void;
  /** Like `describe`, but only suites and tests marked `only` run. */
  only<T>(...args: DescribeArgs<T>): void;
  /** Like `describe`, but the whole suite is skipped. */
  ignore<T>(...args: DescribeArgs<T>): void;
  /** Alias of `ignore`. */
  skip<T>(...args: DescribeArgs<T>): void;
}

/** Registers a test; inside `describe` it becomes a step of the suite. */
export const it: ItFunction = Object.assign(
  function it<T>(...args: ItArgs<T>): void {
    addTest(itDefinition(args));
  },
  {
    only<T>(...args: ItArgs<T>): void {
      addTest({ ...itDefinition(args), only: true });
    },
    ignore<T>(...args: ItArgs<T>): void {
      addTest({ ...itDefinition(args), ignore: true });
    },
    skip<T>(...args: ItArgs<T>): void {
      addTest({ ...itDefinition(args), ignore: true });
    },
  },
);

/** Alias of {@linkcode it}. */
export const test: ItFunction = it;

/** Registers a suite of tests, hooks and nested suites. */
export const describe: DescribeFunction = Object.assign(
  function describe<T>(...args: DescribeArgs<T>): void {
    addSuite(describeDefinition(args));
  },
  {
    only<T>(...args: DescribeArgs<T>): void {
      addSuite({ ...describeDefinition(args), only: true });
    },
    ignore<T>(...args: DescribeArgs<T>): void {
      addSuite({ ...describeDefinition(args), ignore: true });
    },
    skip<T>(...args: DescribeArgs<T>): void {
      addSuite({ ...describeDefinition(args), ignore: true });
    },
  },
);

function hooksHere(): Hooks {
  return (building ?? root).hooks;
}

/**
 * Runs `fn` once before the tests of the enclosing suite (or module).
 *
 * @param fn The hook.
 */
export function beforeAll<T>(fn: HookFn<T>): void {
  hooksHere().beforeAll.push(fn as HookFn<unknown>);
}

/**
 * Runs `fn` once after the tests of the enclosing suite (or module).
 *
 * @param fn The hook.
 */
export function afterAll<T>(fn: HookFn<T>): void {
  hooksHere().afterAll.push(fn as HookFn<unknown>);
}

/**
 * Runs `fn` before each test of the enclosing suite, nested ones included.
 *
 * @param fn The hook.
 */
export function beforeEach<T>(fn: HookFn<T>): void {
  hooksHere().beforeEach.push(fn as HookFn<unknown>);
}

/**
 * Runs `fn` after each test of the enclosing suite, nested ones included.
 *
 * @param fn The hook.
 */
export function afterEach<T>(fn: HookFn<T>): void {
  hooksHere().afterEach.push(fn as HookFn<unknown>);
}

/** Alias of {@linkcode beforeAll}. */
export const before: typeof beforeAll = beforeAll;

/** Alias of {@linkcode afterAll}. */
export const after: typeof afterAll = afterAll;
