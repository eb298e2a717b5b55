import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, runOn, ticks, virtualOnly } from "./helpers.js";

const { Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier } = asyncio;

function spawn<T>(coro: asyncio.Coroutine<T>, name?: string): asyncio.Task<T> {
  return asyncio.createTask(coro, name === undefined ? {} : { name });
}

describe("Lock", () => {
  it("an acquire() driven by hand and resumed before its turn throws, leaving no waiter behind", async () => {
    function* main() {
      yield* asyncio.sleep(0);
      const lock = new Lock();
      const first = lock.acquire();
      const got = first.next(); // free: acquired at once
      const second = lock.acquire();
      const parked = second.next(); // queued behind the holder
      const queued = String(lock);
      let error: unknown = null;
      try {
        second.next(); // a resume with the waiter Future still pending: misuse
      } catch (e) {
        error = e;
      }
      const after = String(lock);
      lock.release();
      return [
        got.done,
        parked.done,
        queued,
        error instanceof asyncio.InvalidStateError,
        (error as Error).message,
        after,
        lock.locked(),
      ];
    }
    const { result } = await runOn(main());
    expect(result).toEqual([
      true,
      false,
      "<Lock [locked, waiters:1]>",
      true,
      "yield* was resumed before the Future was done",
      "<Lock [locked]>",
      false,
    ]);
  });

  it("acquires an unlocked lock without suspending", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        const order: string[] = [];
        const other = spawn(
          (function* () {
            order.push("other");
          })(),
        );
        expect(yield* lock.acquire()).toBe(true);
        order.push("acquired");
        expect(lock.locked()).toBe(true);
        yield* other;
        expect(order).toEqual(["acquired", "other"]);
        lock.release();
        expect(lock.locked()).toBe(false);
      })(),
    );
  });

  it("serves waiters in FIFO order", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    const { result } = await runOn(
      (function* () {
        const lock = new Lock();
        const order: number[] = [];
        yield* lock.acquire();
        const tasks = [0, 1, 2, 3, 4].map((i) =>
          spawn(
            (function* () {
              yield* asyncio.sleep(i * 0.001); // arrive in index order
              yield* lock.acquire();
              order.push(i);
              yield* ticks(2);
              lock.release();
            })(),
          ),
        );
        yield* asyncio.sleep(1);
        lock.release();
        yield* asyncio.gather(...tasks);
        return order;
      })(),
    );
    expect(result).toEqual([0, 1, 2, 3, 4]);
  });

  it("lets no newcomer barge in ahead of a woken waiter", async () => {
    const { result } = await runOn(
      (function* () {
        const lock = new Lock();
        const order: string[] = [];
        yield* lock.acquire();
        const a = spawn(
          (function* () {
            yield* lock.acquire();
            order.push("a");
            lock.release();
          })(),
        );
        yield* ticks();
        lock.release();
        // The lock is free, but A was woken and has not run yet: a newcomer must queue.
        expect(lock.locked()).toBe(false);
        const c = spawn(
          (function* () {
            yield* lock.acquire();
            order.push("c");
            lock.release();
          })(),
        );
        yield* asyncio.gather(a, c);
        return order;
      })(),
    );
    expect(result).toEqual(["a", "c"]);
  });

  it("takes the fast path when every waiter is cancelled", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const a = spawn(lock.acquire());
        yield* ticks();
        a.cancel();
        lock.release();
        // A's Future is cancelled but its task has not run yet: nobody is ahead of us.
        const order: string[] = [];
        const other = spawn(
          (function* () {
            order.push("other");
          })(),
        );
        yield* lock.acquire();
        order.push("main");
        yield* other;
        expect(order).toEqual(["main", "other"]);
        expect(a.cancelled()).toBe(true);
      })(),
    );
  });

  it("cancelling a waiting acquire leaves the lock and the queue consistent", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const a = spawn(lock.acquire(), "a");
        const b = spawn(lock.acquire(), "b");
        yield* ticks();
        a.cancel();
        yield* ticks();
        expect(a.cancelled()).toBe(true);
        expect(String(lock)).toBe("<Lock [locked, waiters:1]>");
        lock.release();
        expect(yield* b).toBe(true);
        expect(lock.locked()).toBe(true);
        expect(String(lock)).toBe("<Lock [locked]>");
      })(),
    );
  });

  it("a waiter cancelled at the moment it is woken passes the wakeup on", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const a = spawn(lock.acquire(), "a");
        const b = spawn(lock.acquire(), "b");
        const c = spawn(lock.acquire(), "c");
        yield* ticks();
        lock.release(); // wakes a
        a.cancel(); // …which is cancelled before it runs
        yield* ticks(2);
        expect(a.cancelled()).toBe(true);
        expect(b.done()).toBe(true);
        expect(lock.locked()).toBe(true);
        lock.release();
        yield* c;
        lock.release();
        expect(lock.locked()).toBe(false);
      })(),
    );
  });

  it("a woken waiter cancelled while a later waiter is cancelled too wakes exactly one", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const a = spawn(lock.acquire(), "a");
        const b = spawn(lock.acquire(), "b");
        const c = spawn(lock.acquire(), "c");
        const d = spawn(lock.acquire(), "d");
        yield* ticks();
        lock.release(); // wakes a
        b.cancel(); // b leaves while a holds the wakeup: nobody else may be woken
        yield* ticks(2);
        expect(a.done()).toBe(true);
        expect(c.done()).toBe(false);
        expect(d.done()).toBe(false);
        lock.release();
        yield* c;
        lock.release();
        yield* d;
        lock.release();
      })(),
    );
  });

  it("throws RuntimeError when releasing an unlocked lock", async () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(asyncio.RuntimeError);
    expect(() => lock.release()).toThrow("Lock is not acquired.");
  });

  it("with() holds the lock for the body and returns its result", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        const n = yield* lock.with(function* () {
          expect(lock.locked()).toBe(true);
          yield* ticks();
          return 42;
        });
        expect(n).toBe(42);
        expect(lock.locked()).toBe(false);
      })(),
    );
  });

  it("with() releases on error and on cancellation", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        const err = yield* caught(
          lock.with(function* () {
            yield* ticks();
            throw new Error("boom");
          }),
        );
        expect((err as Error).message).toBe("boom");
        expect(lock.locked()).toBe(false);

        const t = spawn(
          lock.with(function* () {
            yield* asyncio.sleep(10);
          }),
        );
        yield* ticks();
        expect(lock.locked()).toBe(true);
        t.cancel();
        expect(yield* caught(t)).toBeInstanceOf(asyncio.CancelledError);
        expect(lock.locked()).toBe(false);
      })(),
    );
  });

  it("with() cancelled while waiting for the lock does not release it", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const t = spawn(
          lock.with(function* () {
            return 1;
          }),
        );
        yield* ticks();
        t.cancel();
        expect(yield* caught(t)).toBeInstanceOf(asyncio.CancelledError);
        expect(lock.locked()).toBe(true);
        lock.release();
      })(),
    );
  });

  it("hold() with `using` releases when the block is left, however it is left", async () => {
    virtualOnly("sleeps 2 s of virtual time");
    await runOn(
      (function* () {
        const lock = new Lock();
        function* critical(fail: boolean) {
          using _held = yield* lock.hold();
          expect(lock.locked()).toBe(true);
          yield* asyncio.sleep(1);
          if (fail) throw new Error("inside");
          return "done";
        }
        expect(yield* critical(false)).toBe("done");
        expect(lock.locked()).toBe(false);
        expect(((yield* caught(critical(true))) as Error).message).toBe("inside");
        expect(lock.locked()).toBe(false);
        const t = spawn(critical(false));
        yield* ticks();
        expect(lock.locked()).toBe(true);
        t.cancel();
        expect(yield* caught(t)).toBeInstanceOf(asyncio.CancelledError);
        expect(lock.locked()).toBe(false);
      })(),
    );
  });

  it("hold() waits its turn, and a guard disposed twice releases once", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        const guard = yield* lock.hold();
        const other = spawn(lock.hold());
        yield* ticks();
        expect(other.done()).toBe(false);
        guard[Symbol.dispose]();
        guard[Symbol.dispose]();
        const otherGuard = yield* other;
        expect(lock.locked()).toBe(true);
        otherGuard[Symbol.dispose]();
        expect(lock.locked()).toBe(false);
        expect(() => lock.release()).toThrow(asyncio.RuntimeError);
      })(),
    );
  });

  it("with() rejects a body that is not a function", () => {
    const lock = new Lock();
    expect(() => lock.with(42 as never)).toThrow(
      "Lock.with(): 'body' must be a generator function: received 42",
    );
  });

  it("is an async context manager for asyncWith", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        const r = yield* asyncio.asyncWith(lock, function* () {
          expect(lock.locked()).toBe(true);
          return "x";
        });
        expect(r).toBe("x");
        expect(lock.locked()).toBe(false);
        const err = yield* caught(
          asyncio.asyncWith(lock, function* () {
            throw new Error("inside");
          }),
        );
        expect((err as Error).message).toBe("inside");
        expect(lock.locked()).toBe(false);
      })(),
    );
  });

  it("is usable from several loops one after another", async () => {
    const lock = new Lock();
    function* contend() {
      const order: number[] = [];
      const tasks = [1, 2, 3].map((i) =>
        spawn(
          lock.with(function* () {
            yield* ticks();
            order.push(i);
          }),
        ),
      );
      yield* asyncio.gather(...tasks);
      return order;
    }
    expect((await runOn(contend())).result).toEqual([1, 2, 3]);
    expect((await runOn(contend())).result).toEqual([1, 2, 3]);
    expect((await asyncio.run(contend())) as number[]).toEqual([1, 2, 3]);
  });

  it("refuses waiters from another loop while tasks of a stopped loop still wait", async () => {
    virtualOnly("builds its own loops");
    const lock = new Lock();
    const loop1 = new asyncio.VirtualEventLoop();
    await loop1.runUntilComplete(
      (function* () {
        yield* lock.acquire();
        spawn(lock.acquire(), "stuck");
        yield* ticks();
      })(),
    );
    const err = await asyncio
      .run(
        (function* () {
          return yield* caught(lock.acquire());
        })(),
      )
      .then((e) => e);
    expect(err).toBeInstanceOf(asyncio.RuntimeError);
    expect((err as Error).message).toBe(
      "<Lock [locked, waiters:1]> is bound to a different event loop",
    );
  });
});

