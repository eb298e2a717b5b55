/**
 * Running coroutines concurrently with Tasks (asyncio's create_task walkthrough): two
 * tasks started together take 2 seconds, not 3; `task.done()` tells whether one finished.
 */
import * as asyncio from "../src/index.js";

function* sayAfter(delay: number, what: string): asyncio.Coroutine<void> {
  yield* asyncio.sleep(delay);
  console.log(what);
}

export function* main(): asyncio.Coroutine<void> {
  const loop = asyncio.getRunningLoop();
  const start = loop.time();
  const task1 = asyncio.createTask(sayAfter(1, "hello"));
  const task2 = asyncio.createTask(sayAfter(2, "world"));

  console.log(`started at ${(loop.time() - start).toFixed(2)}s`);
  console.log(`task1 done: ${task1.done()}`);

  yield* task1;
  console.log(`task1 done: ${task1.done()}, task2 done: ${task2.done()}`);
  yield* task2;

  console.log(`finished at ${(loop.time() - start).toFixed(2)}s`);
}
