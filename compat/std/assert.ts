/**
 * npm-only stand-in for `@std/assert`, for networks where JSR cannot be
 * reached: the assertions this project's tests and docs use (not all of
 * @std's), with the real module's names, signatures and semantics. An
 * assertion used nowhere is not carried; add it here when a test needs it.
 *
 * `equal` follows @std's algorithm rather than `node:util`'s
 * `isDeepStrictEqual`, because the two disagree where tests notice: @std
 * treats `0` and `-0` as equal, compares class instances through their
 * prototype getters, and ignores the prototype of plain objects (`{}` equals
 * `Object.create(null)`); Node does the opposite in each case. Failure
 * messages use `Deno.inspect` with @std's options and a line diff.
 *
 * @module
 */

/** Any constructor, abstract or not, whatever its parameters. */
export type AnyConstructor<T = unknown> = abstract new (...args: never[]) => T;

/** The instance type a constructor builds. */
export type GetConstructorType<T extends AnyConstructor> = InstanceType<T>;

/** The values `assertFalse` lets through. */
export type Falsy = false | 0 | 0n | "" | null | undefined;

/** Thrown by every assertion in this module when it fails. */
export class AssertionError extends Error {
  /**
   * @param message What failed.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AssertionError";
  }
}

// ---------------------------------------------------------------- equality

function isPrimitive(x: unknown): boolean {
  return x === null || (typeof x !== "object" && typeof x !== "function");
}

// 0 and -0 are equal, and so are two NaNs.
function sameValueZero(a: unknown, b: unknown): boolean {
  return a === b || Object.is(a, b);
}

function constructorsEqual(a: object, b: object): boolean {
  return a.constructor === b.constructor ||
    a.constructor === Object && !b.constructor ||
    !a.constructor && b.constructor === Object;
}

function isBasicObject(obj: object): boolean {
  const proto = Object.getPrototypeOf(obj);
  return proto === null || proto === Object.prototype ||
    proto === Array.prototype;
}

function ownKeys(obj: object): (string | symbol)[] {
  return [
    ...Object.getOwnPropertyNames(obj),
    ...Object.getOwnPropertySymbols(obj),
  ];
}

// Class instances are compared through every key up their prototype chain,
// so that getters defined on a class take part, as in @std.
function keysDeep(obj: object | null): Set<string | symbol> {
  const keys = new Set<string | symbol>();
  while (
    obj !== null && obj !== Object.prototype && obj !== Array.prototype
  ) {
    for (const key of ownKeys(obj)) keys.add(key);
    obj = Object.getPrototypeOf(obj);
  }
  keys.delete("constructor");
  return keys;
}

// Classes whose instances are fully described by their string form.
const STRING_COMPARABLE: AnyConstructor[] = [
  Intl.Locale,
  RegExp,
  URL,
  URLSearchParams,
];

function get(obj: object, key: string | symbol): unknown {
  return (obj as Record<string | symbol, unknown>)[key];
}

/**
 * Deep equality as `assertEquals` uses it: structural for arrays, plain
 * objects, class instances, `Map`s, `Set`s and `Date`s; `NaN` equals `NaN`
 * and `0` equals `-0`; constructors must match.
 *
 * @param c The actual value.
 * @param d The expected value.
 * @returns Whether the two are deeply equal.
 */
export function equal(c: unknown, d: unknown): boolean {
  const seen = new Map<object, object>();
  return (function compare(a: unknown, b: unknown): boolean {
    if (sameValueZero(a, b)) return true;
    if (isPrimitive(a) || isPrimitive(b)) return false;
    if (a instanceof Date && b instanceof Date) {
      return sameValueZero(a.getTime(), b.getTime());
    }
    if (typeof a !== "object" || typeof b !== "object") return false;
    if (a === null || b === null || !constructorsEqual(a, b)) return false;
    if (a instanceof WeakMap || b instanceof WeakMap) {
      if (!(a instanceof WeakMap && b instanceof WeakMap)) return false;
      throw new TypeError("cannot compare WeakMap instances");
    }
    if (a instanceof WeakSet || b instanceof WeakSet) {
      if (!(a instanceof WeakSet && b instanceof WeakSet)) return false;
      throw new TypeError("cannot compare WeakSet instances");
    }
    if (a instanceof WeakRef || b instanceof WeakRef) {
      if (!(a instanceof WeakRef && b instanceof WeakRef)) return false;
      return compare(a.deref(), b.deref());
    }
    if (seen.get(a) === b) return true;
    if (Object.keys(a).length !== Object.keys(b).length) return false;
    seen.set(a, b);

    if (
      (a instanceof Set || a instanceof Map) &&
      (b instanceof Set || b instanceof Map)
    ) {
      if (a.size !== b.size) return false;
      const aKeys = [...a.keys()];
      if (aKeys.every(isPrimitive)) {
        if (a instanceof Set) return aKeys.every((k) => b.has(k));
        const bMap = b as Map<unknown, unknown>;
        return aKeys.every((k) =>
          bMap.has(k) && compare(a.get(k), bMap.get(k))
        );
      }
      // Object keys: each entry of `a` needs a deeply equal entry in `b`.
      let unmatched = a.size;
      for (const [aKey, aValue] of a.entries()) {
        for (const [bKey, bValue] of b.entries()) {
          if (!compare(aKey, bKey)) continue;
          if ((aKey === aValue && bKey === bValue) || compare(aValue, bValue)) {
            unmatched--;
            break;
          }
        }
      }
      return unmatched === 0;
    }

    let keys: Iterable<string | symbol>;
    if (isBasicObject(a)) {
      keys = ownKeys({ ...a, ...b });
    } else if (STRING_COMPARABLE.some((Ctor) => a instanceof Ctor)) {
      return String(a) === String(b);
    } else {
      keys = keysDeep(a).union(keysDeep(b));
    }
    for (const key of keys) {
      if (!compare(get(a, key), get(b, key))) return false;
      if ((key in a) !== (key in b)) return false;
    }
    return true;
  })(c, d);
}

// ---------------------------------------------------------------- messages

/** Renders a value the way @std's assertion messages do. */
function format(value: unknown): string {
  return Deno.inspect(value, {
    depth: Infinity,
    sorted: true,
    trailingComma: true,
    compact: false,
    iterableLimit: Infinity,
    getters: true,
    strAbbreviateSize: Infinity,
  });
}

function suffix(msg: string | undefined): string {
  return msg ? `: ${msg}` : ".";
}

// Past this many cells the LCS table costs more than the message is worth.
const MAX_DIFF_CELLS = 4_000_000;

/** A line diff of two renderings, `-` for actual and `+` for expected. */
function diffLines(actual: string[], expected: string[]): string[] {
  const n = actual.length;
  const m = expected.length;
  if (n * m > MAX_DIFF_CELLS) {
    return [
      ...actual.map((l) => `-   ${l}`),
      ...expected.map((l) => `+   ${l}`),
    ];
  }
  // lcs[i][j]: longest common subsequence of actual[i..] and expected[j..].
  const lcs: Uint32Array[] = Array.from(
    { length: n + 1 },
    () => new Uint32Array(m + 1),
  );
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = actual[i] === expected[j]
        ? lcs[i + 1][j + 1] + 1
        : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && actual[i] === expected[j]) {
      out.push(`    ${actual[i++]}`);
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push(`+   ${expected[j++]}`);
    } else {
      out.push(`-   ${actual[i++]}`);
    }
  }
  return out;
}