describe("waiting costs", () => {
  /** Counts the Futures the running loop creates while `body` runs. */
  function* countFutures(body: () => asyncio.Coroutine<void>): asyncio.Coroutine<number> {
    const loop = asyncio.getRunningLoop();
    const original = loop.createFuture;
    let created = 0;
    loop.createFuture = function <T>(this: asyncio.BaseEventLoop) {
      created++;
      return original.call(this) as asyncio.Future<T>;
    };
    try {
      yield* body();
    } finally {
      loop.createFuture = original;
    }
    return created;
  }

  it("uncontended operations never create a Future", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        const sem = new Semaphore(2);
        const ev = new Event();
        const cond = new Condition();
        const q = new asyncio.Queue<number>(2);
        const n = yield* countFutures(function* () {
          for (let i = 0; i < 3; i++) {
            yield* lock.acquire();
            lock.release();
            yield* lock.with(function* () {});
            using _held = yield* lock.hold();
            yield* sem.acquire();
            sem.release();
            yield* q.put(i);
            yield* q.get();
            q.taskDone();
            yield* q.join();
          }
          ev.set();
          yield* ev.wait();
          yield* cond.with(function* () {
            cond.notifyAll();
          });
        });
        expect(n).toBe(0);
      })(),
    );
  });

  it("a contended wait creates exactly one Future", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        yield* lock.acquire();
        const n = yield* countFutures(function* () {
          const t = spawn(lock.acquire());
          yield* ticks();
          lock.release();
          yield* t;
        });
        expect(n).toBe(1);
        lock.release();
        const q = new asyncio.Queue<number>();
        const m = yield* countFutures(function* () {
          const t = spawn(q.get());
          yield* ticks();
          q.putNowait(1);
          yield* t;
        });
        expect(m).toBe(1);
      })(),
    );
  });
});

