/**
 * Two copies of the library in one program (two versions in node_modules, a bundle beside
 * the sources, a test runner's isolation): here the sources (`src/`, through Vitest) and
 * the build (`dist/`, built by the global setup) are loaded side by side, and each copy's
 * objects must work with the other's loop, tasks, errors and context.
 */
import { describe, expect, it } from "vitest";
import * as a from "../src/index.js";

type Library = typeof a;
const b = (await import(new URL("../dist/src/index.js", import.meta.url).href)) as Library;

describe("two copies of asyncio-ts in one program", () => {
  it("are really two copies", () => {
    expect(b.Future).not.toBe(a.Future);
    expect(b.sleep).not.toBe(a.sleep);
  });

  it("share the running loop, and await each other's Futures, sleeps and tasks", async () => {
    function* main() {
      const loopA = a.getRunningLoop();
      expect(b.getRunningLoop()).toBe(loopA);
      const futB = b.getRunningLoop().createFuture<string>();
      loopA.callLater(1, () => futB.setResult("from b's future"));
      const fromFuture = yield* futB; // a Task of copy a awaits a Future of copy b
      const fromSleep = yield* b.sleep(1, "from b's sleep");
      yield* b.sleep(0);
      const futA = loopA.createFuture<string>();
      const taskB = b.createTask(
        (function* () {
          return `b's task got ${yield* futA}`; // and the other way round
        })(),
      );
      futA.setResult("a's result");
      const [x, y] = yield* b.gather(taskB, a.sleep(1, "a's sleep"));
      return [fromFuture, fromSleep, x, y, loopA.time()];
    }
    const out = await a.run(main(), { loopFactory: () => new a.VirtualEventLoop() });
    expect(out).toEqual([
      "from b's future",
      "from b's sleep",
      "b's task got a's result",
      "a's sleep",
      3,
    ]);
  });

  it("cancel across copies, and each copy's CancelledError catches the other's", async () => {
    const seen: string[] = [];
    function* sleeper() {
      try {
        yield* b.sleep(3600);
      } catch (e) {
        seen.push(`a: ${e instanceof a.CancelledError}, b: ${e instanceof b.CancelledError}`);
        throw e;
      }
    }
    function* main() {
      const t = a.createTask(sleeper());
      yield* b.sleep(1);
      t.cancel("stop");
      const err = yield* a.gather(t, { returnExceptions: true });
      const [e] = err as unknown[];
      return [
        e instanceof b.CancelledError,
        e instanceof a.CancelledError,
        String(e),
        t.cancelled(),
      ];
    }
    const out = await a.run(main(), { loopFactory: () => new b.VirtualEventLoop() });
    expect(seen).toEqual(["a: true, b: true"]);
    // gather(returnExceptions) holds a new CancelledError with the Task's (empty) message.
    expect(out).toEqual([true, true, "CancelledError", true]);
    // The brand does not make unrelated errors match.
    expect(new a.RuntimeError("x") instanceof b.CancelledError).toBe(false);
    expect(new Error("x") instanceof b.RuntimeError).toBe(false);
    expect(new b.BrokenBarrierError("x") instanceof a.RuntimeError).toBe(true);
  });

  it("the scheduler's own cancellation checks know the other copy's CancelledError", async () => {
    function* raisesForeign() {
      yield* a.sleep(0);
      throw new b.CancelledError("from b");
    }
    function* main() {
      // A Task of copy a whose coroutine raises b's CancelledError ends cancelled.
      const t = a.createTask(raisesForeign());
      yield* a.wait([t]);
      // A timeout of copy a turns a cancellation delivered by copy b's loop into TimeoutError.
      let timedOut = "";
      try {
        yield* a.waitFor(b.sleep(3600), 1);
      } catch (e) {
        timedOut = `${e instanceof a.TimeoutError}:${e instanceof b.TimeoutError}`;
      }
      return [t.cancelled(), timedOut];
    }
    const out = await a.run(main(), { loopFactory: () => new b.VirtualEventLoop() });
    expect(out).toEqual([true, "true:true"]);
    expect(() => a.rethrowIfCancelled(new b.CancelledError())).toThrow(b.CancelledError);
    expect(() => a.rethrowIfCancelled(new b.RuntimeError("x"))).not.toThrow();
  });

  it("share the current context: a ContextVar of one copy reads the other's task context", async () => {
    const v = new b.ContextVar<string>("request", { default: "none" });
    function* child() {
      return v.get();
    }
    function* main() {
      v.set("r-1");
      const inherited = yield* a.createTask(child());
      const names = [a.createTask(a.sleep(0)).getName(), b.createTask(b.sleep(0)).getName()];
      return { inherited, sameCounter: names[0] !== names[1] };
    }
    const out = await a.run(main(), { loopFactory: () => new a.VirtualEventLoop() });
    expect(out).toEqual({ inherited: "r-1", sameCounter: true });
    expect(v.get()).toBe("none");
  });

  it("refuses, naming the cause, a Future of a copy that speaks another protocol version", async () => {
    const loop = new a.VirtualEventLoop();
    // What a future, incompatible version's Future would carry: the brand with its version.
    const alien = { [Symbol.for("asyncio-ts.Future")]: 999, toString: () => "<Future alien>" };
    function* main() {
      const err = yield* a.gather(
        a.createTask(
          (function* () {
            yield alien as never;
          })(),
        ),
        { returnExceptions: true },
      );
      return err[0];
    }
    const e = (await a.run(main(), { loopFactory: () => loop })) as Error;
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toMatch(/another copy of asyncio-ts that speaks protocol version 999/);
    expect(e.message).toMatch(/install one version/);
  });
});
