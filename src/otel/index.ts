/**
 * `asyncio-ts/otel`: OpenTelemetry for asyncio-ts programs.
 *
 * Two pieces, used together or apart:
 *
 * - {@link AsyncioContextManager}: an OpenTelemetry `ContextManager` that keeps the active
 *   OTel context in an asyncio-ts {@link ContextVar}. Every Task runs in a copy of its
 *   creator's context (asyncio's rule), so the active span follows `createTask`, `gather`
 *   and `TaskGroup` by construction, and a span an instrumented library starts inside a
 *   task (`tracer.startActiveSpan(...)`) nests under that task's span. Node's
 *   AsyncLocalStorage cannot do this: tasks are stepped by our loop, not by promises.
 * - {@link traceTasks}: an instrument (see `addInstrument`) that gives each task whose name
 *   matches a pattern a span, from its creation to its end, parented to the span active
 *   where it was created; a cancel() request becomes a span event (who, with what
 *   message), a failure is recorded as an exception with ERROR status, and an exception
 *   group as one exception event per leaf.
 *
 * `@opentelemetry/api` is an optional peer dependency: install it (and an SDK) to use
 * this module; the rest of asyncio-ts never loads it.
 *
 * @example
 * ```ts
 * import { context, trace } from "@opentelemetry/api";
 * import * as asyncio from "asyncio-ts";
 * import { AsyncioContextManager, traceTasks } from "asyncio-ts/otel";
 *
 * context.setGlobalContextManager(new AsyncioContextManager().enable());
 * await asyncio.run(main(), {
 *   loopFactory: () => {
 *     const loop = new asyncio.EventLoop();
 *     traceTasks({ include: /^(handler|fetch)-/, loop });
 *     return loop;
 *   },
 * });
 * ```
 *
 * @module
 */

import {
  type Attributes,
  type Context,
  type ContextManager,
  context as contextApi,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import type { BaseEventLoop } from "../core/base_events.js";
import { ContextVar } from "../core/contextvars.js";
import { describe } from "../core/coroutines.js";
import { _getRunningLoop } from "../core/events.js";
import type { Task } from "../core/tasks.js";
import {
  addInstrument,
  type Instrument,
  type InstrumentOptions,
  removeInstrument,
  type TaskOutcome,
} from "../debug/instruments.js";

/** The active OpenTelemetry context of each asyncio-ts context. */
const activeContext = new ContextVar<Context>("asyncio-ts.otel.context");

/**
 * An OpenTelemetry `ContextManager` whose active context lives in an asyncio-ts context
 * variable: each Task sees the context active where it was created, and `with()` inside a
 * task changes nothing outside it. Outside any task it behaves as a synchronous stack.
 *
 * Limits: like every synchronous context manager, `with(ctx, asyncFn)` makes `ctx` active
 * only until `asyncFn` returns its Promise; inside coroutines that is no limit, since a
 * coroutine's context is its task's.
 *
 * @example
 * ```ts
 * import { context } from "@opentelemetry/api";
 * context.setGlobalContextManager(new AsyncioContextManager().enable());
 * ```
 */
export class AsyncioContextManager implements ContextManager {
  private enabled = false;

  /** The active context: the current asyncio-ts context's, or the root context. */
  active(): Context {
    if (!this.enabled) return ROOT_CONTEXT;
    return activeContext.get(ROOT_CONTEXT);
  }

  /** Calls `fn` with `ctx` active, and restores the previous one after (even on throw). */
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (!this.enabled) return fn.call(thisArg, ...args);
    const token = activeContext.set(ctx);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      activeContext.reset(token);
    }
  }

  /** A function that runs `target` with `ctx` active; other targets are returned as is. */
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    const bound = function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => fn.apply(this, args));
    };
    Object.defineProperty(bound, "length", { value: fn.length });
    return bound as unknown as T;
  }

  /** Starts serving contexts. */
  enable(): this {
    this.enabled = true;
    return this;
  }

  /** Stops serving contexts: `active()` is the root context from now on. */
  disable(): this {
    this.enabled = false;
    return this;
  }
}

/**
 * Which task names get a span: a RegExp, an exact name, a predicate, or a list of these.
 *
 * @example
 * ```ts
 * const pattern: TaskNamePattern = [/^handler-/, "main", (name) => name.endsWith("-job")];
 * ```
 */
export type TaskNamePattern =
  | RegExp
  | string
  | ((name: string) => boolean)
  | readonly (RegExp | string | ((name: string) => boolean))[];

/**
 * Options of {@link traceTasks}.
 *
 * @example
 * ```ts
 * traceTasks({ include: /^worker-/, exclude: "worker-idle", sample: 0.1 });
 * ```
 */
export interface TraceTasksOptions {
  /** Task names that get a span; every task when absent. */
  include?: TaskNamePattern;
  /** Task names that never get a span, even when included. */
  exclude?: TaskNamePattern;
  /** The tracer; `trace.getTracer("asyncio-ts")` by default. */
  tracer?: Tracer;
  /** The loop; the running loop by default. */
  loop?: BaseEventLoop;
  /** The fraction of tasks considered, as addInstrument's `sample`; 1 by default. */
  sample?: number;
  /** Extra attributes for every task span. */
  attributes?: Attributes;
}

/**
 * The handle {@link traceTasks} returns.
 *
 * @example
 * ```ts
 * const tracing = traceTasks({ include: /^job-/ });
 * tracing.stop();
 * ```
 */
export interface TaskTracing {
  /** Stops making spans (spans of tasks still pending stay open until they end). */
  stop(): void;
}