describe("Event", () => {
  it("wait() returns true at once when set", async () => {
    await runOn(
      (function* () {
        const ev = new Event();
        expect(ev.isSet()).toBe(false);
        ev.set();
        expect(ev.isSet()).toBe(true);
        const order: string[] = [];
        const other = spawn(
          (function* () {
            order.push("other");
          })(),
        );
        expect(yield* ev.wait()).toBe(true);
        order.push("main");
        yield* other;
        expect(order).toEqual(["main", "other"]);
      })(),
    );
  });

  it("set() wakes every waiter, in order", async () => {
    virtualOnly("asserts virtual times");
    const { result, elapsed } = await runOn(
      (function* () {
        const ev = new Event();
        const order: number[] = [];
        const tasks = [1, 2, 3].map((i) =>
          spawn(
            (function* () {
              const r = yield* ev.wait();
              order.push(i);
              return r;
            })(),
          ),
        );
        yield* asyncio.sleep(2);
        expect(String(ev)).toBe("<Event [unset, waiters:3]>");
        ev.set();
        const results = yield* asyncio.gather(...tasks);
        expect(String(ev)).toBe("<Event [set]>");
        return { order, results };
      })(),
    );
    expect(result).toEqual({ order: [1, 2, 3], results: [true, true, true] });
    expect(elapsed).toBe(2);
  });

  it("a waiter woken by set() returns true even if clear() came before it ran", async () => {
    await runOn(
      (function* () {
        const ev = new Event();
        const t = spawn(ev.wait());
        yield* ticks();
        ev.set();
        ev.clear();
        expect(yield* t).toBe(true);
        expect(ev.isSet()).toBe(false);
      })(),
    );
  });

  it("a cancelled wait() leaves the event unchanged", async () => {
    await runOn(
      (function* () {
        const ev = new Event();
        const a = spawn(ev.wait());
        const b = spawn(ev.wait());
        yield* ticks();
        a.cancel();
        expect(yield* caught(a)).toBeInstanceOf(asyncio.CancelledError);
        expect(String(ev)).toBe("<Event [unset, waiters:1]>");
        ev.set();
        expect(yield* b).toBe(true);
      })(),
    );
  });
});

