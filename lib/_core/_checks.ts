// Argument checks shared by every public API: clear TypeErrors before
// anything starts, with the closest known option named when one is misspelt.

/** Validates a duration in milliseconds (negative means already due). */
export function checkDelay(ms: unknown, what: string): number {
  if (typeof ms !== "number" || Number.isNaN(ms)) {
    throw new TypeError(
      `${what}: delay must be a number of milliseconds, got ${show(ms)}`,
    );
  }
  return ms;
}

/** Validates that `fn` is a function. */
export function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== "function") {
    throw new TypeError(`${what}: expected a function, got ${show(fn)}`);
  }
}

/** A short description of a bad value for error messages. */
export function show(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (typeof value === "function") return "a function";
  return typeof value === "object"
    ? (value.constructor?.name ?? "an object")
    : typeof value;
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const temp = row[j];
      row[j] = Math.min(
        row[j] + 1,
        row[j - 1] + 1,
        prev + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1),
      );
      prev = temp;
    }
  }
  return row[b.length];
}

/** The expected type of one option: a typeof name, or a custom check. */
export type OptionSpec =
  | "boolean"
  | "number"
  | "string"
  | "function"
  | "object"
  | ((value: unknown) => string | undefined);

/**
 * Checks an options object: `undefined` is fine, anything but a plain object
 * is a TypeError, an unknown name is a TypeError naming the closest known
 * one, and a value of the wrong type is a TypeError. `undefined` values are
 * allowed (an option left out).
 */
export function checkOptions<T>(
  options: T,
  spec: Record<string, OptionSpec>,
  what: string,
): T {
  if (options === undefined) return options;
  if (
    options === null || typeof options !== "object" || Array.isArray(options)
  ) {
    throw new TypeError(
      `${what}: options must be an object, got ${show(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    const expected = spec[key];
    if (expected === undefined) {
      const known = Object.keys(spec);
      let best = "";
      let bestDistance = Infinity;
      for (const name of known) {
        const d = distance(key, name);
        if (d < bestDistance) {
          best = name;
          bestDistance = d;
        }
      }
      const hint = bestDistance <= Math.max(2, Math.floor(key.length / 3))
        ? `; did you mean ${best}?`
        : `; known options: ${known.join(", ")}`;
      throw new TypeError(
        `${what}: unknown option ${JSON.stringify(key)}${hint}`,
      );
    }
    const value = (options as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof expected === "function") {
      const problem = expected(value);
      if (problem !== undefined) {
        throw new TypeError(
          `${what}: option ${key} ${problem}, got ${show(value)}`,
        );
      }
    } else if (
      typeof value !== expected || (expected === "object" && value === null)
    ) {
      throw new TypeError(
        `${what}: option ${key} must be a ${expected}, got ${show(value)}`,
      );
    }
  }
  return options;
}

/** A value as text for traces and reports (an error as `Name: message`). */
export function showValue(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
