/**
 * Synchronization primitives and queues: locks, events, conditions, semaphores, barriers, and FIFO, priority and LIFO queues.
 *
 * Also re-exported from `@seed/aio`.
 *
 * @example
 * ```ts
 * import { run } from "@seed/aio";
 * import { Lock } from "@seed/aio/sync";
 *
 * await run(async () => {
 *   const lock = new Lock();
 *   await lock.acquire();
 *   try {
 *     console.log(lock.locked()); // true
 *   } finally {
 *     lock.release();
 *   }
 * });
 * ```
 *
 * @module
 */

export { Lock, type LockGuard } from "./lock.ts";
export { Event } from "./event.ts";
export { Condition } from "./condition.ts";
export { Semaphore } from "./semaphore.ts";
export { BoundedSemaphore } from "./bounded_semaphore.ts";
export { Barrier, BrokenBarrierError } from "./barrier.ts";
export {
  Queue,
  QueueEmpty,
  QueueFull,
  type QueueOptions,
  QueueShutDown,
} from "./queue.ts";
export {
  type Comparator,
  compareItems,
  PriorityQueue,
  type PriorityQueueOptions,
} from "./priority_queue.ts";
export { LifoQueue } from "./lifo_queue.ts";