describe("Condition", () => {
  it("rejects a lock that is not a Lock", () => {
    expect(() => new Condition({} as never)).toThrow(TypeError);
    expect(() => new Condition(new Semaphore() as never)).toThrow(
      "Cannot create Condition: 'lock' must be an asyncio Lock: received <Semaphore [unlocked, value:1]>",
    );
  });

  it("wait(), notify() and notifyAll() need the lock", async () => {
    await runOn(
      (function* () {
        const cond = new Condition();
        const err = yield* caught(cond.wait());
        expect(err).toBeInstanceOf(asyncio.RuntimeError);
        expect((err as Error).message).toBe("cannot wait on un-acquired lock");
        expect(() => cond.notify()).toThrow("cannot notify on un-acquired lock");
        expect(() => cond.notifyAll()).toThrow(asyncio.RuntimeError);
      })(),
    );
  });

  it("notify(n) rejects bad counts", () => {
    const cond = new Condition();
    expect(() => cond.notify(-1)).toThrow(
      new RangeError("Condition.notify(): 'n' must be a non-negative integer: received -1"),
    );
    expect(() => cond.notify(1.5)).toThrow(RangeError);
    expect(() => cond.notify("2" as never)).toThrow(TypeError);
  });

  it("notify(n) wakes n waiters in FIFO order, each holding the lock", async () => {
    const { result } = await runOn(
      (function* () {
        const cond = new Condition();
        const order: number[] = [];
        const tasks = [1, 2, 3, 4].map((i) =>
          spawn(
            cond.with(function* () {
              yield* cond.wait();
              expect(cond.locked()).toBe(true);
              order.push(i);
            }),
          ),
        );
        yield* ticks(2);
        expect(String(cond)).toBe("<Condition [unlocked, waiters:4]>");
        yield* cond.with(function* () {
          cond.notify(2);
        });
        yield* ticks(4);
        expect(order).toEqual([1, 2]);
        yield* cond.with(function* () {
          cond.notify(0);
        });
        yield* ticks(4);
        expect(order).toEqual([1, 2]);
        yield* cond.with(function* () {
          cond.notifyAll();
        });
        yield* asyncio.gather(...tasks);
        return order;
      })(),
    );
    expect(result).toEqual([1, 2, 3, 4]);
  });

  it("waitFor() waits until the predicate holds and returns its value", async () => {
    virtualOnly("asserts virtual times");
    const { result, elapsed } = await runOn(
      (function* () {
        const cond = new Condition();
        const items: string[] = [];
        const consumer = spawn(
          cond.with(function* () {
            return yield* cond.waitFor(() => items.shift());
          }),
        );
        for (const delay of [1, 2]) {
          yield* asyncio.sleep(delay);
          yield* cond.with(function* () {
            if (delay === 2) items.push("item");
            cond.notify();
          });
        }
        return yield* consumer;
      })(),
    );
    expect(result).toBe("item");
    expect(elapsed).toBe(3);
  });

  it("waitFor() rejects a predicate that is not a function", async () => {
    await runOn(
      (function* () {
        const cond = new Condition();
        expect(() => cond.waitFor(true as never)).toThrow(
          "Condition.waitFor(): 'predicate' must be a function: received true",
        );
      })(),
    );
  });

  it("a cancelled wait() re-acquires the lock before throwing the same CancelledError", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    await runOn(
      (function* () {
        const cond = new Condition();
        let heldWhenCancelled: boolean | null = null;
        let error: unknown = null;
        const t = spawn(
          (function* () {
            yield* cond.acquire();
            try {
              yield* cond.wait();
            } catch (e) {
              error = e;
              heldWhenCancelled = cond.locked();
              throw e;
            } finally {
              cond.release();
            }
          })(),
        );
        yield* ticks();
        yield* cond.acquire(); // hold the lock so the cancelled waiter must wait for it
        t.cancel("stop");
        yield* asyncio.sleep(1);
        expect(t.done()).toBe(false); // still waiting to re-acquire
        cond.release();
        const err = yield* caught(t);
        expect(err).toBeInstanceOf(asyncio.CancelledError);
        expect(err).toBe(error);
        expect((err as Error).message).toBe("stop");
        expect(heldWhenCancelled).toBe(true);
        expect(cond.locked()).toBe(false);
      })(),
    );
  });

  it("a wait() cancelled again while re-acquiring still re-acquires", async () => {
    await runOn(
      (function* () {
        const cond = new Condition();
        let held: boolean | null = null;
        const t = spawn(
          (function* () {
            yield* cond.acquire();
            try {
              yield* cond.wait();
            } finally {
              held = cond.locked();
              cond.release();
            }
          })(),
        );
        yield* ticks();
        yield* cond.acquire();
        t.cancel("first");
        yield* ticks(2);
        t.cancel("second");
        yield* ticks(2);
        cond.release();
        const err = yield* caught(t);
        expect((err as Error).message).toBe("second");
        expect(held).toBe(true);
      })(),
    );
  });

  it("a waiter cancelled after being notified passes the notification on", async () => {
    await runOn(
      (function* () {
        const cond = new Condition();
        const woke: string[] = [];
        const waiter = (name: string) =>
          spawn(
            cond.with(function* () {
              yield* cond.wait();
              woke.push(name);
            }),
            name,
          );
        const a = waiter("a");
        const b = waiter("b");
        yield* ticks(2);
        yield* cond.with(function* () {
          cond.notify(1); // for a…
          a.cancel(); // …which is cancelled before it runs
        });
        yield* b;
        expect(woke).toEqual(["b"]);
        expect(a.cancelled()).toBe(true);
      })(),
    );
  });

  it("two conditions can share one lock", async () => {
    await runOn(
      (function* () {
        const lock = new Lock();
        const c1 = new Condition(lock);
        const c2 = new Condition(lock);
        yield* c1.acquire();
        expect(c2.locked()).toBe(true);
        c2.release();
        expect(lock.locked()).toBe(false);
        const t = spawn(
          c2.with(function* () {
            yield* c2.wait();
            return "woken by c2";
          }),
        );
        yield* ticks();
        yield* c1.with(function* () {
          c1.notifyAll(); // nobody waits on c1
        });
        yield* ticks(2);
        expect(t.done()).toBe(false);
        yield* c1.with(function* () {
          c2.notify();
        });
        expect(yield* t).toBe("woken by c2");
      })(),
    );
  });

  it("hold() holds the underlying lock for a `using` block", async () => {
    await runOn(
      (function* () {
        const cond = new Condition();
        const waiter = spawn(
          (function* () {
            using _held = yield* cond.hold();
            yield* cond.wait();
            return cond.locked();
          })(),
        );
        yield* ticks();
        {
          using _held = yield* cond.hold();
          cond.notify();
        }
        expect(yield* waiter).toBe(true);
        expect(cond.locked()).toBe(false);
      })(),
    );
  });

  it("with() rejects a body that is not a function", () => {
    expect(() => new Condition().with(undefined as never)).toThrow(
      new TypeError("Condition.with(): 'body' must be a generator function: received undefined"),
    );
  });

  it("is an async context manager", async () => {
    await runOn(
      (function* () {
        const cond = new Condition();
        yield* asyncio.asyncWith(cond, function* () {
          expect(cond.locked()).toBe(true);
        });
        expect(cond.locked()).toBe(false);
      })(),
    );
  });
});

