/**
 * Test helpers for code built on aio (`@seed/aio/testing`): virtual time
 * that knows about tasks. Under {@linkcode withVirtualTime} every aio timer
 * (`sleep`, `timeout`, `callLater`, idle timeouts) runs on a
 * {@linkcode VirtualClock} that jumps to the next deadline as soon as every
 * task is blocked, so a test of a one-hour timeout runs in milliseconds and
 * always in the same order. Mirrors Trio's `MockClock(autojump_threshold)`
 * and Kotlin's `runTest`.
 *
 * @example
 * ```ts
 * import { withVirtualTime } from "@seed/aio/testing";
 * import { gather, run, sleep } from "@seed/aio";
 *
 * await withVirtualTime(async (clock) => {
 *   const order = await run(async () => {
 *     const seen: string[] = [];
 *     await gather(
 *       async () => { await sleep(60_000); seen.push("a minute"); },
 *       async () => { await sleep(1_000); seen.push("a second"); },
 *     );
 *     return seen;
 *   });
 *   console.log(order); // ["a second", "a minute"]
 *   console.log(clock.elapsed); // 60000
 * });
 * ```
 *
 * @module
 */

export {
  VirtualClock,
  type VirtualTimeOptions,
  withVirtualTime,
} from "./lib/virtual_time.ts";
