/**
 * `asCompleted`: handle each result as soon as it is ready, fastest first.
 */
import * as asyncio from "../src/index.js";

function* download(name: string, seconds: number): asyncio.Coroutine<string> {
  yield* asyncio.sleep(seconds);
  return `${name} (${seconds}s)`;
}

export function* main(): asyncio.Coroutine<void> {
  const loop = asyncio.getRunningLoop();
  const start = loop.time();
  const downloads = [download("big.iso", 3), download("small.txt", 1), download("photo.jpg", 2)];
  for (const next of asyncio.asCompleted(downloads)) {
    const result = yield* next;
    console.log(`at ${loop.time() - start}s: ${result}`);
  }
}
