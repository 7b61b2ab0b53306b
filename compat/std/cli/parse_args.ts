/**
 * npm-only stand-in for `@std/cli/parse-args`: `parseArgs` over `minimist`,
 * which @std's parser descends from. Where the two still differ, this
 * module follows @std:
 *
 * - a repeated flag keeps its last value unless it is listed in `collect`;
 * - `--no-foo` sets `foo: false` only when `foo` is listed in `negatable`,
 *   and is otherwise an ordinary flag named `no-foo`;
 * - `unknown(arg, key, value)` gets the key and value too, read from the
 *   argument's text (`key` is undefined for short-flag groups like `-xvf`).
 *
 * The result is typed by the `boolean`, `string`, `collect`, `default` and
 * `"--"` options; every other key is `unknown`.
 *
 * @module
 */

// @ts-types="@types/minimist"
import minimist from "minimist";

type Names<K extends string> = K | readonly K[];

/** Options for {@linkcode parseArgs}, as in @std. */
export interface ParseOptions<
  B extends string = never,
  S extends string = never,
  C extends string = never,
  D extends Record<string, unknown> = Record<never, never>,
  DD extends boolean = false,
> {
  /** Flags that are booleans; `true` makes every `--flag` without `=` one. */
  boolean?: boolean | Names<B>;
  /** Flags whose values stay strings (never converted to numbers). */
  string?: Names<S>;
  /** Flags that may repeat, collected into arrays. */
  collect?: Names<C>;
  /** Flags that `--no-<flag>` sets to `false`. */
  negatable?: Names<string>;
  /** Values for flags not given. */
  default?: D;
  /** Other names for flags: `{ h: "help" }`. */
  alias?: Record<string, string | readonly string[]>;
  /** Put the arguments after `--` in `"--"` instead of `_`. */
  "--"?: DD;
  /** Stop parsing at the first positional argument. */
  stopEarly?: boolean;
  /** Called for undeclared flags and positionals; returning `false` drops it. */
  unknown?: (arg: string, key?: string, value?: unknown) => unknown;
}

/** The parsed arguments: typed declared flags, `_`, and `unknown` others. */
export type Args<
  B extends string = never,
  S extends string = never,
  C extends string = never,
  D extends Record<string, unknown> = Record<never, never>,
  DD extends boolean = false,
> =
  & {
    [key: string]: unknown;
    /** Positional arguments (numbers when they look like numbers). */
    _: (string | number)[];
  }
  & {
    [K in B]: K extends C ? boolean[]
      : boolean | (K extends keyof D ? D[K] : never);
  }
  & {
    [K in S]: K extends C ? string[]
      : K extends keyof D ? string | D[K]
      : string | undefined;
  }
  & (DD extends true ? { "--": string[] } : unknown);

// Marks `--no-x` flags that must reach minimist as the plain flag `no-x`.
const PLAIN = "\u0000";

function names(value: boolean | Names<string> | undefined): string[] {
  if (value === undefined || typeof value === "boolean") return [];
  return typeof value === "string" ? [value] : [...value];
}

function plain(name: string): string {
  return name.startsWith("no-") ? PLAIN + name : name;
}

function unplain(name: string): string {
  return name.startsWith(PLAIN) ? name.slice(1) : name;
}

function withAliases(
  list: string[],
  alias: Record<string, string[]>,
): Set<string> {
  const set = new Set(list);
  for (const name of list) {
    for (const other of alias[name] ?? []) set.add(other);
  }
  return set;
}

function keyAndValue(arg: string): [string | undefined, string | undefined] {
  const long = /^--([^=]+)(?:=([\s\S]*))?$/.exec(arg);
  if (long) return [long[1], long[2]];
  const short = /^-([^-])$/.exec(arg);
  return short ? [short[1], undefined] : [undefined, undefined];
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// minimist turns a repeated flag into an array; @std keeps the last value
// unless the flag collects.
function settle(tree: Tree, path: string, collect: Set<string>): void {
  for (const [key, value] of Object.entries(tree)) {
    const dotted = path ? `${path}.${key}` : key;
    if (!path && (key === "_" || key === "--")) continue;
    if (collect.has(dotted)) {
      tree[key] = Array.isArray(value) ? value : [value];
    } else if (Array.isArray(value)) {
      tree[key] = value.at(-1);
    } else if (isTree(value)) {
      settle(value, dotted, collect);
    }
  }
}

/**
 * Parses command-line arguments the way @std's `parseArgs` does.
 *
 * @param args The arguments, usually `Deno.args`.
 * @param options Which flags are booleans, strings, aliases, defaults, ….
 * @returns The flags by name, with positionals in `_`.
 */
export function parseArgs<
  B extends string = never,
  S extends string = never,
  C extends string = never,
  D extends Record<string, unknown> = Record<never, never>,
  DD extends boolean = false,
>(
  args: string[],
  options: ParseOptions<B, S, C, D, DD> = {},
): Args<B, S, C, D, DD> {
  const alias: Record<string, string[]> = {};
  for (const [name, others] of Object.entries(options.alias ?? {})) {
    const list = typeof others === "string" ? [others] : [...others];
    alias[name] = list;
    for (const other of list) {
      alias[other] = [name, ...list.filter((o) => o !== other)];
    }
  }
  const negatable = withAliases(names(options.negatable), alias);
  const collect = withAliases(names(options.collect), alias);
  const strings = withAliases(names(options.string), alias);
  const booleans = withAliases(names(options.boolean), alias);

  const end = args.indexOf("--");
  const flags = (end === -1 ? args : args.slice(0, end)).map((arg) => {
    const negated = /^--no-([^=]+)$/.exec(arg);
    return negated && !negatable.has(negated[1])
      ? `--${PLAIN}no-${negated[1]}`
      : arg;
  });
  const rest = end === -1 ? [] : args.slice(end);

  const defaults: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options.default ?? {})) {
    defaults[plain(key)] = value;
  }
  const minimistAlias: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(options.alias ?? {})) {
    minimistAlias[plain(key)] = names(list).map(plain);
  }
  const unknown = options.unknown;

  const parsed = minimist([...flags, ...rest], {
    boolean: typeof options.boolean === "boolean"
      ? options.boolean
      : names(options.boolean).map(plain),
    string: names(options.string).map(plain),
    alias: minimistAlias,
    default: defaults,
    stopEarly: options.stopEarly ?? false,
    "--": options["--"] ?? false,
    unknown: unknown &&
      ((arg: string): boolean => {
        const original = arg.replace(`--${PLAIN}`, "--");
        const [key, value] = keyAndValue(original);
        return unknown(original, key, value) !== false;
      }),
  });

  const result: Tree = {};
  for (const [key, value] of Object.entries(parsed)) {
    result[unplain(key)] = value;
  }
  settle(result, "", collect);
  // Absent collecting flags are empty lists, if declared boolean or string.
  for (const key of collect) {
    if (!(key in result) && (strings.has(key) || booleans.has(key))) {
      result[key] = [];
    }
  }
  return result as Args<B, S, C, D, DD>;
}
