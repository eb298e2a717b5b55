import * as asyncio from "../src/index.js";

function* waiter(ev: asyncio.Event): asyncio.Coroutine<void> {
  yield* ev.wait();
}

function* main(): asyncio.Coroutine<void> {
  const ev = new asyncio.Event();
  yield* waiter(ev);
}

await asyncio.run(main());
