"""CPython side of the differential test: runs generated asyncio programs on virtual time.

Reads a JSON list of {"seed": n, "source": python_text} on stdin, runs each program on a
fresh VirtualLoop, and writes one JSON object {seed: [trace lines]} on stdout.

The loop is asyncio's own SelectorEventLoop with two changes: time() is a counter, and the
selector's select(timeout) adds the timeout to the counter instead of sleeping. So the
scheduling is CPython's, untouched; only the clock is virtual. A select() with no timeout
while nothing is ready means every task waits for something nobody will do: the program is
deadlocked. The trace records DEADLOCK and the root task is cancelled, so main's handlers
run and the program settles; see VirtualLoop.on_deadlock.
"""

import asyncio
import gc
import heapq
import itertools
import json
import selectors
import sys

MAX_DEADLOCKS = 8
TRACED_DEADLOCKS = 3
SETTLE_ROUNDS = 3
SETTLE_TIMEOUT = 50


class GaveUp(Exception):
    """The program deadlocked again and again while it was being cancelled."""


class VirtualSelector(selectors.DefaultSelector):
    def __init__(self):
        super().__init__()
        self.loop = None

    def select(self, timeout=None):
        if timeout is None:
            self.loop.on_deadlock()
        elif timeout > 0:
            self.loop.now += timeout
        return []


class FifoTimerHandle(asyncio.TimerHandle):
    """A timer ordered by (deadline, arrival): equal deadlines fire first come, first served.

    asyncio-ts guarantees that order; CPython's heapq leaves ties in whatever order the heap
    happens to hold them (docs/differences.md). Making CPython FIFO here keeps ties in the
    programs comparable instead of dropping them.
    """

    __slots__ = ("seq",)

    def __lt__(self, other):
        return (self._when, self.seq) < (other._when, other.seq)


class OrderedSet(dict):
    """The part of set() a TaskGroup uses, iterated in insertion order."""

    def add(self, x):
        self[x] = None

    def discard(self, x):
        self.pop(x, None)


_taskgroup_init = asyncio.TaskGroup.__init__


def _ordered_taskgroup_init(self):
    # CPython keeps a TaskGroup's children in a set, so an abort cancels them in an order
    # that follows memory addresses and changes from run to run; asyncio-ts cancels them in
    # creation order (docs/differences.md). Creation order here makes CPython comparable.
    _taskgroup_init(self)
    self._tasks = OrderedSet()


asyncio.TaskGroup.__init__ = _ordered_taskgroup_init


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, trace):
        selector = VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self.now = 0.0
        self.trace = trace
        self.deadlocks = 0
        self.root_task = None
        self.timer_seq = itertools.count()

    def time(self):
        return self.now

    def call_at(self, when, callback, *args, context=None):
        # BaseEventLoop.call_at, with a FifoTimerHandle.
        self._check_closed()
        timer = FifoTimerHandle(when, callback, args, self, context)
        timer.seq = next(self.timer_seq)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def on_deadlock(self):
        # The first deadlocks cancel only the root task, whose main is the one stuck (the
        # settling phase waits with a timeout): a deterministic step, so tracing goes on and
        # main's handlers and the settling are compared too. If that does not help, the
        # trace closes and every task is cancelled, in an order that is not compared.
        self.deadlocks += 1
        if self.deadlocks > MAX_DEADLOCKS:
            raise GaveUp()
        self.trace.write("DEADLOCK")
        if self.deadlocks <= TRACED_DEADLOCKS and not self.root_task.done():
            self.root_task.cancel()
            return
        self.trace.closed = True
        for t in asyncio.all_tasks(self):
            t.cancel()


class Trace:
    def __init__(self):
        self.lines = []
        self.closed = False
        self.loop = None

    def write(self, msg):
        if not self.closed:
            self.lines.append(f"t={self.loop.time():.6f} {msg}")


class Boom(Exception):
    pass


def fmt(e):
    """An exception as both harnesses print it: Name<message>[members] (see docs/differences.md)."""
    name = type(e).__name__
    if isinstance(e, BaseExceptionGroup):
        return f"{name}<{e.message}>[{', '.join(fmt(x) for x in e.exceptions)}]"
    if isinstance(e, (Boom, asyncio.CancelledError, TimeoutError)):
        return f"{name}<{e}>"
    # Library errors other than those: the name only, the messages differ on purpose.
    return name


