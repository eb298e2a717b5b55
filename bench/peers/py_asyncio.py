"""Peer benchmark: CPython's stdlib asyncio (default loop; no uvloop).

Usage: python3 py_asyncio.py W1..W7|M|TG|AC|AG|D1|D10|D100|D1000 [--n N]
Prints one JSON line. See README.md for what each workload does.
"""

import time

# The cold figure runs from here, the script's first line, to the end of asyncio.run():
# module loading included, the interpreter's own start-up not.
FIRST_LINE = time.perf_counter()

import asyncio
import json
import os
import resource
import sys
import time

DEFAULT_N = {"W1": 1_000_000, "W2": 100_000, "W3": 1_000_000, "W4": 100_000,
             "W5": 100_000, "W6": 100_000, "W7": 100_000, "M": 1_000_000,
             "TG": 100_000, "AC": 100_000, "AG": 1_000_000,
             "D1": 100_000, "D10": 100_000, "D100": 100_000, "D1000": 100_000}
CONSUMERS = 4          # W3
QUEUE_MAX = 100        # W3
LOCK_TASKS = 100       # W6: n acquisitions spread over this many tasks
ECHO_CLIENTS = 50      # W7: n round trips spread over this many clients
LINE_BYTES = 64        # W7: line length including the newline


def maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


BASE_RSS_MB = maxrss_mb()


def lcg_delays_ms(n):
    """0..50 ms from the shared LCG (same sequence as common.ts)."""
    x = 42
    out = []
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(x % 51)
    return out


async def w1_switch(n):
    t0 = time.perf_counter()
    i = 0
    for _ in range(n):
        await asyncio.sleep(0)
        i += 1
    return time.perf_counter() - t0, i == n, f"yields={i}", {}


async def w2_spawn(n):
    async def child(i):
        await asyncio.sleep(0)
        return i

    t0 = time.perf_counter()
    results = await asyncio.gather(*[child(i) for i in range(n)])
    secs = time.perf_counter() - t0
    ok = len(results) == n and all(r == i for i, r in enumerate(results))
    return secs, ok, f"sum={sum(results)} expected={n * (n - 1) // 2}", {}


async def w3_queue(n):
    q = asyncio.Queue(maxsize=QUEUE_MAX)

    async def producer():
        for i in range(n):
            await q.put(i)
        for _ in range(CONSUMERS):
            await q.put(None)          # one sentinel per consumer

    async def consumer():
        total = 0
        while (v := await q.get()) is not None:
            total += v
        return total

    t0 = time.perf_counter()
    _, *sums = await asyncio.gather(producer(), *[consumer() for _ in range(CONSUMERS)])
    secs = time.perf_counter() - t0
    total, expected = sum(sums), n * (n - 1) // 2
    return secs, total == expected, f"sum={total} expected={expected}", {}


async def w4_timers(n):
    delays = lcg_delays_ms(n)
    t0 = time.perf_counter()
    results = await asyncio.gather(*[asyncio.sleep(d / 1000, d) for d in delays])
    secs = time.perf_counter() - t0
    longest = max(delays)
    ok = results == delays and secs * 1000 >= longest - 1
    return secs, ok, f"delay_sum_ms={sum(results)} max={longest}", {
        "overshoot_ms": round(secs * 1000 - longest, 2)}


async def w5_cancel(n):
    started = cancelled = 0

    async def child():
        nonlocal started, cancelled
        started += 1
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled += 1
            raise

    class Stop(Exception):
        pass

    t0 = time.perf_counter()
    t1 = None
    try:
        async with asyncio.TaskGroup() as tg:
            for _ in range(n):
                tg.create_task(child())
            await asyncio.sleep(0)          # let every child reach its sleep
            if started != n:
                raise RuntimeError(f"only {started} of {n} children started")
            t1 = time.perf_counter()
            raise Stop()                    # TaskGroup cancels all children, waits for them
    except* Stop:
        pass
    t2 = time.perf_counter()
    return t2 - t1, cancelled == n, f"started={started} cancelled={cancelled}", {
        "spawn_seconds": round(t1 - t0, 4)}


async def w6_lock(n):
    lock = asyncio.Lock()
    counter = 0
    per_task = n // LOCK_TASKS

    async def worker():
        nonlocal counter
        for _ in range(per_task):
            async with lock:
                v = counter
                await asyncio.sleep(0)     # yield while holding the lock
                counter = v + 1

    t0 = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(LOCK_TASKS)])
    secs = time.perf_counter() - t0
    expected = per_task * LOCK_TASKS
    return secs, counter == expected, f"counter={counter} expected={expected}", {}


def echo_line(cid, i):
    return (f"{cid}:{i}:".ljust(LINE_BYTES - 1, "x") + "\n").encode()