describe("Semaphore", () => {
  it("rejects bad initial values", () => {
    expect(() => new Semaphore(-1)).toThrow(
      new RangeError(
        "Cannot create Semaphore: 'value' must be a non-negative integer: received -1",
      ),
    );
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
    expect(() => new BoundedSemaphore(-2)).toThrow(
      "Cannot create BoundedSemaphore: 'value' must be a non-negative integer: received -2",
    );
    expect(() => new Semaphore("1" as never)).toThrow(
      new TypeError("Cannot create Semaphore: 'value' must be a number: received \"1\""),
    );
  });

  it("hands out value permits without suspending, then makes tasks wait", async () => {
    await runOn(
      (function* () {
        const sem = new Semaphore(2);
        expect(sem.locked()).toBe(false);
        yield* sem.acquire();
        yield* sem.acquire();
        expect(sem.locked()).toBe(true);
        expect(String(sem)).toBe("<Semaphore [locked]>");
        const t = spawn(sem.acquire());
        yield* ticks();
        expect(t.done()).toBe(false);
        expect(String(sem)).toBe("<Semaphore [locked, waiters:1]>");
        sem.release();
        expect(yield* t).toBe(true);
        sem.release();
        sem.release();
        expect(String(sem)).toBe("<Semaphore [unlocked, value:2]>");
      })(),
    );
  });

  it("serves waiters in FIFO order and lets no newcomer overtake them", async () => {
    const { result } = await runOn(
      (function* () {
        const sem = new Semaphore(0);
        const order: string[] = [];
        const task = (name: string) =>
          spawn(
            (function* () {
              yield* sem.acquire();
              order.push(name);
            })(),
          );
        const a = task("a");
        const b = task("b");
        yield* ticks();
        sem.release(); // for a
        sem.release(); // for b
        sem.release(); // a free permit…
        // …but a and b have not run yet: a newcomer must queue behind them.
        expect(sem.locked()).toBe(true);
        const c = task("c");
        yield* asyncio.gather(a, b, c);
        return order;
      })(),
    );
    expect(result).toEqual(["a", "b", "c"]);
  });

  it("a permit freed while waiters are queued goes to the queue, not the caller", async () => {
    await runOn(
      (function* () {
        const sem = new Semaphore(1);
        yield* sem.acquire();
        const a = spawn(sem.acquire(), "a");
        yield* ticks();
        sem.release(); // a is woken; value is 0 again
        expect(sem.locked()).toBe(true);
        const b = spawn(sem.acquire(), "b");
        yield* ticks();
        expect(a.done()).toBe(true);
        expect(b.done()).toBe(false);
        sem.release();
        yield* b;
      })(),
    );
  });

  it("a waiter cancelled after being woken gives its permit to the next", async () => {
    await runOn(
      (function* () {
        const sem = new Semaphore(0);
        const a = spawn(sem.acquire(), "a");
        const b = spawn(sem.acquire(), "b");
        yield* ticks();
        sem.release(); // wakes a
        a.cancel();
        expect(yield* caught(a)).toBeInstanceOf(asyncio.CancelledError);
        expect(yield* b).toBe(true);
        expect(sem._value).toBe(0);
        sem.release();
        expect(sem.locked()).toBe(false);
      })(),
    );
  });

  it("is not locked when a permit is free and every waiter is cancelled", async () => {
    await runOn(
      (function* () {
        const sem = new Semaphore(1);
        yield* sem.acquire();
        const a = spawn(sem.acquire());
        yield* ticks();
        a.cancel(); // its Future is cancelled; its task has not run yet
        sem.release();
        expect(sem.locked()).toBe(false);
        const order: string[] = [];
        const other = spawn(
          (function* () {
            order.push("other");
          })(),
        );
        yield* sem.acquire(); // no suspension: nobody live is ahead
        order.push("main");
        yield* other;
        expect(order).toEqual(["main", "other"]);
        expect(yield* caught(a)).toBeInstanceOf(asyncio.CancelledError);
      })(),
    );
  });

  it("a cancelled waiting acquire takes no permit", async () => {
    await runOn(
      (function* () {
        const sem = new Semaphore(0);
        const a = spawn(sem.acquire());
        yield* ticks();
        a.cancel();
        expect(yield* caught(a)).toBeInstanceOf(asyncio.CancelledError);
        expect(sem.locked()).toBe(true);
        sem.release();
        expect(sem.locked()).toBe(false);
        expect(String(sem)).toBe("<Semaphore [unlocked, value:1]>");
      })(),
    );
  });

  it("with() limits concurrency and releases on error and cancellation", async () => {
    virtualOnly("asserts virtual times");
    const { result, elapsed } = await runOn(
      (function* () {
        const sem = new Semaphore(2);
        let inside = 0;
        let most = 0;
        const job = () =>
          sem.with(function* () {
            inside++;
            most = Math.max(most, inside);
            yield* asyncio.sleep(1);
            inside--;
          });
        yield* asyncio.gather(job(), job(), job(), job(), job());
        const err = yield* caught(
          sem.with(function* () {
            throw new Error("boom");
          }),
        );
        expect((err as Error).message).toBe("boom");
        const t = spawn(
          sem.with(function* () {
            yield* asyncio.sleep(10);
          }),
        );
        yield* ticks();
        t.cancel();
        yield* caught(t);
        expect(String(sem)).toBe("<Semaphore [unlocked, value:2]>");
        return most;
      })(),
    );
    expect(result).toBe(2);
    expect(elapsed).toBe(3);
  });

  it("hold() gives the permit back when the `using` block is left", async () => {
    virtualOnly("sleeps 1 s of virtual time");
    await runOn(
      (function* () {
        const sem = new Semaphore(1);
        function* job() {
          using _permit = yield* sem.hold();
          yield* asyncio.sleep(1);
        }
        const a = spawn(job());
        const b = spawn(job());
        yield* ticks();
        expect(sem.locked()).toBe(true);
        b.cancel(); // cancelled while waiting: takes no permit
        yield* a;
        expect(yield* caught(b)).toBeInstanceOf(asyncio.CancelledError);
        expect(String(sem)).toBe("<Semaphore [unlocked, value:1]>");
      })(),
    );
  });

  it("with() rejects a body that is not a function", () => {
    expect(() => new Semaphore().with(null as never)).toThrow(
      "Semaphore.with(): 'body' must be a generator function: received null",
    );
  });

  it("is an async context manager", async () => {
    await runOn(
      (function* () {
        const sem = new BoundedSemaphore(1);
        yield* asyncio.asyncWith(sem, function* () {
          expect(sem.locked()).toBe(true);
        });
        expect(sem.locked()).toBe(false);
      })(),
    );
  });

  it("BoundedSemaphore refuses to be released above its initial value", async () => {
    await runOn(
      (function* () {
        const sem = new BoundedSemaphore(2);
        expect(() => sem.release()).toThrow(
          new RangeError("BoundedSemaphore released too many times"),
        );
        yield* sem.acquire();
        sem.release();
        expect(() => sem.release()).toThrow(RangeError);
        expect(String(sem)).toBe("<BoundedSemaphore [unlocked, value:2]>");
      })(),
    );
  });
});

