/**
 * The walkthrough's async generator. In Python:
 *
 * ```python
 * async def mygen(u: int = 10):
 *     """Yield powers of 2."""
 *     i = 0
 *     while i < u:
 *         yield 2 ** i
 *         i += 1
 *         await asyncio.sleep(0.1)
 *
 * async def main():
 *     g = []
 *     async for i in mygen(5):
 *         g.append(i)
 *     f = [j async for j in mygen(5) if not (j // 3 % 5)]
 * ```
 *
 * The producer only runs when the consumer asks for the next item, so each loop takes
 * 5 × 0.1 s: the whole program takes 1 s. (Async iteration is not concurrency: the two
 * loops run one after the other.)
 */
import * as asyncio from "../src/index.js";

/** Powers of two, one every 0.1 s: `yield` emits an item, `yield*` awaits. */
export const mygen = asyncio.asyncGenerator(function* mygen(u = 10) {
  let i = 0;
  while (i < u) {
    yield 2 ** i;
    i += 1;
    yield* asyncio.sleep(0.1);
  }
});

const show = (xs: number[]): string => `[${xs.join(", ")}]`;

export function* main(): asyncio.Coroutine<{ g: number[]; f: number[] }> {
  // async for i in mygen(5): g.append(i)
  const g: number[] = [];
  yield* asyncio.asyncFor(mygen(5), (i) => {
    g.push(i);
  });
  console.log(`g = ${show(g)}`);

  // [j async for j in mygen(5) if not (j // 3 % 5)]
  const f = yield* asyncio.collect(asyncio.filter(mygen(5), (j) => !(Math.floor(j / 3) % 5)));
  console.log(`f = ${show(f)}`);
  return { g, f };
}