function diffMessage(
  header: string,
  actual: unknown,
  expected: unknown,
): string {
  const lines = diffLines(
    format(actual).split("\n"),
    format(expected).split("\n"),
  );
  return `${header}\n\n    [Diff] Actual / Expected\n\n\n${lines.join("\n")}\n`;
}

// -------------------------------------------------------------- assertions

/**
 * Asserts that `expr` is truthy.
 *
 * @param expr The value to test.
 * @param msg The message to fail with.
 */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg);
}

/**
 * Asserts that `expr` is falsy.
 *
 * @param expr The value to test.
 * @param msg The message to fail with.
 */
export function assertFalse(expr: unknown, msg = ""): asserts expr is Falsy {
  if (expr) throw new AssertionError(msg);
}

/**
 * Asserts that `actual` and `expected` are deeply equal (see {@linkcode equal}).
 *
 * @param actual The value produced.
 * @param expected The value wanted.
 * @param msg Added to the failure message.
 */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  if (equal(actual, expected)) return;
  throw new AssertionError(
    diffMessage(`Values are not equal${suffix(msg)}`, actual, expected),
  );
}

/**
 * Asserts that `actual` and `expected` are not deeply equal.
 *
 * @param actual The value produced.
 * @param expected The value it must differ from.
 * @param msg Added to the failure message.
 */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  if (!equal(actual, expected)) return;
  throw new AssertionError(
    `Expected actual: ${String(actual)} not to be: ${String(expected)}${
      suffix(msg)
    }`,
  );
}

