/**
 * How a loop without Node's `setImmediate` gets back control from the host: a callback run
 * in a macrotask of its own, soon, and never clamped.
 *
 * `setTimeout(fn, 0)` is the obvious way and the wrong one: browsers clamp a timer nested
 * more than five deep to 4 ms, so a loop that ticked through it would run at most 250
 * ticks a second. A posted message (`MessageChannel`) or `scheduler.postTask` runs as soon
 * as the host is free, and is still a separate task, so rendering and input are served
 * between two of them. `setTimeout` is kept only as the last resort of a host without both.
 *
 * @module
 */

/** The mechanisms, best first. */
export type MacrotaskKind = "setImmediate" | "postTask" | "messageChannel" | "setTimeout";

/**
 * A callback the host runs in a new macrotask when asked. `post()` is idempotent while a
 * run is outstanding; `cancel()` withdraws it (a message already on its way is then
 * ignored when it arrives); `close()` releases what the mechanism holds (a message port
 * keeps Node, Deno and Bun alive while it listens).
 */
export interface Macrotask {
  readonly kind: MacrotaskKind;
  post(): void;
  cancel(): void;
  close(): void;
}

/** `scheduler.postTask`, as Chromium has it in pages and workers. */
interface PostTaskScheduler {
  postTask(callback: () => void, options?: { priority?: string }): Promise<unknown>;
}

/** The `MessageChannel` constructor, where the host has one. */
type MessageChannelCtor = new () => {
  port1: { onmessage: ((event: unknown) => void) | null; close(): void };
  port2: { postMessage(message: unknown): void; close(): void };
};

function hostScheduler(): PostTaskScheduler | undefined {
  const s = (globalThis as { scheduler?: Partial<PostTaskScheduler> }).scheduler;
  return typeof s?.postTask === "function" ? (s as PostTaskScheduler) : undefined;
}

function hostMessageChannel(): MessageChannelCtor | undefined {
  const mc = (globalThis as unknown as { MessageChannel?: MessageChannelCtor }).MessageChannel;
  return typeof mc === "function" ? mc : undefined;
}

/** Ignores a postTask promise's rejection (there is none unless the task is aborted). */
function ignore(): void {}

/**
 * A macrotask on the best mechanism the host has, among `allowed` (in that order of
 * preference, skipping what the host lacks). Each is read from `globalThis` now, so a test
 * can install fakes before it creates a loop.
 */
export function macrotask(callback: () => void, allowed: readonly MacrotaskKind[]): Macrotask {
  for (const kind of allowed) {
    if (kind === "setImmediate" && typeof globalThis.setImmediate === "function") {
      return new ImmediateTask(callback);
    }
    if (kind === "postTask") {
      const scheduler = hostScheduler();
      if (scheduler !== undefined) return new PostedTask(callback, scheduler);
    }
    if (kind === "messageChannel") {
      const mc = hostMessageChannel();
      if (mc !== undefined) return new MessageTask(callback, mc);
    }
    if (kind === "setTimeout") return new TimeoutTask(callback);
  }
  throw new TypeError(`macrotask(): the host has none of ${allowed.join(", ")}`);
}

/** Node's, Deno's and Bun's `setImmediate`: after pending I/O callbacks, never clamped. */
class ImmediateTask implements Macrotask {
  readonly kind = "setImmediate";
  private _handle: ReturnType<typeof setImmediate> | null = null;
  private readonly _run = (): void => {
    this._handle = null;
    this._callback();
  };

  constructor(private readonly _callback: () => void) {}

  post(): void {
    if (this._handle === null) this._handle = setImmediate(this._run);
  }

  cancel(): void {
    if (this._handle !== null) {
      clearImmediate(this._handle);
      this._handle = null;
    }
  }

  close(): void {
    this.cancel();
  }
}

/**
 * The message-based mechanisms cannot withdraw what they posted: `cancel()` only clears
 * `wanted`, and the message finds nothing to do when it arrives. A `post()` while one is
 * outstanding re-arms `wanted` and reuses it.
 */
abstract class FlaggedTask implements Macrotask {
  abstract readonly kind: MacrotaskKind;
  private _outstanding = false;
  private _wanted = false;
  protected readonly _run = (): void => {
    this._outstanding = false;
    if (!this._wanted) return;
    this._wanted = false;
    this._callback();
  };

  constructor(private readonly _callback: () => void) {}

  post(): void {
    this._wanted = true;
    if (this._outstanding) return;
    this._outstanding = true;
    this._send();
  }

  cancel(): void {
    this._wanted = false;
  }

  close(): void {
    this._wanted = false;
    this._outstanding = false;
    this._release();
  }

  protected abstract _send(): void;
  protected _release(): void {}
}

/** `scheduler.postTask` at its default priority, "user-visible": input goes first. */
class PostedTask extends FlaggedTask {
  readonly kind = "postTask";
  constructor(
    callback: () => void,
    private readonly _scheduler: PostTaskScheduler,
  ) {
    super(callback);
  }

  protected _send(): void {
    this._scheduler.postTask(this._run).then(undefined, ignore);
  }
}

/** A message to ourselves through a `MessageChannel`, opened on first use. */
class MessageTask extends FlaggedTask {
  readonly kind = "messageChannel";
  private _channel: InstanceType<MessageChannelCtor> | null = null;

  constructor(
    callback: () => void,
    private readonly _Channel: MessageChannelCtor,
  ) {
    super(callback);
  }

  protected _send(): void {
    let channel = this._channel;
    if (channel === null) {
      channel = new this._Channel();
      channel.port1.onmessage = this._run;
      this._channel = channel;
    }
    channel.port2.postMessage(null);
  }

  protected override _release(): void {
    const channel = this._channel;
    if (channel === null) return;
    this._channel = null;
    channel.port1.onmessage = null;
    channel.port1.close();
    channel.port2.close();
  }
}

/** The last resort: `setTimeout(0)`, clamped to 4 ms when nested. */
class TimeoutTask extends FlaggedTask {
  readonly kind = "setTimeout";
  protected _send(): void {
    setTimeout(this._run, 0);
  }
}
