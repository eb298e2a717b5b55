/**
 * The queue program again, stopping the consumers with `queue.shutdown()` (Python 3.13)
 * instead of sentinels: once the producer has put every user it shuts the queue down, and
 * each consumer's `consume` loop ends when the queue is shut down and empty. The queue
 * carries only users, so its type needs no `| null`.
 */
import * as asyncio from "../src/index.js";
import { fetchPosts, fetchUser, type User } from "./producer_consumer.js";
import { Random } from "./random.js";

/** Fetches every user at once, then shuts the queue down: nothing more will come. */
function* producer(
  rng: Random,
  queue: asyncio.Queue<User>,
  userIds: number[],
): asyncio.Coroutine<void> {
  yield* asyncio.gather(...userIds.map((id) => fetchUser(rng, queue, id)));
  queue.shutdown();
  console.log("Producer: done, queue shut down");
}

/** Takes users off the queue until it is shut down and empty. */
function* consumer(rng: Random, queue: asyncio.Queue<User>, n: number): asyncio.Coroutine<void> {
  yield* queue.consume((user) => fetchPosts(rng, n, user));
  console.log(`Consumer ${n}: queue shut down, stopping`);
}

/** One producer, three consumers; prints the total time. */
export function* main(): asyncio.Coroutine<void> {
  const rng = new Random(444);
  const loop = asyncio.getRunningLoop();
  const start = loop.time();
  const queue = new asyncio.Queue<User>();
  const userIds = [1, 2, 3];
  yield* asyncio.gather(
    producer(rng, queue, userIds),
    ...userIds.map((_, i) => consumer(rng, queue, i + 1)),
  );
  console.log(`==> Total time: ${(loop.time() - start).toFixed(2)} s`);
}