describe("Barrier", () => {
  it("rejects bad party counts", () => {
    expect(() => new Barrier(0)).toThrow(
      new RangeError("Cannot create Barrier: 'parties' must be a positive integer: received 0"),
    );
    expect(() => new Barrier(2.5)).toThrow(RangeError);
    expect(() => new Barrier("3" as never)).toThrow(TypeError);
  });

  it("releases the parties together, each with its arrival index, and can be reused", async () => {
    virtualOnly("asserts virtual times");
    const { result, elapsed } = await runOn(
      (function* () {
        const barrier = new Barrier(3);
        expect(barrier.parties).toBe(3);
        const log: string[] = [];
        const runner = (name: string, delay: number) =>
          spawn(
            (function* () {
              yield* asyncio.sleep(delay);
              const index = yield* barrier.wait();
              log.push(`${name}:${index}@${asyncio.getRunningLoop().time()}`);
              return index;
            })(),
          );
        const round1 = [runner("a", 1), runner("b", 3), runner("c", 2)];
        yield* asyncio.sleep(2.5);
        expect(barrier.nWaiting).toBe(2);
        expect(String(barrier)).toBe("<Barrier [filling, waiters:2/3]>");
        const r1 = yield* asyncio.gather(...round1);
        const round2 = [runner("d", 1), runner("e", 1), runner("f", 1)];
        const r2 = yield* asyncio.gather(...round2);
        expect(barrier.nWaiting).toBe(0);
        expect(barrier.broken).toBe(false);
        return { r1, r2, log };
      })(),
    );
    expect(result.r1).toEqual([0, 2, 1]);
    expect(result.r2).toEqual([0, 1, 2]);
    expect(result.log).toEqual(["b:2@3", "a:0@3", "c:1@3", "f:2@4", "d:0@4", "e:1@4"]);
    expect(elapsed).toBe(4);
  });

  it("makes a newcomer wait while the barrier drains", async () => {
    await runOn(
      (function* () {
        const barrier = new Barrier(2);
        const a = spawn(barrier.wait());
        yield* ticks();
        const b = spawn(barrier.wait());
        const c = spawn(barrier.wait()); // arrives while a and b are leaving
        yield* asyncio.gather(a, b);
        yield* ticks(3);
        expect(c.done()).toBe(false);
        expect(barrier.nWaiting).toBe(1);
        const d = spawn(barrier.wait());
        expect((yield* asyncio.gather(c, d)).sort()).toEqual([0, 1]);
      })(),
    );
  });

  it("abort() breaks waiting and later wait() calls until reset()", async () => {
    await runOn(
      (function* () {
        const barrier = new Barrier(3);
        const a = spawn(barrier.wait());
        const b = spawn(barrier.wait());
        yield* ticks(2);
        yield* barrier.abort();
        expect(barrier.broken).toBe(true);
        for (const t of [a, b]) {
          const err = yield* caught(t);
          expect(err).toBeInstanceOf(asyncio.BrokenBarrierError);
          expect((err as Error).message).toBe("Abort or reset of barrier");
        }
        const later = yield* caught(barrier.wait());
        expect(later).toBeInstanceOf(asyncio.BrokenBarrierError);
        expect((later as Error).message).toBe("Barrier aborted");
        expect(String(barrier)).toBe("<Barrier [broken]>");
        yield* barrier.reset();
        expect(barrier.broken).toBe(false);
        const r = yield* asyncio.gather(barrier.wait(), barrier.wait(), barrier.wait());
        expect(r).toEqual([0, 1, 2]);
      })(),
    );
  });

  it("reset() fails the tasks waiting at that moment and empties the barrier", async () => {
    await runOn(
      (function* () {
        const barrier = new Barrier(2);
        const a = spawn(barrier.wait());
        yield* ticks(2);
        expect(barrier.nWaiting).toBe(1);
        yield* barrier.reset();
        expect(barrier.nWaiting).toBe(0); // resetting
        const err = yield* caught(a);
        expect(err).toBeInstanceOf(asyncio.BrokenBarrierError);
        expect(barrier.broken).toBe(false);
        expect(yield* asyncio.gather(barrier.wait(), barrier.wait())).toEqual([0, 1]);
      })(),
    );
  });

  it("a cancelled wait() no longer counts as arrived", async () => {
    await runOn(
      (function* () {
        const barrier = new Barrier(2);
        const a = spawn(barrier.wait());
        yield* ticks(2);
        expect(barrier.nWaiting).toBe(1);
        a.cancel();
        expect(yield* caught(a)).toBeInstanceOf(asyncio.CancelledError);
        expect(barrier.nWaiting).toBe(0);
        const b = spawn(barrier.wait());
        yield* ticks(2);
        expect(b.done()).toBe(false);
        expect(yield* barrier.wait()).toBe(1);
        expect(yield* b).toBe(0);
      })(),
    );
  });

  it("a wait() cancelled while blocked by a draining barrier leaves no trace", async () => {
    await runOn(
      (function* () {
        const barrier = new Barrier(2);
        const a = spawn(barrier.wait());
        yield* ticks();
        const b = spawn(barrier.wait());
        const c = spawn(barrier.wait()); // blocked until a and b have left
        yield* ticks();
        c.cancel();
        expect(yield* caught(c)).toBeInstanceOf(asyncio.CancelledError);
        expect((yield* asyncio.gather(a, b)).sort()).toEqual([0, 1]);
        expect(barrier.nWaiting).toBe(0);
        expect(yield* asyncio.gather(barrier.wait(), barrier.wait())).toEqual([0, 1]);
      })(),
    );
  });

  it("is an async context manager whose value is the arrival index", async () => {
    await runOn(
      (function* () {
        const barrier = new Barrier(2);
        const other = spawn(barrier.wait());
        yield* ticks();
        const index = yield* asyncio.asyncWith(barrier, function* (i) {
          return i;
        });
        expect(index).toBe(1);
        expect(yield* other).toBe(0);
      })(),
    );
  });
});
