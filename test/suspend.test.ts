/**
 * The suspension protocol's contract (core/suspend.ts): each shared iterator answers for
 * the awaitable that asked for it, once, or refuses loudly; nothing a step left behind
 * answers a later await.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

describe("the suspension protocol's iterators", () => {
  it("refuses a second iterator asked for before the first was stepped", async () => {
    function* main() {
      const loop = asyncio.getRunningLoop();
      const a = loop.createFuture<string>();
      const b = loop.createFuture<string>();
      a.setResult("a");
      b.setResult("b");
      const ia = a[Symbol.iterator]();
      let refused: unknown = null;
      try {
        b[Symbol.iterator]();
      } catch (e) {
        refused = e;
      }
      // The first iterator still answers for its own Future, not for b.
      const first = ia.next();
      // And the protocol is usable again at once.
      const after = yield* b;
      return { refused, first, after };
    }
    const { result } = await runVirtual(main());
    expect(result.refused).toBeInstanceOf(asyncio.RuntimeError);
    expect(String(result.refused)).toMatch(/taken and not stepped before another one/);
    expect(result.first).toEqual({ done: true, value: "a" });
    expect(result.after).toBe("b");
  });

  it("refuses a Future's iterator stepped again after it suspended", async () => {
    function* main() {
      const fut = asyncio.getRunningLoop().createFuture<number>();
      const it = fut[Symbol.iterator]();
      const first = it.next();
      let error: unknown = null;
      try {
        it.next();
      } catch (e) {
        error = e;
      }
      fut.cancel(); // nobody waits on it; the yielded-but-not-awaited Future is dropped
      return { first: first.value === (fut as unknown), error };
    }
    const { result } = await runVirtual(main());
    expect(result.first).toBe(true);
    expect(result.error).toBeInstanceOf(asyncio.RuntimeError);
    expect(String(result.error)).toMatch(/yield\* future was stepped outside yield\*/);
  });

  it("refuses a coroutine() frame's iterator stepped twice outside a Task", () => {
    const f = asyncio.coroutine(function* f() {
      yield* asyncio.sleep(0);
      return 1;
    });
    const it = f()[Symbol.iterator]();
    expect(it.next().done).toBe(false);
    expect(() => it.next()).toThrow(/coroutine\(\) function's call was stepped outside yield\*/);
  });

  it("a step's leftovers never answer the next task's awaits", async () => {
    // A coroutine closed from outside while it waits leaves the Task's resume unread.
    const order: string[] = [];
    function* waiter(fut: asyncio.Future<string>) {
      order.push(`waiter got ${yield* fut}`);
    }
    function* main() {
      const loop = asyncio.getRunningLoop();
      const f1 = loop.createFuture<string>();
      const f2 = loop.createFuture<string>();
      const gen = waiter(f1);
      const t = asyncio.createTask(gen);
      yield* asyncio.sleep(0);
      gen.return(undefined); // closed from outside; its task is still waiting on f1
      f1.setResult("one");
      const t2 = asyncio.createTask(waiter(f2));
      yield* asyncio.sleep(0);
      order.push(`t2 done: ${t2.done()}`);
      f2.setResult("two");
      yield* t2;
      yield* t;
      return order;
    }
    const { result } = await runVirtual(main());
    expect(result).toEqual(["t2 done: false", "waiter got two"]);
  });
});
