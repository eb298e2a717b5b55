/**
 * Type inference: what a user writes without annotations must come out typed. These
 * assertions are checked by the type checker (`npm run typecheck` covers test/), and the
 * coroutines also run, so each check is tied to real behaviour.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import * as asyncio from "../src/index.js";
import { runVirtual } from "./helpers.js";

function* fetchUser(id: number) {
  yield* asyncio.sleep(0.1);
  return { id, name: `user${id}` };
}

function* fails(): asyncio.Coroutine<never> {
  yield* asyncio.sleep(0);
  throw new RangeError("no");
}

describe("type inference", () => {
  it("infers results through yield*, gather, createTask, sleep and promises", async () => {
    function* main() {
      const user = yield* fetchUser(1);
      expectTypeOf(user).toEqualTypeOf<{ id: number; name: string }>();

      const [a, b, c] = yield* asyncio.gather(
        fetchUser(2),
        asyncio.sleep(1, "late"),
        Promise.resolve(true),
      );
      expectTypeOf(a).toEqualTypeOf<{ id: number; name: string }>();
      expectTypeOf(b).toEqualTypeOf<string>();
      expectTypeOf(c).toEqualTypeOf<boolean>();

      const many = yield* asyncio.gather(...[1, 2, 3].map(fetchUser));
      expectTypeOf(many).toEqualTypeOf<{ id: number; name: string }[]>();

      const all = yield* asyncio.gatherAll([1, 2, 3].map(fetchUser));
      expectTypeOf(all).toEqualTypeOf<{ id: number; name: string }[]>();
      const [u, late] = yield* asyncio.gatherAll([fetchUser(7), asyncio.sleep(1, "late")]);
      expectTypeOf(u.id).toEqualTypeOf<number>();
      expectTypeOf(late).toEqualTypeOf<string>();
      const pair = [fetchUser(8), Promise.resolve(true)] as const;
      expectTypeOf(yield* asyncio.gatherAll(pair)).toEqualTypeOf<
        [{ id: number; name: string }, boolean]
      >();
      const fromSet = yield* asyncio.gatherAll(new Set([asyncio.createTask(fetchUser(9))]));
      expectTypeOf(fromSet).toEqualTypeOf<{ id: number; name: string }[]>();
      const allOrErrors = yield* asyncio.gatherAll([fetchUser(10), fetchUser(11)].values(), {
        returnExceptions: true,
      });
      expectTypeOf(allOrErrors).toEqualTypeOf<({ id: number; name: string } | Error)[]>();

      const withErrors = yield* asyncio.gather(fetchUser(4), fails(), { returnExceptions: true });
      expectTypeOf(withErrors[0]).toEqualTypeOf<{ id: number; name: string } | Error>();

      const task = asyncio.createTask(fetchUser(5));
      expectTypeOf(task).toEqualTypeOf<asyncio.Task<{ id: number; name: string }>>();
      const fromTask = yield* task;
      expectTypeOf(fromTask.id).toEqualTypeOf<number>();

      const nothing = yield* asyncio.sleep(0);
      expectTypeOf(nothing).toEqualTypeOf<undefined>();
      const n = yield* asyncio.fromPromise(Promise.resolve(42));
      expectTypeOf(n).toEqualTypeOf<number>();

      const inTime = yield* asyncio.waitFor(fetchUser(6), 5);
      expectTypeOf(inTime.name).toEqualTypeOf<string>();

      const lock = new asyncio.Lock();
      const locked = yield* asyncio.asyncWith(lock, function* () {
        return 7;
      });
      expectTypeOf(locked).toEqualTypeOf<number>();

      const q = new asyncio.Queue<string>(10);
      yield* q.put("x");
      const item = yield* q.get();
      expectTypeOf(item).toEqualTypeOf<string>();

      const gen = asyncio.asyncGenerator(function* (stop: number) {
        for (let i = 0; i < stop; i++) {
          yield i * 2;
          yield* asyncio.sleep(0.1);
        }
      });
      const items = yield* asyncio.collect(gen(3));
      expectTypeOf(items).toEqualTypeOf<number[]>();

      return { user, b, n, locked, item, items, many: many.length, errorKind: withErrors[1] };
    }
    const run = asyncio.run(main(), { loopFactory: () => new asyncio.VirtualEventLoop() });
    expectTypeOf(run).toEqualTypeOf<
      Promise<{
        user: { id: number; name: string };
        b: string;
        n: number;
        locked: number;
        item: string;
        items: number[];
        many: number;
        errorKind: Error;
      }>
    >();
    const result = await run;
    expect(result.user).toEqual({ id: 1, name: "user1" });
    expect(result.b).toBe("late");
    expect(result.n).toBe(42);
    expect(result.locked).toBe(7);
    expect(result.item).toBe("x");
    expect(result.items).toEqual([0, 2, 4]);
    expect(result.many).toBe(3);
    expect(result.errorKind).toBeInstanceOf(RangeError);
  });

  it("types a coroutine() function exactly as the generator function it marks", async () => {
    const depth = asyncio.coroutine(function* depth(n: number): asyncio.Coroutine<number> {
      if (n === 0) return 0;
      return 1 + (yield* depth(n - 1));
    });
    expectTypeOf(depth).toEqualTypeOf<(n: number) => asyncio.Coroutine<number>>();
    const { result } = await runVirtual(depth(50));
    expect(result).toBe(50);
  });
});

describe("server addresses", () => {
  it("a TCP server's sockets give [host, port]; a Unix server's give the path", () => {
    type TcpServer = asyncio.AwaitedResult<ReturnType<typeof asyncio.startServer>>;
    type UnixServer = asyncio.AwaitedResult<ReturnType<typeof asyncio.startUnixServer>>;
    expectTypeOf<
      ReturnType<TcpServer["sockets"][number]["getsockname"]>
    >().toEqualTypeOf<asyncio.InetAddress>();
    expectTypeOf<
      ReturnType<UnixServer["sockets"][number]["getsockname"]>
    >().toEqualTypeOf<string>();
    type LoopTcp = asyncio.AwaitedResult<ReturnType<asyncio.BaseEventLoop["createServer"]>>;
    expectTypeOf<
      ReturnType<LoopTcp["sockets"][number]["getsockname"]>
    >().toEqualTypeOf<asyncio.InetAddress>();
  });

  it("getsockname() of a listening TCP server is its [host, port]", async () => {
    const { result } = await asyncio
      .run(
        (function* () {
          const server = yield* asyncio.startServer(() => {}, "127.0.0.1", 0);
          const [host, port] = server.sockets[0]!.getsockname();
          server.close();
          yield* server.waitClosed();
          return [host, typeof port] as const;
        })(),
      )
      .then((r) => ({ result: r }));
    expect(result).toEqual(["127.0.0.1", "number"]);
  });
});
