import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";
import { caught, failAfter, runVirtual } from "./helpers.js";

function now(): number {
  return asyncio.getRunningLoop().time();
}

describe("gather() cancellation semantics", () => {
  it("results come back in argument order, typed", async () => {
    function* main() {
      const [a, b] = yield* asyncio.gather(asyncio.sleep(2, "slow"), asyncio.sleep(1, 1));
      expectTypeOf(a).toEqualTypeOf<string>();
      expectTypeOf(b).toEqualTypeOf<number>();
      return [a, b, now()];
    }
    expect((await runVirtual(main())).result).toEqual(["slow", 1, 2]);
  });

  it.each([false, true])(
    "cancelling the gather (returnExceptions: %s) cancels every child; it then holds CancelledError('bye'), not cancelled()",
    async (returnExceptions) => {
      {
        function* main() {
          const a = asyncio.createTask(asyncio.sleep(10));
          const b = asyncio.createTask(asyncio.sleep(20));
          const g = asyncio.gather(a, b, { returnExceptions });
          yield* asyncio.sleep(1);
          const accepted = g.cancel("bye");
          const e = yield* caught(() => g);
          return [
            accepted,
            (e as Error).name,
            (e as Error).message,
            g.cancelled(),
            a.cancelled(),
            b.cancelled(),
            now(),
            g.cancel(),
          ];
        }
        const { result } = await runVirtual(main());
        expect(result).toEqual([true, "CancelledError", "bye", false, true, true, 1, false]);
      }
    },
  );

  it("cancelling the task awaiting the gather cancels the children", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(5));
      const b = asyncio.createTask(asyncio.sleep(6));
      const w = asyncio.createTask(
        (function* () {
          return yield* asyncio.gather(a, b, { returnExceptions: true });
        })(),
      );
      yield* asyncio.sleep(0.5);
      w.cancel();
      yield* caught(() => w);
      return [w.cancelled(), a.cancelled(), b.cancelled(), now()];
    }
    expect((await runVirtual(main())).result).toEqual([true, true, true, 0.5]);
  });

  it("without returnExceptions the first error propagates at once; siblings keep running", async () => {
    const boom = new RangeError("boom");
    function* main() {
      const sibling = asyncio.createTask(asyncio.sleep(3, "sibling result"));
      const e = yield* caught(() => asyncio.gather(failAfter(1, boom), sibling));
      const at = now();
      const stillRunning = !sibling.done();
      const v = yield* sibling;
      return [e === boom, at, stillRunning, v, now()];
    }
    expect((await runVirtual(main())).result).toEqual([true, 1, true, "sibling result", 3]);
  });

  it("with returnExceptions errors and cancellations come back in place", async () => {
    const boom = new RangeError("boom");
    function* main() {
      const victim = asyncio.createTask(asyncio.sleep(10));
      asyncio.getRunningLoop().callLater(0.5, () => victim.cancel());
      const results = yield* asyncio.gather(asyncio.sleep(1, "ok"), failAfter(2, boom), victim, {
        returnExceptions: true,
      });
      return results;
    }
    const { result, elapsed } = await runVirtual(main());
    expect(result[0]).toBe("ok");
    expect(result[1]).toBe(boom);
    expect(result[2]).toBeInstanceOf(asyncio.CancelledError);
    expect(elapsed).toBe(2);
  });

  it("a child cancelled on its own: the gather raises CancelledError but is not cancelled()", async () => {
    function* main() {
      const a = asyncio.createTask(asyncio.sleep(1));
      const b = asyncio.createTask(asyncio.sleep(2, "b"));
      const g = asyncio.gather(a, b);
      yield* asyncio.sleep(0);
      a.cancel("child");
      const e = yield* caught(() => g);
      return [(e as Error).message, g.cancelled(), b.done(), yield* b];
    }
    expect((await runVirtual(main())).result).toEqual(["child", false, false, "b"]);
  });

  it("identical arguments run once; an empty gather is []", async () => {
    function* main() {
      const c = asyncio.sleep(1, "same");
      const r = yield* asyncio.gather(c, c);
      const empty = yield* asyncio.gather();
      return [r, empty];
    }
    expect((await runVirtual(main())).result).toEqual([["same", "same"], []]);
  });
});
