// Small pieces shared by the stream reader, writer and server.

import { now } from "../_core/_timers.ts";

/** When bytes last moved on a connection (for idle timeouts). */
export class Activity {
  last: number = now();

  /** Notes that bytes moved now. */
  touch(): void {
    this.last = now();
  }
}

/**
 * Whether a socket error only says that this side closed the socket while
 * an operation was under way (the stream simply ended).
 */
export function isLocalClose(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}
