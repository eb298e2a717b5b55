/**
 * The walkthrough's `async with` example: check several sites at once, each request an
 * async context manager. In Python (with aiohttp):
 *
 * ```python
 * async def check(url):
 *     async with aiohttp.ClientSession() as session:
 *         async with session.get(url) as response:
 *             print(f"{url}: status -> {response.status}")
 *             html = await response.text()
 *             print(f"{url}: type -> {html[:17].strip()}")
 *
 * async def main():
 *     await asyncio.gather(check(...), check(...))
 * ```
 *
 * So that it runs without a network, the "sites" are served by a small HTTP server that
 * the example starts on 127.0.0.1 (itself an async context manager: it is closed however
 * the block ends). Requests use Node's own `fetch` with the task's AbortSignal, so
 * cancelling a check aborts its request.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import * as asyncio from "../src/index.js";

/** What the local server answers for each path. */
const PAGES: Record<string, { status: number; body: string }> = {
  "/realpython.com": { status: 200, body: "<!DOCTYPE html>\n  <title>Real Python</title>" },
  "/pycoders.com": { status: 200, body: "<!doctype html>\n\n<title>PyCoder's Weekly</title>" },
  "/gone.example": { status: 404, body: "Not Found\n" },
};

/** Serves PAGES on 127.0.0.1 (a free port) and yields the base URL; closes on exit. */
export const localSites = asyncio.asynccontextmanager(function* localSites() {
  const server = createServer((req, res) => {
    const page = PAGES[req.url ?? ""] ?? { status: 404, body: "Not Found\n" };
    res.writeHead(page.status, { "content-type": "text/html" });
    res.end(page.body);
  });
  server.listen(0, "127.0.0.1");
  yield* asyncio.fromPromise(once(server, "listening"));
  const { port } = server.address() as AddressInfo;
  try {
    yield `http://127.0.0.1:${port}`;
  } finally {
    const closed = once(server, "close");
    server.close();
    server.closeAllConnections();
    yield* asyncio.fromPromise(closed);
  }
});

/** `session.get(url)`: a fetch bound to the current task's signal, its body released on exit. */
export const get = asyncio.asynccontextmanager(function* get(url: string) {
  const response = yield* asyncio.fromPromise(fetch(url, { signal: asyncio.currentSignal() }));
  try {
    yield response;
  } finally {
    if (!response.bodyUsed)
      yield* asyncio.fromPromise(response.body?.cancel() ?? Promise.resolve());
  }
});

function* check(base: string, site: string): asyncio.Coroutine<void> {
  yield* asyncio.asyncWith(get(`${base}/${site}`), function* (response) {
    console.log(`${site}: status -> ${response.status}`);
    const html = yield* asyncio.fromPromise(response.text());
    console.log(`${site}: type -> ${html.slice(0, 17).trim()}`);
  });
}

export function* main(): asyncio.Coroutine<void> {
  yield* asyncio.asyncWith(localSites(), function* (base) {
    yield* asyncio.gather(
      check(base, "realpython.com"),
      check(base, "pycoders.com"),
      check(base, "gone.example"),
    );
  });
}
