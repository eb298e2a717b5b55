/**
 * `gather` with two tasks: they run concurrently, and the results come back in the order
 * the awaitables were given, not the order they finished.
 */
import * as asyncio from "../src/index.js";

function* fetch(name: string, delay: number): asyncio.Coroutine<string> {
  console.log(`${name}: started`);
  yield* asyncio.sleep(delay);
  console.log(`${name}: finished after ${delay}s`);
  return `${name} result`;
}

export function* main(): asyncio.Coroutine<void> {
  const [slow, fast] = yield* asyncio.gather(fetch("slow", 2), fetch("fast", 1));
  console.log(`results: ${slow}, ${fast}`);
}
