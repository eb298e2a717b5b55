/**
 * The walkthrough's site checker, on asyncio-ts's own HTTP client: one `ClientSession`
 * (pooled keep-alive connections) checks several sites at once with `gather`, each
 * request an async context manager, each check bounded by the session's timeout. In
 * Python, with aiohttp:
 *
 * ```python
 * async def check(session, url):
 *     try:
 *         async with session.get(url) as resp:
 *             html = await resp.text()
 *             return f"{url}: {resp.status} {resp.reason} ({len(html)} bytes)"
 *     except asyncio.TimeoutError:
 *         return f"{url}: timed out"
 *
 * async def main():
 *     async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as session:
 *         for line in await asyncio.gather(*(check(session, u) for u in urls)):
 *             print(line)
 * ```
 *
 * So that it runs without a network, the sites are served by a small HTTP server that the
 * example starts on 127.0.0.1; one of them never answers, to show the timeout (which
 * aborts that request: the server sees its connection close).
 */
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import * as http from "../src/http/index.js";
import * as asyncio from "../src/index.js";

const SITES = ["realpython.com", "pycoders.com", "moved.example", "gone.example", "slow.example"];

/** The local server's answers by path; `null` never answers. */
const PAGES: Record<string, ((res: ServerResponse) => void) | null> = {
  "/realpython.com": (res) => res.end("<!DOCTYPE html>\n<title>Real Python</title>"),
  "/pycoders.com": (res) => res.end("<!doctype html>\n<title>PyCoder's Weekly</title>"),
  "/moved.example": (res) => {
    res.writeHead(301, { location: "/realpython.com" });
    res.end();
  },
  "/slow.example": null,
};

/** Serves PAGES on a free loopback port and yields the base URL; closes on exit. */
const localSites = asyncio.asynccontextmanager(function* localSites() {
  const server = createServer((req, res) => {
    const page = PAGES[req.url ?? ""];
    if (page === null) return;
    if (page === undefined) {
      res.writeHead(404);
      res.end("Not Found");
      return;
    }
    page(res);
  });
  server.listen(0, "127.0.0.1");
  yield* asyncio.fromPromise(once(server, "listening"));
  try {
    yield `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  } finally {
    const closed = once(server, "close");
    server.close();
    server.closeAllConnections();
    yield* asyncio.fromPromise(closed);
  }
});

function* check(session: http.ClientSession, site: string): asyncio.Coroutine<string> {
  try {
    return yield* asyncio.asyncWith(session.get(`/${site}`), function* (resp) {
      const html = yield* resp.text();
      const moved = resp.url.pathname === `/${site}` ? "" : ` (now ${resp.url.pathname.slice(1)})`;
      return `${site}: ${resp.status} ${resp.reason}, ${html.length} bytes${moved}`;
    });
  } catch (e) {
    if (e instanceof asyncio.TimeoutError) return `${site}: timed out`;
    if (e instanceof http.ClientError) return `${site}: ${e.message}`;
    throw e;
  }
}

export function* main(): asyncio.Coroutine<string[]> {
  let lines: string[] = [];
  yield* asyncio.asyncWith(localSites(), function* (base) {
    const session = new http.ClientSession({ baseUrl: base, timeout: 0.5 });
    yield* asyncio.asyncWith(session, function* (s) {
      lines = yield* asyncio.gather(...SITES.map((site) => check(s, site)));
      for (const line of lines) console.log(line);
    });
  });
  return lines;
}
