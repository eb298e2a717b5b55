/**
 * Three failing coroutines gathered with `returnExceptions`, their errors raised together as
 * an `ExceptionGroup`, and handled kind by kind with `exceptStar` (Python's `except*`).
 */
import * as asyncio from "../src/index.js";

function* fail(error: Error, delay: number): asyncio.Coroutine<never> {
  yield* asyncio.sleep(delay);
  throw error;
}

export function* main(): asyncio.Coroutine<void> {
  const results = yield* asyncio.gather(
    fail(new RangeError("bad port: -1"), 1),
    fail(new TypeError("expected a string"), 2),
    fail(new RangeError("bad size: 0"), 3),
    { returnExceptions: true },
  );
  const errors = results.filter((r): r is Error => r instanceof Error);
  console.log(`gathered ${errors.length} errors`);
  try {
    throw new asyncio.ExceptionGroup("three failures", errors);
  } catch (e) {
    asyncio.exceptStar(
      e,
      [
        RangeError,
        (group) => {
          for (const err of group.exceptions) console.log(`RangeError: ${(err as Error).message}`);
        },
      ],
      [
        TypeError,
        (group) => {
          for (const err of group.exceptions) console.log(`TypeError: ${(err as Error).message}`);
        },
      ],
    );
  }
  console.log("all handled");
}