/**
 * Asserts that `actual` is `expected` by `Object.is`.
 *
 * @param actual The value produced.
 * @param expected The value it must be.
 * @param msg Added to the failure message.
 */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T {
  if (Object.is(actual, expected)) return;
  const actualString = format(actual);
  if (actualString === format(expected)) {
    const shown = actualString.split("\n").map((l) => `    ${l}`).join("\n");
    throw new AssertionError(
      `Values have the same structure but are not reference-equal${
        suffix(msg)
      }\n\n${shown}\n`,
    );
  }
  throw new AssertionError(
    diffMessage(
      `Values are not strictly equal${suffix(msg)}`,
      actual,
      expected,
    ),
  );
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "object") return value.constructor?.name ?? "Object";
  return typeof value;
}

/**
 * Asserts that `actual` is an instance of `expectedType`.
 *
 * @param actual The value to test.
 * @param expectedType The class it must be an instance of.
 * @param msg Added to the failure message.
 */
export function assertInstanceOf<T extends AnyConstructor>(
  actual: unknown,
  expectedType: T,
  msg = "",
): asserts actual is GetConstructorType<T> {
  if (actual instanceof expectedType) return;
  const expectedName = expectedType.name;
  const actualName = typeName(actual);
  const tail = actualName === expectedName
    ? ""
    : actualName === "function"
    ? " but was not an instanced object"
    : ` but was "${actualName}"`;
  throw new AssertionError(
    `Expected object to be an instance of "${expectedName}"${tail}${
      suffix(msg)
    }`,
  );
}

/**
 * Asserts that `actual` matches the pattern `expected`.
 *
 * @param actual The string to test.
 * @param expected The pattern it must match.
 * @param msg Added to the failure message.
 */
export function assertMatch(
  actual: string,
  expected: RegExp,
  msg?: string,
): void {
  if (expected.test(actual)) return;
  throw new AssertionError(
    `Expected actual: "${actual}" to match: "${expected}"${suffix(msg)}`,
  );
}

/**
 * Asserts that `actual` contains the substring `expected`.
 *
 * @param actual The string to test.
 * @param expected The substring it must contain.
 * @param msg Added to the failure message.
 */
export function assertStringIncludes(
  actual: string,
  expected: string,
  msg?: string,
): void {
  if (actual.includes(expected)) return;
  throw new AssertionError(
    `Expected actual: "${actual}" to contain: "${expected}"${suffix(msg)}`,
  );
}

function isObjectLike(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

/**
 * Asserts `actual > expected`.
 *
 * @param actual The value produced.
 * @param expected The bound it must exceed.
 * @param msg Replaces the failure message.
 */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (actual > expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} > ${format(expected)}`,
  );
}

/**
 * Asserts `actual >= expected`.
 *
 * @param actual The value produced.
 * @param expected The lower bound.
 * @param msg Replaces the failure message.
 */
export function assertGreaterOrEqual<T>(
  actual: T,
  expected: T,
  msg?: string,
): void {
  if (actual >= expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} >= ${format(expected)}`,
  );
}

/**
 * Asserts `actual < expected`.
 *
 * @param actual The value produced.
 * @param expected The bound it must stay under.
 * @param msg Replaces the failure message.
 */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (actual < expected) return;
  throw new AssertionError(
    msg ?? `Expect ${format(actual)} < ${format(expected)}`,
  );
}

/**
 * Asserts that `error` is an `Error`, optionally of class `ErrorClass` and
 * with a message that includes (string) or matches (RegExp) `msgMatches`.
 *
 * @param error The value to test.
 * @param ErrorClass The class it must be an instance of.
 * @param msgMatches What its message must include or match.
 * @param msg Added to the failure message.
 */
function assertIsError<E extends Error = Error>(
  error: unknown,
  ErrorClass?: AnyConstructor<E>,
  msgMatches?: string | RegExp,
  msg?: string,
): asserts error is E {
  if (!(error instanceof Error)) {
    throw new AssertionError(
      `Expected "error" to be an Error object${suffix(msg)}`,
    );
  }
  if (ErrorClass && !(error instanceof ErrorClass)) {
    throw new AssertionError(
      `Expected error to be instance of "${ErrorClass.name}", but was "${error.constructor?.name}"${
        suffix(msg)
      }`,
    );
  }
  if (msgMatches === undefined || msgMatches === "") return;
  const ok = typeof msgMatches === "string"
    ? error.message.includes(msgMatches)
    : msgMatches.test(error.message);
  if (ok) return;
  const wanted = typeof msgMatches === "string"
    ? JSON.stringify(msgMatches)
    : String(msgMatches);
  throw new AssertionError(
    `Expected error message to include ${wanted}, but got ${
      JSON.stringify(error.message)
    }${suffix(msg)}`,
  );
}

