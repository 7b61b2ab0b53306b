"""CPython's side of bench/queue_peer.ts: the same producer/consumer shapes
through asyncio.Queue, plus uncontended Lock and Queue operations.

Prints one JSON object: for each shape, the median milliseconds to move all
items; and nanoseconds per uncontended lock acquire/release and per queue
put/get pair.

Usage: python3 bench/queue_peer.py ITEMS REPS SHAPES_JSON
  SHAPES_JSON: [[producers, consumers, maxsize], ...]
"""

import asyncio
import json
import statistics
import sys
import time


async def producer_consumer(producers, consumers, maxsize, items):
    queue = asyncio.Queue(maxsize)
    per = items // producers
    finished = 0
    total = 0

    async def produce():
        nonlocal finished
        for i in range(per):
            await queue.put(i)
        finished += 1
        if finished == producers:
            for _ in range(consumers):
                await queue.put(-1)

    async def consume():
        nonlocal total
        while True:
            item = await queue.get()
            if item < 0:
                return
            total += item

    start = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for _ in range(producers):
            tg.create_task(produce())
        for _ in range(consumers):
            tg.create_task(consume())
    elapsed = (time.perf_counter() - start) * 1000
    assert total == producers * (per * (per - 1) // 2)
    return elapsed


async def lock_ops(n):
    lock = asyncio.Lock()
    start = time.perf_counter()
    for _ in range(n):
        await lock.acquire()
        lock.release()
    return (time.perf_counter() - start) * 1e9 / n


async def queue_ops(n):
    queue = asyncio.Queue()
    start = time.perf_counter()
    for i in range(n):
        await queue.put(i)
        await queue.get()
    return (time.perf_counter() - start) * 1e9 / n


def main():
    items = int(sys.argv[1])
    reps = int(sys.argv[2])
    shapes = json.loads(sys.argv[3])
    result = {"shapes": {}}
    for producers, consumers, maxsize in shapes:
        samples = [
            asyncio.run(producer_consumer(producers, consumers, maxsize, items))
            for _ in range(reps)
        ]
        result["shapes"][f"{producers}x{consumers}/{maxsize}"] = statistics.median(samples)
    result["lock_ns"] = statistics.median(
        asyncio.run(lock_ops(items)) for _ in range(reps))
    result["queue_ns"] = statistics.median(
        asyncio.run(queue_ops(items)) for _ in range(reps))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
