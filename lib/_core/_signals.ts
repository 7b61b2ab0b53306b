// Signal names and numbers, checked before anything is installed: the loop's
// signal handlers, `signalReceiver`, `runMain` and the subprocess API all
// validate through here, so an unknown name is the same TypeError
// everywhere and nothing is left half-installed.

import { show } from "./_checks.ts";

// Linux numbering; macOS and the BSDs differ for a few (below).
const LINUX: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
  SIGUNUSED: 31,
};

const BSD: Record<string, number> = {
  ...LINUX,
  SIGEMT: 7,
  SIGBUS: 10,
  SIGSYS: 12,
  SIGURG: 16,
  SIGSTOP: 17,
  SIGTSTP: 18,
  SIGCONT: 19,
  SIGCHLD: 20,
  SIGIO: 23,
  SIGPOLL: 23,
  SIGINFO: 29,
  SIGUSR1: 30,
  SIGUSR2: 31,
};

const NUMBERS: Readonly<Record<string, number>> =
  Deno.build.os === "linux" || Deno.build.os === "windows" ? LINUX : BSD;

// Signals a process cannot (or Deno will not let it) handle.
const UNHANDLEABLE = new Set([
  "SIGKILL",
  "SIGSTOP",
  "SIGSEGV",
  "SIGILL",
  "SIGFPE",
]);

/** The number of a signal (for exit codes 128 + n and return codes -n). */
export function signalNumber(name: string): number {
  return NUMBERS[name] ?? 0;
}

/**
 * Validates a signal name: a TypeError for anything but a known name, and,
 * when `handle` is set, for signals no handler can catch (SIGKILL, SIGSTOP).
 */
export function checkSignal(
  sig: unknown,
  what: string,
  handle = false,
): Deno.Signal {
  if (typeof sig !== "string" || !Object.hasOwn(NUMBERS, sig)) {
    throw new TypeError(
      `${what}: unknown signal ${show(sig)}; expected a name like "SIGINT"`,
    );
  }
  if (handle && UNHANDLEABLE.has(sig)) {
    throw new TypeError(`${what}: signal ${sig} cannot be handled`);
  }
  if (handle && Deno.build.os === "windows" && sig !== "SIGINT") {
    throw new TypeError(`${what}: only SIGINT can be handled on Windows`);
  }
  return sig as Deno.Signal;
}

/** Validates an array of signal names to handle (all before any is used). */
export function checkSignalList(
  list: unknown,
  what: string,
  name: string,
): Deno.Signal[] {
  if (!Array.isArray(list)) {
    throw new TypeError(
      `${what}: ${name} must be an array of signal names, got ${show(list)}`,
    );
  }
  return list.map((sig) => checkSignal(sig, what, true));
}

// A Deno signal listener does not keep the process alive, but a program
// waiting for a signal must stay (asyncio's loop runs on while a handler is
// installed; Trio's receiver waits). One host timer, held while anyone
// holds it.
let holders = 0;
let keeper: ReturnType<typeof setInterval> | undefined;

/** Keeps the process alive until the returned function is called. */
export function keepAlive(): () => void {
  if (holders++ === 0) keeper = setInterval(() => {}, 1 << 30);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) {
      clearInterval(keeper);
      keeper = undefined;
    }
  };
}

// How many aio listeners each signal has (the subprocess API's SIGINT
// forwarding asks whether anyone in aio handles SIGINT).
const counts = new Map<string, number>();

/** How many aio listeners (handlers, receivers, runMain) `sig` has now. */
export function listening(sig: Deno.Signal): number {
  return counts.get(sig) ?? 0;
}

/** A Deno signal listener that is removed by calling the returned function. */
export function listen(sig: Deno.Signal, listener: () => void): () => void {
  Deno.addSignalListener(sig, listener);
  counts.set(sig, listening(sig) + 1);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    counts.set(sig, listening(sig) - 1);
    Deno.removeSignalListener(sig, listener);
  };
}
