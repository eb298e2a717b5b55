/**
 * The walkthrough's chained coroutines: for each of three users, part 1 fetches the user
 * and part 2, which needs part 1's result, fetches their posts. Within one user the two
 * parts run in order; the three users run at once, so the total is the slowest chain,
 * not the sum. The "network" is a seeded random sleep, so every run prints the same.
 */
import * as asyncio from "../src/index.js";
import { Random } from "./random.js";

interface User {
  id: number;
  name: string;
}

/** A random delay of 0.5 to 2.0 seconds, in tenths so that the printed numbers are exact. */
function delay(rng: Random): number {
  return rng.randint(5, 20) / 10;
}

function* fetchUser(rng: Random, userId: number): asyncio.Coroutine<User> {
  const d = delay(rng);
  console.log(`part1: fetching user ${userId} (${d.toFixed(1)} s)...`);
  yield* asyncio.sleep(d);
  const user = { id: userId, name: `User${userId}` };
  console.log(`part1: got ${user.name}.`);
  return user;
}

function* fetchPosts(rng: Random, user: User): asyncio.Coroutine<string[]> {
  const d = delay(rng);
  console.log(`part2: fetching posts of ${user.name} (${d.toFixed(1)} s)...`);
  yield* asyncio.sleep(d);
  return [1, 2].map((i) => `Post ${i} by ${user.name}`);
}

/** part1 → part2 for one user: the second awaits the first's result. */
function* chain(rng: Random, userId: number): asyncio.Coroutine<string[]> {
  const loop = asyncio.getRunningLoop();
  const start = loop.time();
  const user = yield* fetchUser(rng, userId);
  const posts = yield* fetchPosts(rng, user);
  const took = loop.time() - start;
  console.log(`Returned ${posts.length} posts of ${user.name} (took ${took.toFixed(2)} s)`);
  return posts;
}

/**
 * Three chains at once; prints the total time.
 *
 * @example
 * ```ts
 * await asyncio.run(main()); // ==> Total time: 3.10 s
 * ```
 */
export function* main(): asyncio.Coroutine<string[][]> {
  const rng = new Random(444);
  const loop = asyncio.getRunningLoop();
  const start = loop.time();
  const results = yield* asyncio.gather(chain(rng, 1), chain(rng, 2), chain(rng, 3));
  console.log(`==> Total time: ${(loop.time() - start).toFixed(2)} s`);
  return results;
}