def show(v):
    if v is None:
        return "None"
    if isinstance(v, BaseException):
        return fmt(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(show(x) for x in v) + "]"
    return str(v)


def status(t):
    if not t.done():
        return "pending"
    if t.cancelled():
        return "cancelled"
    if t.exception() is not None:
        return "exception " + fmt(t.exception())
    return "result " + show(t.result())


def make_globals(trace):
    tasks = {}

    def tsk(name):
        t = tasks.get(name)
        return asyncio.sleep(0, "missing") if t is None else t

    def tasks_of(names):
        return [tasks[n] for n in names if n in tasks]

    def cancel_task(name, msg):
        t = tasks.get(name)
        if t is None:
            return "missing"
        return t.cancel() if msg is None else t.cancel(msg)

    def names(ts):
        return "[" + ", ".join(sorted(t.get_name() for t in ts)) + "]"

    return {
        "asyncio": asyncio,
        "T": trace.write,
        "fmt": fmt,
        "show": show,
        "Boom": Boom,
        "TASKS": tasks,
        "tsk": tsk,
        "tasks_of": tasks_of,
        "cancel_task": cancel_task,
        "names": names,
    }


async def root(g, trace, queue_size, semaphore_value):
    g["Q"] = asyncio.Queue(queue_size)
    g["L"] = asyncio.Lock()
    g["E"] = asyncio.Event()
    g["C"] = asyncio.Condition()
    g["S"] = asyncio.Semaphore(semaphore_value)
    try:
        await g["main"]()
        trace.write("main returned")
    except BaseException as e:
        trace.write("main raised " + fmt(e))
    # Settle: give the named tasks time to finish (tasks may start more), report every one,
    # then cancel what is left in creation order.
    tasks = g["TASKS"]
    for _ in range(SETTLE_ROUNDS):
        pending = [t for t in tasks.values() if not t.done()]
        if not pending:
            break
        await asyncio.wait(pending, timeout=SETTLE_TIMEOUT)
    for name, t in tasks.items():
        trace.write(f"{name} {status(t)}")
    pending = [t for t in tasks.values() if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        await asyncio.wait(pending)
        for t in pending:
            trace.write(f"{t.get_name()} settled {status(t)}")
    # What runs later (coroutines closed when collected) depends on the garbage collector.
    trace.closed = True


def run_one(program):
    trace = Trace()
    loop = VirtualLoop(trace)
    trace.loop = loop
    loop.set_exception_handler(lambda _loop, _ctx: None)
    # asyncio-ts's loop holds pending tasks strongly; CPython's weakly, so a task nothing
    # refers to can be destroyed mid-run (its coroutine closed with GeneratorExit) at a
    # moment that depends on the reference graph. Hold them as asyncio-ts does.
    held = []

    def task_factory(loop, coro, **kwargs):
        task = asyncio.Task(coro, loop=loop, **kwargs)
        held.append(task)
        return task

    loop.set_task_factory(task_factory)
    g = make_globals(trace)
    # Cycles are collected between programs, not at moments that differ from run to run.
    gc.disable()
    try:
        exec(compile(program["source"], f"seed{program['seed']}.py", "exec"), g)
        loop.root_task = loop.create_task(
            root(g, trace, program["queueSize"], program["semaphoreValue"])
        )
        loop.run_until_complete(loop.root_task)
    except BaseException as e:
        # The root catches everything main raises; it ends this way only when a deadlock
        # cancelled it and main's cleanup got it cancelled again, or when the harness fails.
        if loop.deadlocks == 0:
            trace.write(f"HARNESS ERROR {type(e).__name__}: {e}")
        elif loop.root_task is not None and loop.root_task.cancelled():
            trace.write("root cancelled")
    finally:
        # Coroutines closed by loop.close() and the collector must not write any more.
        trace.closed = True
        loop.close()
        gc.enable()
        gc.collect()
    return trace.lines


def main():
    programs = json.load(sys.stdin)
    out = {}
    for p in programs:
        out[str(p["seed"])] = run_one(p)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
