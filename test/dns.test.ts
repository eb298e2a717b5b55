import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import {
  AF_INET,
  AF_INET6,
  AI_ADDRCONFIG,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_PASSIVE,
  AI_V4MAPPED,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "../src/io/dns.js";
import { runVirtual } from "./helpers.js";

function run<T>(body: (loop: asyncio.BaseEventLoop) => asyncio.Awaitable<T>): Promise<T> {
  return runVirtual(
    (function* () {
      return yield* body(asyncio.getRunningLoop());
    })(),
  ).then((r) => r.result);
}

describe("loop.getaddrinfo", () => {
  it("resolves localhost into one entry per socket type, as the C library does", async () => {
    const infos = await run((loop) => loop.getaddrinfo("localhost", 8080, { family: AF_INET }));
    expect(infos).toEqual([
      [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", ["127.0.0.1", 8080]],
      [AF_INET, SOCK_DGRAM, IPPROTO_UDP, "", ["127.0.0.1", 8080]],
      [AF_INET, SOCK_RAW, 0, "", ["127.0.0.1", 8080]],
    ]);
  });

  it("filters by type, accepts numeric and named services, fills canonname on request", async () => {
    const infos = await run((loop) =>
      loop.getaddrinfo("127.0.0.1", "http", { type: SOCK_STREAM, flags: AI_CANONNAME }),
    );
    expect(infos).toEqual([[AF_INET, SOCK_STREAM, IPPROTO_TCP, "127.0.0.1", ["127.0.0.1", 80]]]);
    const numeric = await run((loop) =>
      loop.getaddrinfo("127.0.0.1", "8443", { type: SOCK_STREAM }),
    );
    expect(numeric[0]?.[4]).toEqual(["127.0.0.1", 8443]);
  });

  it("passes AI_ADDRCONFIG and AI_V4MAPPED to the resolver (they were rejected as bad hints)", async () => {
    const addrconfig = await run((loop) =>
      loop.getaddrinfo("localhost", 80, { type: SOCK_STREAM, flags: AI_ADDRCONFIG }),
    );
    expect(addrconfig.length).toBeGreaterThan(0);
    expect(addrconfig.every((i) => i[1] === SOCK_STREAM && i[4][1] === 80)).toBe(true);
    const mapped = await run((loop) =>
      loop.getaddrinfo("localhost", 80, {
        family: AF_INET6,
        type: SOCK_STREAM,
        flags: AI_V4MAPPED,
      }),
    );
    expect(mapped.length).toBeGreaterThan(0);
    expect(mapped.every((i) => i[0] === AF_INET6 && i[4].length === 4)).toBe(true);
  });

  it("gives IPv6 socket addresses four fields", async () => {
    const infos = await run((loop) => loop.getaddrinfo("::1", 53, { type: SOCK_DGRAM }));
    expect(infos).toEqual([[AF_INET6, SOCK_DGRAM, IPPROTO_UDP, "", ["::1", 53, 0, 0]]]);
  });

  it("maps a null host to the wildcard (AI_PASSIVE) or the loopback addresses", async () => {
    const passive = await run((loop) =>
      loop.getaddrinfo(null, 80, { type: SOCK_STREAM, flags: AI_PASSIVE }),
    );
    expect(passive.map((i) => i[4][0])).toEqual(["0.0.0.0", "::"]);
    const active = await run((loop) => loop.getaddrinfo(null, 80, { type: SOCK_STREAM }));
    expect(active.map((i) => i[4][0])).toEqual(["::1", "127.0.0.1"]);
  });

  it("rejects a name under AI_NUMERICHOST without looking it up", async () => {
    const err = await run(function* (loop) {
      try {
        yield* loop.getaddrinfo("localhost", 80, { flags: AI_NUMERICHOST });
      } catch (e) {
        return e as Error & { code: string };
      }
      throw new Error("no error");
    });
    expect(err.code).toBe("EAI_NONAME");
  });

  it("throws at the call for bad arguments", async () => {
    await run(function* (loop) {
      expect(() => loop.getaddrinfo("localhost", 70000)).toThrow(RangeError);
      expect(() => loop.getaddrinfo("localhost", "no-such-service")).toThrow(/unknown service/);
      expect(() => loop.getaddrinfo(42 as never, 80)).toThrow(/'host'/);
      expect(() => loop.getaddrinfo("localhost", 80, { family: 99 })).toThrow(/'family'/);
      expect(() => loop.getaddrinfo("localhost", 80, { type: 9 })).toThrow(/'type'/);
      expect(() => loop.getnameinfo(["127.0.0.1"] as never)).toThrow(/'sockaddr'/);
    });
  });

  it("stops waiting at once when the awaiting task is cancelled", async () => {
    const outcome = await run(function* (loop) {
      const task = asyncio.createTask(
        (function* () {
          return yield* loop.getaddrinfo("localhost", 80);
        })(),
      );
      yield* asyncio.sleep(0);
      task.cancel();
      try {
        yield* task;
        return "finished";
      } catch (e) {
        return e instanceof asyncio.CancelledError ? "cancelled" : String(e);
      }
    });
    expect(outcome).toBe("cancelled");
  });
});

describe("loop.getnameinfo", () => {
  it("returns numeric host and port with the NI_NUMERIC* flags", async () => {
    const r = await run((loop) =>
      loop.getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST | NI_NUMERICSERV),
    );
    expect(r).toEqual(["127.0.0.1", "80"]);
  });

  it("looks up the name and service of a loopback address", async () => {
    const [host, service] = await run((loop) => loop.getnameinfo(["127.0.0.1", 22]));
    expect(typeof host).toBe("string");
    expect(host.length).toBeGreaterThan(0);
    expect(service).toBe("ssh");
    const [numericHost] = await run((loop) => loop.getnameinfo(["127.0.0.1", 22], NI_NUMERICHOST));
    expect(numericHost).toBe("127.0.0.1");
  });

  it("rejects a host that is not an address", async () => {
    const err = await run(function* (loop) {
      try {
        yield* loop.getnameinfo(["not-an-address", 80]);
      } catch (e) {
        return e;
      }
    });
    expect(err).toBeInstanceOf(Error);
  });
});
