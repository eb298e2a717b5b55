import * as asyncio from "../src/index.js";

function* main() {
  console.log("before");
  yield asyncio.sleep(1);
  console.log("after");
}

await asyncio.run(main() as unknown as asyncio.Coroutine<void>);