function matcher(
  fn: string,
  arg: string,
  p: TaskNamePattern | undefined,
): ((n: string) => boolean) | null {
  if (p === undefined) return null;
  const one = (x: unknown): ((n: string) => boolean) => {
    if (x instanceof RegExp) return (n) => new RegExp(x.source, x.flags.replace("g", "")).test(n);
    if (typeof x === "string") return (n) => n === x;
    if (typeof x === "function") return (n) => Boolean((x as (n: string) => unknown)(n));
    throw new TypeError(
      `${fn}: '${arg}' must be a RegExp, a task name, a predicate or a list of these: received ${describe(x)}`,
    );
  };
  if (Array.isArray(p)) {
    const all = p.map(one);
    return (n) => all.some((m) => m(n));
  }
  return one(p);
}

interface Leaf {
  error: unknown;
  path: string;
}

/** The leaves of an exception group, with their index path ("0", "1.0" …). */
function leaves(e: unknown, path = ""): Leaf[] {
  const list = (e as { exceptions?: unknown }).exceptions;
  if (!(e instanceof AggregateError) || !Array.isArray(list)) return [{ error: e, path }];
  return list.flatMap((x, i) => leaves(x, path === "" ? String(i) : `${path}.${i}`));
}

function exceptionAttributes(e: unknown): Attributes {
  if (e instanceof Error) {
    return {
      "exception.type": e.name,
      "exception.message": e.message,
      ...(e.stack === undefined ? {} : { "exception.stacktrace": e.stack }),
    };
  }
  return { "exception.type": typeof e, "exception.message": String(e) };
}

/**
 * Gives each matching task an OpenTelemetry span, from its creation to its end, as the
 * child of the span active where it was created (with {@link AsyncioContextManager}
 * installed: the creating task's span, or a span an instrumented library made active),
 * and makes the span active inside the task, so its own children and library spans nest
 * under it. Tasks that do not match get no span but pass their creator's context on.
 *
 * Span name: the task's name. Attributes: `asyncio.task.name` and `options.attributes`.
 * Events: `asyncio.cancel` per cancel() request (`asyncio.cancel.by`,
 * `asyncio.cancel.message`), `asyncio.cancelled` when it ends cancelled; a failure is an
 * `exception` event with ERROR status, and for an exception group one more `exception`
 * event per leaf (`exception.group_path`: its index path in the group).
 *
 * Errors: as `addInstrument`; `TypeError` for a bad pattern or tracer.
 *
 * @example
 * ```ts
 * const tracing = traceTasks({ include: [/^handler-/, "main"] });
 * // ...
 * tracing.stop();
 * ```
 */
export function traceTasks(options: TraceTasksOptions = {}): TaskTracing {
  const fn = "traceTasks()";
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${fn}: 'options' must be an object: received ${describe(options)}`);
  }
  const include = matcher(fn, "include", options.include);
  const exclude = matcher(fn, "exclude", options.exclude);
  const tracer = options.tracer ?? trace.getTracer("asyncio-ts");
  if (typeof (tracer as { startSpan?: unknown }).startSpan !== "function") {
    throw new TypeError(
      `${fn}: 'tracer' must be an OpenTelemetry Tracer: received ${describe(tracer)}`,
    );
  }
  const extra = options.attributes ?? {};
  const spans = new WeakMap<Task<unknown>, Span>();

  const instrument: Instrument = {
    taskCreated(task) {
      const name = task.getName();
      // The creator's context: this runs inside the creating step (or the callback).
      const parent = contextApi.active();
      const span = tracer.startSpan(
        name,
        { attributes: { "asyncio.task.name": name, ...extra } },
        parent,
      );
      spans.set(task, span);
      const inner = trace.setSpan(parent, span);
      task.getContext().run(() => activeContext.set(inner));
    },
    taskCancelled(task, by, message) {
      const span = spans.get(task);
      if (span === undefined) return;
      const attrs: Attributes = {};
      if (by !== null) attrs["asyncio.cancel.by"] = by.getName();
      if (message !== undefined) attrs["asyncio.cancel.message"] = message;
      span.addEvent("asyncio.cancel", attrs);
    },
    taskDone(task, outcome: TaskOutcome) {
      const span = spans.get(task);
      if (span === undefined) return;
      spans.delete(task);
      if (outcome.state === "cancelled") {
        const msg = outcome.error instanceof Error ? outcome.error.message : "";
        span.addEvent("asyncio.cancelled", msg === "" ? {} : { "asyncio.cancel.message": msg });
      } else if (outcome.state === "error") {
        const e = outcome.error;
        span.recordException(e instanceof Error ? e : String(e));
        const parts = leaves(e);
        if (parts.length > 1 || parts[0]?.path !== "") {
          for (const leaf of parts) {
            span.addEvent("exception", {
              ...exceptionAttributes(leaf.error),
              "exception.group_path": leaf.path,
            });
          }
        }
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
        });
      }
      span.end();
    },
  };
  // Tasks left out are not heard of at all: their steps cost nothing (see addInstrument).
  const addOptions: InstrumentOptions = {};
  if (include !== null || exclude !== null) {
    addOptions.select = (task) => {
      const name = task.getName();
      return (include === null || include(name)) && !(exclude?.(name) ?? false);
    };
  }
  if (options.loop !== undefined) addOptions.loop = options.loop;
  if (options.sample !== undefined) addOptions.sample = options.sample;
  addInstrument(instrument, addOptions);
  const loop = options.loop ?? (_getRunningLoop() as BaseEventLoop);
  return {
    stop() {
      removeInstrument(instrument, { loop });
    },
  };
}
