import * as asyncio from "../src/index.js";

function* main(): asyncio.Coroutine<string> {
  // @ts-expect-error: a Promise is not iterable
  const r: string = yield* fetchText();
  return r;
}
async function fetchText(): Promise<string> {
  return "x";
}

await asyncio.run(main());