async def w7_echo(n):
    per_client = n // ECHO_CLIENTS

    async def handle(reader, writer):
        try:
            while line := await reader.readline():
                writer.write(line)
                await writer.drain()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def client(cid):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        ok = 0
        for i in range(per_client):
            msg = echo_line(cid, i)
            writer.write(msg)
            await writer.drain()
            if await reader.readline() == msg:
                ok += 1
        writer.close()
        await writer.wait_closed()
        return ok

    t0 = time.perf_counter()
    oks = await asyncio.gather(*[client(c) for c in range(ECHO_CLIENTS)])
    secs = time.perf_counter() - t0
    server.close()
    await server.wait_closed()
    total, expected = sum(oks), per_client * ECHO_CLIENTS
    return secs, total == expected, f"echoed_ok={total} expected={expected}", {}


def rss_now_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def m_sleeping(n):
    """n tasks asleep at once: report RSS, then exit without tearing them down."""
    started = 0

    async def child():
        nonlocal started
        started += 1
        await asyncio.sleep(3600)

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(child()) for _ in range(n)]
    await asyncio.sleep(0)                  # every child reaches its sleep
    secs = time.perf_counter() - t0
    out = {"impl": "py_asyncio", "workload": "M", "n": n, "seconds": round(secs, 6),
           "rate": round(n / secs, 1), "peak_rss_mb": round(maxrss_mb(), 1),
           "base_rss_mb": round(BASE_RSS_MB, 1), "check": f"asleep={started}",
           "ok": started == n, "rss_asleep_mb": round(rss_now_mb(), 1)}
    print(json.dumps(out), flush=True)
    os._exit(0 if started == n and len(tasks) == n else 1)


async def tg_children(n):
    async def child(i):
        await asyncio.sleep(0)
        return i

    t0 = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(child(i)) for i in range(n)]
    secs = time.perf_counter() - t0
    total = sum(t.result() for t in tasks)
    return secs, total == n * (n - 1) // 2, f"sum={total} expected={n * (n - 1) // 2}", {}


async def ac_completed(n):
    async def child(i):
        await asyncio.sleep(0)
        return i

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(child(i)) for i in range(n)]
    total = count = 0
    for next_done in asyncio.as_completed(tasks):
        total += await next_done
        count += 1
    secs = time.perf_counter() - t0
    ok = count == n and total == n * (n - 1) // 2
    return secs, ok, f"sum={total} expected={n * (n - 1) // 2}", {}


async def ag_items(n):
    async def numbers():
        for i in range(n):
            yield i

    t0 = time.perf_counter()
    total = count = 0
    async for v in numbers():
        total += v
        count += 1
    secs = time.perf_counter() - t0
    ok = count == n and total == n * (n - 1) // 2
    return secs, ok, f"sum={total} expected={n * (n - 1) // 2}", {}


def depth_bench(depth):
    async def level(d, n):
        if d > 1:
            return await level(d - 1, n)
        i = 0
        for _ in range(n):
            await asyncio.sleep(0)
            i += 1
        return i

    async def run(n):
        sys.setrecursionlimit(max(sys.getrecursionlimit(), depth * 4 + 1000))
        t0 = time.perf_counter()
        resumes = await level(depth, n)
        secs = time.perf_counter() - t0
        return secs, resumes == n, f"resumes={resumes} depth={depth}", {}
    return run


WORKLOADS = {"W1": w1_switch, "W2": w2_spawn, "W3": w3_queue, "W4": w4_timers,
             "W5": w5_cancel, "W6": w6_lock, "W7": w7_echo, "M": m_sleeping,
             "TG": tg_children, "AC": ac_completed, "AG": ag_items,
             "D1": depth_bench(1), "D10": depth_bench(10), "D100": depth_bench(100),
             "D1000": depth_bench(1000)}


async def echo_server(backlog):
    """The C10k section's server (bench/c10k.mjs): W7's echo handler on 127.0.0.1, a
    listen backlog for thousands of connections, serving until the process is ended.
    Prints its port as one JSON line."""
    async def handle(reader, writer):
        try:
            while line := await reader.readline():
                writer.write(line)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=backlog)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    async with server:
        await server.serve_forever()


def main(argv):
    workload = argv[1]
    if workload == "echo-server":
        asyncio.run(echo_server(int(argv[argv.index("--backlog") + 1])))
        return 0
    n = int(argv[argv.index("--n") + 1]) if "--n" in argv else DEFAULT_N[workload]
    secs, ok, check, extra = asyncio.run(WORKLOADS[workload](n))
    cold = time.perf_counter() - FIRST_LINE
    if workload == "W6":
        n = (n // LOCK_TASKS) * LOCK_TASKS
    if workload == "W7":
        n = (n // ECHO_CLIENTS) * ECHO_CLIENTS
    out = {"impl": "py_asyncio", "workload": workload, "n": n, "seconds": round(secs, 6),
           "rate": round(n / secs, 1), "peak_rss_mb": round(maxrss_mb(), 1),
           "base_rss_mb": round(BASE_RSS_MB, 1), "check": check, "ok": bool(ok),
           "cold_seconds": round(cold, 6), **extra}
    print(json.dumps(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
