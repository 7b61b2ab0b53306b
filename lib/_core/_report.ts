// Where an error goes when no caller can receive it: the exception handler
// of the run it belongs to (asyncio's `loop.call_exception_handler`), else
// stderr. Reporting never throws: a throwing handler is itself reported to
// stderr along with the error it was given, so neither is lost.

import { currentScope, type Scope } from "./_scope.ts";

// What of the loop this file uses (the loop imports tasks: no import here).
interface LoopLike {
  readonly closed: boolean;
  callExceptionHandler?(error: unknown, context: { message: string }): void;
}

/** Prints an error that has nowhere else to go. */
export function printError(message: string, error: unknown): void {
  try {
    console.error(`aio: ${message}:`, error);
  } catch {
    // stderr itself is gone: nothing left to tell.
  }
}

/**
 * Reports `error` once to the loop of `scope` (its exception handler, else
 * stderr). Never throws.
 */
export function reportError(
  error: unknown,
  message: string,
  scope: Scope | undefined = currentScope(),
): void {
  const loop = scope?.loop as LoopLike | undefined;
  if (loop?.callExceptionHandler === undefined) {
    printError(message, error);
    return;
  }
  try {
    loop.callExceptionHandler(error, { message });
  } catch (handlerError) {
    printError(message, error);
    printError("Exception in the exception handler", handlerError);
  }
}
