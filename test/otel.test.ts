/**
 * asyncio-ts/otel with the real OpenTelemetry SDK (sdk-trace-base) and its in-memory
 * exporter, on the virtual-time loop.
 */
import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { AsyncioContextManager, traceTasks } from "../src/otel/index.js";
import { runVirtual } from "./helpers.js";

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer("test");
const manager = new AsyncioContextManager();

beforeAll(() => {
  context.setGlobalContextManager(manager.enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => exporter.reset());

function parentOf(s: ReadableSpan): string | undefined {
  return s.parentSpanContext?.spanId;
}

function byName(): Map<string, ReadableSpan> {
  return new Map(exporter.getFinishedSpans().map((s) => [s.name, s]));
}

describe("traceTasks", () => {
  it("gives tasks spans whose parents follow createTask, gather and TaskGroup", async () => {
    function* leaf(): asyncio.Coroutine<void> {
      yield* asyncio.sleep(1);
    }
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      traceTasks({ tracer });
      const child = asyncio.createTask(
        (function* () {
          const [a] = yield* asyncio.gather(
            asyncio.createTask(leaf(), { name: "gathered-1" }),
            asyncio.createTask(leaf(), { name: "gathered-2" }),
          );
          return a;
        })(),
        { name: "child" },
      );
      yield* child;
      yield* asyncio.withTaskGroup(function* (tg) {
        tg.createTask(leaf(), { name: "group-1" });
        tg.createTask(leaf(), { name: "group-2" });
      });
    }
    await runVirtual(main());
    const spans = byName();
    const id = (n: string) => spans.get(n)?.spanContext().spanId;
    expect(parentOf(spans.get("main") as ReadableSpan)).toBeUndefined();
    expect(parentOf(spans.get("child") as ReadableSpan)).toBe(id("main"));
    expect(parentOf(spans.get("gathered-1") as ReadableSpan)).toBe(id("child"));
    expect(parentOf(spans.get("gathered-2") as ReadableSpan)).toBe(id("child"));
    expect(parentOf(spans.get("group-1") as ReadableSpan)).toBe(id("main"));
    expect(parentOf(spans.get("group-2") as ReadableSpan)).toBe(id("main"));
    const ours = ["main", "child", "gathered-1", "gathered-2", "group-1", "group-2"];
    const traceIds = new Set(ours.map((n) => spans.get(n)?.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    expect(spans.get("child")?.attributes["asyncio.task.name"]).toBe("child");
  });

  it("nests an instrumented library's span inside the task, and tasks made under it", async () => {
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      traceTasks({ tracer, include: /^(main|inner)$/ });
      let inner: asyncio.Task<void> | null = null;
      tracer.startActiveSpan("db.query", (span) => {
        inner = asyncio.createTask(asyncio.sleep(1), { name: "inner" });
        span.end();
      });
      yield* inner as unknown as asyncio.Task<void>;
      // The library's span ended: the task's own span is active again.
      expect(trace.getActiveSpan()).toBeDefined();
    }
    await runVirtual(main());
    const spans = byName();
    expect(parentOf(spans.get("db.query") as ReadableSpan)).toBe(
      spans.get("main")?.spanContext().spanId,
    );
    expect(parentOf(spans.get("inner") as ReadableSpan)).toBe(
      spans.get("db.query")?.spanContext().spanId,
    );
  });

  it("spans only the matching tasks; the others pass their creator's context on", async () => {
    function* worker(): asyncio.Coroutine<void> {
      yield* asyncio.sleep(1);
    }
    function* middle(): asyncio.Coroutine<void> {
      yield* asyncio.createTask(worker(), { name: "worker-1" });
    }
    function* main(): asyncio.Coroutine<void> {
      traceTasks({ tracer, include: /^worker-/, exclude: ["worker-2"] });
      yield* asyncio.createTask(middle(), { name: "middle" });
      yield* asyncio.createTask(worker(), { name: "worker-2" });
    }
    await tracer.startActiveSpan("request", async (request) => {
      await runVirtual(main());
      request.end();
    });
    const spans = byName();
    expect([...spans.keys()].sort()).toEqual(["request", "worker-1"]);
    expect(parentOf(spans.get("worker-1") as ReadableSpan)).toBe(
      spans.get("request")?.spanContext().spanId,
    );
  });

  it("records cancel() requests and the cancelled end as span events", async () => {
    function* main(): asyncio.Coroutine<void> {
      asyncio.currentTask()?.setName("main");
      traceTasks({ tracer, include: "victim" });
      const t = asyncio.createTask(asyncio.sleep(10), { name: "victim" });
      yield* asyncio.sleep(1);
      t.cancel("deadline passed");
      yield* asyncio.gather(t, { returnExceptions: true });
    }
    await runVirtual(main());
    const span = byName().get("victim") as ReadableSpan;
    expect(span.events.map((e) => [e.name, e.attributes])).toEqual([
      [
        "asyncio.cancel",
        { "asyncio.cancel.by": "main", "asyncio.cancel.message": "deadline passed" },
      ],
      ["asyncio.cancelled", { "asyncio.cancel.message": "deadline passed" }],
    ]);
    expect(span.status.code).toBe(0); // UNSET: a cancellation is not an error
  });

  it("records an exception group as one exception event per leaf, with ERROR status", async () => {
    function* fail(msg: string): asyncio.Coroutine<never> {
      yield* asyncio.sleep(1);
      throw new TypeError(msg);
    }
    function* group(): asyncio.Coroutine<void> {
      yield* asyncio.withTaskGroup(function* (tg) {
        tg.createTask(fail("first"));
        tg.createTask(fail("second"));
      });
    }
    function* main(): asyncio.Coroutine<void> {
      traceTasks({ tracer, include: "group" });
      const t = asyncio.createTask(group(), { name: "group" });
      yield* asyncio.gather(t, { returnExceptions: true });
    }
    await runVirtual(main());
    const span = byName().get("group") as ReadableSpan;
    expect(span.status.code).toBe(2); // ERROR
    const exceptions = span.events.filter((e) => e.name === "exception");
    expect(exceptions.map((e) => e.attributes?.["exception.message"])).toEqual([
      expect.stringMatching(/unhandled errors in a TaskGroup|sub-exception/),
      "first",
      "second",
    ]);
    expect(exceptions.slice(1).map((e) => e.attributes?.["exception.group_path"])).toEqual([
      "0",
      "1",
    ]);
  });

  it("stops making spans after stop(), and rejects bad options", async () => {
    function* main(): asyncio.Coroutine<void> {
      const tracing = traceTasks({ tracer });
      yield* asyncio.createTask(asyncio.sleep(1), { name: "before" });
      tracing.stop();
      yield* asyncio.createTask(asyncio.sleep(1), { name: "after" });
      expect(() => traceTasks({ include: 3 as never })).toThrow(
        /traceTasks\(\): 'include' must be a RegExp, a task name, a predicate or a list of these: received 3/,
      );
      expect(() => traceTasks({ tracer: {} as never })).toThrow(
        /'tracer' must be an OpenTelemetry Tracer/,
      );
    }
    await runVirtual(main());
    expect([...byName().keys()]).toEqual(["before"]);
  });
});

describe("AsyncioContextManager", () => {
  it("keeps with() inside its call, per task, and serves the root context once disabled", async () => {
    const key = Symbol("k");
    const ctx = ROOT_CONTEXT.setValue(key, "outer");
    expect(context.with(ctx, () => context.active().getValue(key))).toBe("outer");
    expect(context.active().getValue(key)).toBeUndefined();
    function* main(): asyncio.Coroutine<unknown[]> {
      const seen: unknown[] = [];
      yield* context.with(ctx, () =>
        asyncio.gather(
          (function* () {
            seen.push(context.active().getValue(key));
            yield* asyncio.sleep(1);
            seen.push(context.active().getValue(key));
          })(),
        ),
      );
      seen.push(context.active().getValue(key));
      return seen;
    }
    const { result } = await runVirtual(main());
    // The gathered task kept the context it was created in; main's with() had ended.
    expect(result).toEqual(["outer", "outer", undefined]);
    const m = new AsyncioContextManager();
    expect(m.with(ctx, () => m.active())).toBe(ROOT_CONTEXT);
    const bound = manager.bind(ctx, () => context.active().getValue(key));
    expect(bound()).toBe("outer");
  });
});
