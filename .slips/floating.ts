import * as asyncio from "../src/index.js";

function* count(): asyncio.Coroutine<void> {
  console.log("One");
  yield* asyncio.sleep(1);
  console.log("Two");
}

function* main(): asyncio.Coroutine<void> {
  count();
  asyncio.sleep(1);
  console.log("done");
}

await asyncio.run(main(), { debug: true });
