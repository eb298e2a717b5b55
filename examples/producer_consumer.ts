/**
 * The walkthrough's queue program: one producer fetches three users concurrently and puts
 * each on a queue as soon as it arrives; three consumers take users off the queue and fetch
 * their posts. The producer puts one `null` per consumer at the end: a sentinel that tells
 * a consumer to stop. The "network" is a seeded random sleep, so every run prints the same.
 */
import * as asyncio from "../src/index.js";
import { Random } from "./random.js";

export interface User {
  id: number;
  name: string;
}

/** A random delay of 0.5 to 2.0 seconds, in tenths so that the printed numbers are exact. */
export function delay(rng: Random): number {
  return rng.randint(5, 20) / 10;
}

/** Fetches one user, then puts it on the queue. */
export function* fetchUser(
  rng: Random,
  queue: asyncio.Queue<User | null>,
  userId: number,
): asyncio.Coroutine<void> {
  const d = delay(rng);
  console.log(`Producer: fetching user ${userId}...`);
  yield* asyncio.sleep(d);
  const user = { id: userId, name: `User${userId}` };
  console.log(`Producer: fetched ${user.name} (done in ${d.toFixed(1)} s)`);
  yield* queue.put(user);
}

/** Fetches a user's posts and prints them. */
export function* fetchPosts(rng: Random, consumer: number, user: User): asyncio.Coroutine<void> {
  const d = delay(rng);
  console.log(`Consumer ${consumer}: retrieving posts of ${user.name}...`);
  yield* asyncio.sleep(d);
  const posts = [1, 2].map((i) => `Post ${i} by ${user.name}`);
  console.log(
    `Consumer ${consumer}: got ${posts.length} posts of ${user.name} (done in ${d.toFixed(1)} s):`,
  );
  for (const post of posts) console.log(`  - ${post}`);
}

/** Fetches every user at once, then puts one sentinel per consumer. */
function* producer(
  rng: Random,
  queue: asyncio.Queue<User | null>,
  userIds: number[],
  consumers: number,
): asyncio.Coroutine<void> {
  yield* asyncio.gather(...userIds.map((id) => fetchUser(rng, queue, id)));
  for (let i = 0; i < consumers; i++) yield* queue.put(null);
}

/** Takes users off the queue until it gets the sentinel. */
function* consumer(
  rng: Random,
  queue: asyncio.Queue<User | null>,
  n: number,
): asyncio.Coroutine<void> {
  for (;;) {
    const user = yield* queue.get();
    if (user === null) break;
    yield* fetchPosts(rng, n, user);
  }
}

/** One producer, three consumers; prints the total time. */
export function* main(): asyncio.Coroutine<void> {
  const rng = new Random(444);
  const loop = asyncio.getRunningLoop();
  const start = loop.time();
  const queue = new asyncio.Queue<User | null>();
  const userIds = [1, 2, 3];
  yield* asyncio.gather(
    producer(rng, queue, userIds, userIds.length),
    ...userIds.map((_, i) => consumer(rng, queue, i + 1)),
  );
  console.log(`==> Total time: ${(loop.time() - start).toFixed(2)} s`);
}
