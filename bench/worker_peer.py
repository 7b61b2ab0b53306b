"""CPython's side of bench/worker_peer.ts: the same jobs through
ProcessPoolExecutor (run_in_executor) and asyncio.to_thread.

Prints one JSON object: per-call round trip (µs), throughput of tiny calls
(calls/s), and CPU-bound timings (ms) for one call and for two at once.

Usage: python3 bench/worker_peer.py PRIMES_N TINY_CALLS ROUND_TRIPS
"""

import asyncio
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor


def count_primes(n):
    count = 0
    for i in range(2, n):
        prime = True
        d = 2
        while d * d <= i:
            if i % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


def echo(x):
    return x


async def round_trip(run_call, calls):
    for i in range(100):
        await run_call(echo, i)
    start = time.perf_counter()
    for i in range(calls):
        await run_call(echo, i)
    return (time.perf_counter() - start) / calls * 1e6


async def throughput(run_call, calls):
    start = time.perf_counter()
    await asyncio.gather(*(run_call(echo, i) for i in range(calls)))
    return calls / (time.perf_counter() - start)


async def cpu(run_call, n):
    await asyncio.gather(run_call(count_primes, 1000), run_call(count_primes, 1000))
    best_one, best_two = float("inf"), float("inf")
    for _ in range(3):
        start = time.perf_counter()
        await run_call(count_primes, n)
        best_one = min(best_one, time.perf_counter() - start)
        start = time.perf_counter()
        await asyncio.gather(run_call(count_primes, n), run_call(count_primes, n))
        best_two = min(best_two, time.perf_counter() - start)
    return {"one_ms": best_one * 1e3, "two_ms": best_two * 1e3}


async def main():
    primes_n, tiny_calls, round_trips = (int(a) for a in sys.argv[1:4])
    loop = asyncio.get_running_loop()
    result = {}
    with ProcessPoolExecutor(max_workers=2) as pool:

        def in_pool(fn, *args):
            return loop.run_in_executor(pool, fn, *args)

        result["process_pool"] = {
            "round_trip_us": await round_trip(in_pool, round_trips),
            "calls_per_s": await throughput(in_pool, tiny_calls),
            **await cpu(in_pool, primes_n),
        }
    result["to_thread"] = {
        "round_trip_us": await round_trip(asyncio.to_thread, round_trips),
        "calls_per_s": await throughput(asyncio.to_thread, tiny_calls),
        **await cpu(asyncio.to_thread, primes_n),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