// Sorts out the (fn, msg) and (fn, ErrorClass, msgIncludes, msg) overloads.
function throwsArgs<E extends Error>(
  errorClassOrMsg: AnyConstructor<E> | string | undefined,
  msgIncludesOrMsg: string | undefined,
  msg: string | undefined,
): { ErrorClass?: AnyConstructor<E>; msgIncludes?: string; msg?: string } {
  if (typeof errorClassOrMsg === "string") return { msg: errorClassOrMsg };
  if (
    errorClassOrMsg === undefined ||
    errorClassOrMsg.prototype instanceof Error ||
    errorClassOrMsg.prototype === Error.prototype
  ) {
    return { ErrorClass: errorClassOrMsg, msgIncludes: msgIncludesOrMsg, msg };
  }
  return { msg: msgIncludesOrMsg };
}

/**
 * Asserts that `fn` throws; returns what it threw.
 *
 * @param fn The function expected to throw.
 * @param msg Added to the failure message.
 * @returns The thrown value.
 */
export function assertThrows(fn: () => unknown, msg?: string): unknown;
/**
 * Asserts that `fn` throws an instance of `ErrorClass` whose message includes
 * `msgIncludes`; returns the error.
 *
 * @param fn The function expected to throw.
 * @param ErrorClass The class the error must be an instance of.
 * @param msgIncludes What the error's message must include.
 * @param msg Added to the failure message.
 * @returns The thrown error.
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  ErrorClass: AnyConstructor<E>,
  msgIncludes?: string,
  msg?: string,
): E;
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  errorClassOrMsg?: AnyConstructor<E> | string,
  msgIncludesOrMsg?: string,
  msg?: string,
): E | unknown {
  const args = throwsArgs(errorClassOrMsg, msgIncludesOrMsg, msg);
  try {
    fn();
  } catch (error) {
    if (args.ErrorClass) {
      if (!(error instanceof Error)) {
        throw new AssertionError(
          `A non-Error object was thrown${suffix(args.msg)}`,
        );
      }
      assertIsError(error, args.ErrorClass, args.msgIncludes, args.msg);
    }
    return error;
  }
  throw new AssertionError(`Expected function to throw${suffix(args.msg)}`);
}

/**
 * Asserts that the promise `fn` returns rejects; resolves to the reason.
 *
 * @param fn The function whose promise is expected to reject.
 * @param msg Added to the failure message.
 * @returns The rejection reason.
 */
export function assertRejects(
  fn: () => PromiseLike<unknown>,
  msg?: string,
): Promise<unknown>;
/**
 * Asserts that the promise `fn` returns rejects with an instance of
 * `ErrorClass` whose message includes `msgIncludes`; resolves to the error.
 *
 * @param fn The function whose promise is expected to reject.
 * @param ErrorClass The class the error must be an instance of.
 * @param msgIncludes What the error's message must include.
 * @param msg Added to the failure message.
 * @returns The rejection error.
 */
export function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorClass: AnyConstructor<E>,
  msgIncludes?: string,
  msg?: string,
): Promise<E>;
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  errorClassOrMsg?: AnyConstructor<E> | string,
  msgIncludesOrMsg?: string,
  msg?: string,
): Promise<E | unknown> {
  const args = throwsArgs(errorClassOrMsg, msgIncludesOrMsg, msg);
  let returnedPromise = false;
  try {
    const maybePromise: unknown = fn();
    if (
      isObjectLike(maybePromise) &&
      typeof (maybePromise as PromiseLike<unknown>).then === "function"
    ) {
      returnedPromise = true;
      await maybePromise;
    }
  } catch (error) {
    if (!returnedPromise) {
      throw new AssertionError(
        `Function throws when expected to reject${suffix(args.msg)}`,
      );
    }
    if (args.ErrorClass) {
      if (!(error instanceof Error)) {
        throw new AssertionError(
          `A non-Error object was rejected${suffix(args.msg)}`,
        );
      }
      assertIsError(error, args.ErrorClass, args.msgIncludes, args.msg);
    }
    return error;
  }
  if (!returnedPromise) {
    throw new AssertionError(
      `Function throws when expected to reject${suffix(args.msg)}`,
    );
  }
  throw new AssertionError(`Expected function to reject${suffix(args.msg)}`);
}

/**
 * Fails unconditionally.
 *
 * @param msg Added to the failure message.
 */
export function fail(msg?: string): never {
  throw new AssertionError(`Failed assertion${suffix(msg)}`);
}

/**
 * Marks code that must never run; throws if it does.
 *
 * @param msg Added to the failure message.
 */
export function unreachable(msg?: string): never {
  throw new AssertionError(`Unreachable${suffix(msg)}`);
}
