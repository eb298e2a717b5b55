/**
 * A plain `function*` await chain overflows V8's stack at a few thousand levels; the
 * RangeError then says so and points to `coroutine()`, which runs 100,000 levels.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";

function* plainDepth(n: number): asyncio.Coroutine<number> {
  if (n === 0) {
    yield* asyncio.sleep(0);
    return 0;
  }
  return 1 + (yield* plainDepth(n - 1));
}

const markedDepth = asyncio.coroutine(function* markedDepth(n: number): asyncio.Coroutine<number> {
  if (n === 0) {
    yield* asyncio.sleep(0);
    return 0;
  }
  return 1 + (yield* markedDepth(n - 1));
});

async function failure(main: asyncio.Coroutine<unknown>): Promise<unknown> {
  try {
    await asyncio.run(main);
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("await chains deeper than V8's stack", () => {
  it("a 10,000-deep plain chain fails with a RangeError that names coroutine()", async () => {
    const e = (await failure(plainDepth(10_000))) as RangeError;
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe(
      "Maximum call stack size exceeded: this await chain of plain function* coroutines is too deep for V8's stack (about 4,000 levels); mark the recursive coroutine function with asyncio.coroutine() (handles 100,000 levels)",
    );
    expect(e.cause).toBeInstanceOf(RangeError);
    expect((e.cause as Error).message).toBe("Maximum call stack size exceeded");
    // The stack shows the coroutines where it overflowed, not the scheduler.
    expect(e.stack).toMatch(/^RangeError: Maximum call stack size exceeded: this await chain/);
    expect(e.stack).toContain("at plainDepth");
  });

  it("the same recursion marked with coroutine() runs 100,000 levels", async () => {
    expect(await asyncio.run(markedDepth(100_000))).toBe(100_000);
  });

  it("the explained error is thrown into the coroutine() frame awaiting the chain", async () => {
    // The plain chain runs inside `middle`'s generator; the Task sees the overflow when it
    // leaves that generator, and throws the explained error into `outer`.
    const middle = asyncio.coroutine(function* middle(): asyncio.Coroutine<number> {
      return yield* plainDepth(10_000);
    });
    const outer = asyncio.coroutine(function* outer(): asyncio.Coroutine<string> {
      try {
        yield* middle();
        return "no error";
      } catch (e) {
        return (e as Error).message.includes("asyncio.coroutine()") ? "caught, explained" : "plain";
      }
    });
    expect(await asyncio.run(outer())).toBe("caught, explained");
  });

  it("an overflow that is not an await chain keeps V8's own error", async () => {
    const recurse = (n: number): number => recurse(n + 1) + 1;
    function* main(): asyncio.Coroutine<number> {
      yield* asyncio.sleep(0);
      return recurse(0);
    }
    const e = (await failure(main())) as RangeError;
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe("Maximum call stack size exceeded");
    expect(e.cause).toBeUndefined();
  });
});
