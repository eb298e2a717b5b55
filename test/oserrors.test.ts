/**
 * Node's system errors reach the user as Python's OSError classes (ConnectionRefusedError,
 * ConnectionResetError, BrokenPipeError, …) on every path: connect, read, write/drain,
 * transports' callbacks, datagrams, listen, subprocess pipes. Real loopback sockets.
 */
import { describe, expect, it } from "vitest";
import * as asyncio from "../src/index.js";
import { b, portOf, runNode } from "./fixtures/net_helpers.js";

function* errorOf(aw: asyncio.Awaitable<unknown>): asyncio.Coroutine<unknown> {
  try {
    yield* aw;
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

/** A port on 127.0.0.1 where nothing listens: bound by a server that is then closed. */
function* closedPort(): asyncio.Coroutine<number> {
  const server = yield* asyncio.startServer(() => {}, "127.0.0.1", 0);
  const port = portOf(server);
  server.close();
  yield* server.waitClosed();
  return port;
}

/** What the tests check on every mapped error: Node's fields, kept, and Node's error as cause. */
function systemFields(e: unknown): Record<string, unknown> {
  const err = e as asyncio.OSError;
  const cause = err.cause as NodeJS.ErrnoException;
  return {
    isOSError: err instanceof asyncio.OSError,
    isError: err instanceof Error,
    code: err.code,
    errnoKept: typeof err.errno === "number" && err.errno === cause.errno,
    syscall: err.syscall,
    causeCode: cause.code,
    name: err.name,
  };
}

function socketOf(writer: asyncio.StreamWriter): import("node:net").Socket {
  return writer.getExtraInfo("socket") as import("node:net").Socket;
}

describe("connect errors", () => {
  it("a closed port: ConnectionRefusedError with Node's fields and Python's message", async () => {
    const { result } = await runNode(
      (function* () {
        const port = yield* closedPort();
        const e = yield* errorOf(asyncio.openConnection("127.0.0.1", port));
        const err = e as asyncio.ConnectionRefusedError;
        return {
          refused: err instanceof asyncio.ConnectionRefusedError,
          connectionError: err instanceof asyncio.ConnectionError,
          ...systemFields(err),
          address: err.address,
          portKept: err.port === port,
          message: err.message.replaceAll(String(port), "PORT"),
          causeMessage: (err.cause as Error).message.replace(String(port), "PORT"),
        };
      })(),
    );
    expect(result).toEqual({
      refused: true,
      connectionError: true,
      isOSError: true,
      isError: true,
      code: "ECONNREFUSED",
      errnoKept: true,
      syscall: "connect",
      causeCode: "ECONNREFUSED",
      name: "ConnectionRefusedError",
      address: "127.0.0.1",
      portKept: true,
      message:
        "[Errno 111] Connect call failed ('127.0.0.1', PORT): connect ECONNREFUSED 127.0.0.1:PORT",
      causeMessage: "connect ECONNREFUSED 127.0.0.1:PORT",
    });
  });

  it("loop.createConnection() raises the same class", async () => {
    const { result } = await runNode(
      (function* () {
        const port = yield* closedPort();
        const loop = asyncio.getRunningLoop();
        const e = yield* errorOf(
          loop.createConnection(() => new asyncio.Protocol(), "127.0.0.1", port),
        );
        return [e instanceof asyncio.ConnectionRefusedError, (e as asyncio.OSError).syscall];
      })(),
    );
    expect(result).toEqual([true, "connect"]);
  });

  it("a Unix socket path that does not exist: OSError with code ENOENT", async () => {
    const { result } = await runNode(
      (function* () {
        const e = yield* errorOf(asyncio.openUnixConnection("/nonexistent/asyncio-ts.sock"));
        return { ...systemFields(e), connectionError: e instanceof asyncio.ConnectionError };
      })(),
    );
    expect(result).toEqual({
      isOSError: true,
      isError: true,
      code: "ENOENT",
      errnoKept: true,
      syscall: "connect",
      causeCode: "ENOENT",
      name: "OSError",
      connectionError: false,
    });
  });

  it("cancelling a pending connect raises CancelledError, not a connection error", async () => {
    const { result } = await runNode(
      (function* () {
        const port = yield* closedPort();
        const task = asyncio.createTask(asyncio.openConnection("127.0.0.1", port));
        yield* asyncio.sleep(0);
        const pending = !task.done();
        task.cancel();
        const e = yield* errorOf(task);
        return [pending, e instanceof asyncio.CancelledError, e instanceof asyncio.OSError];
      })(),
    );
    expect(result).toEqual([true, true, false]);
  });
});

describe("errors on an open connection", () => {
  it("a peer that resets: the reader gets ConnectionResetError", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(
          function* (reader, writer) {
            yield* reader.readline();
            socketOf(writer).resetAndDestroy();
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        writer.write(b("reset me\n"));
        const e = yield* errorOf(reader.read(100));
        writer.close();
        server.close();
        yield* server.waitClosed();
        return {
          reset: e instanceof asyncio.ConnectionResetError,
          connectionError: e instanceof asyncio.ConnectionError,
          ...systemFields(e),
          message: (e as Error).message,
        };
      })(),
    );
    expect(result).toEqual({
      reset: true,
      connectionError: true,
      isOSError: true,
      isError: true,
      code: "ECONNRESET",
      errnoKept: true,
      syscall: "read",
      causeCode: "ECONNRESET",
      name: "ConnectionResetError",
      message: "[Errno 104] Connection reset by peer: read ECONNRESET",
    });
  });

  it("writing to a closed peer: a ConnectionError (EPIPE or ECONNRESET, as the OS decides)", async () => {
    const { result } = await runNode(
      (function* () {
        const server = yield* asyncio.startServer(
          function* (_reader, writer) {
            socketOf(writer).resetAndDestroy();
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        // The reset may reach the client before or after some writes: write until it shows.
        let e: unknown = null;
        for (let i = 0; i < 10_000 && e === null; i++) {
          try {
            writer.write(b("x".repeat(1024)));
            yield* writer.drain();
            yield* asyncio.sleep(0);
          } catch (err) {
            e = err;
          }
        }
        const readError = yield* errorOf(reader.read());
        writer.close();
        server.close();
        yield* server.waitClosed();
        const err = e as asyncio.OSError;
        return {
          connectionError: err instanceof asyncio.ConnectionError,
          brokenOrReset:
            err instanceof asyncio.BrokenPipeError || err instanceof asyncio.ConnectionResetError,
          codeMatchesClass:
            err instanceof asyncio.BrokenPipeError
              ? err.code === "EPIPE"
              : err.code === "ECONNRESET",
          syscallKept: typeof err.syscall === "string",
          errnoKept:
            typeof err.errno === "number" &&
            err.errno === (err.cause as NodeJS.ErrnoException).errno,
          readerSeesSameError: readError === e,
        };
      })(),
    );
    expect(result).toEqual({
      connectionError: true,
      brokenOrReset: true,
      codeMatchesClass: true,
      syscallKept: true,
      errnoKept: true,
      readerSeesSameError: true,
    });
  });

  it("a protocol's connectionLost() gets the mapped error", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const lost = loop.createFuture<unknown>();
        class Client extends asyncio.Protocol {
          override connectionLost(exc: unknown): void {
            lost.setResult(exc);
          }
        }
        const server = yield* asyncio.startServer(
          function* (reader, writer) {
            yield* reader.readline();
            socketOf(writer).resetAndDestroy();
          },
          "127.0.0.1",
          0,
        );
        const [t] = yield* loop.createConnection(() => new Client(), "127.0.0.1", portOf(server));
        t.write(b("reset me\n"));
        const exc = yield* lost;
        server.close();
        yield* server.waitClosed();
        return [exc instanceof asyncio.ConnectionResetError, (exc as asyncio.OSError).code];
      })(),
    );
    expect(result).toEqual([true, "ECONNRESET"]);
  });

  it("cancelling a pending read raises CancelledError; the next read sees the reset", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const serverWriter = loop.createFuture<asyncio.StreamWriter>();
        const server = yield* asyncio.startServer(
          function* (_reader, writer) {
            serverWriter.setResult(writer);
            yield* asyncio.sleep(3600);
          },
          "127.0.0.1",
          0,
        );
        const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", portOf(server));
        const sw = yield* serverWriter;
        const read = asyncio.createTask(reader.read(100));
        yield* asyncio.sleep(0);
        read.cancel();
        const cancelled = yield* errorOf(read);
        socketOf(sw).resetAndDestroy();
        const e = yield* errorOf(reader.read(100));
        writer.close();
        server.close();
        server.closeClients();
        yield* server.waitClosed();
        return [
          cancelled instanceof asyncio.CancelledError,
          cancelled instanceof asyncio.OSError,
          e instanceof asyncio.ConnectionResetError,
        ];
      })(),
      { allowReports: true },
    );
    expect(result).toEqual([true, false, true]);
  });
});

describe("other paths", () => {
  it("listening on a taken port: OSError with code EADDRINUSE", async () => {
    const { result } = await runNode(
      (function* () {
        const first = yield* asyncio.startServer(() => {}, "127.0.0.1", 0);
        const e = yield* errorOf(asyncio.startServer(() => {}, "127.0.0.1", portOf(first)));
        first.close();
        yield* first.waitClosed();
        return {
          ...systemFields(e),
          connectionError: e instanceof asyncio.ConnectionError,
          message: /^\[Errno 98\] Address already in use: listen EADDRINUSE/.test(
            (e as Error).message,
          ),
        };
      })(),
    );
    expect(result).toEqual({
      isOSError: true,
      isError: true,
      code: "EADDRINUSE",
      errnoKept: true,
      syscall: "listen",
      causeCode: "EADDRINUSE",
      name: "OSError",
      connectionError: false,
      message: true,
    });
  });

  it("a datagram to a closed port: errorReceived() gets ConnectionRefusedError", async () => {
    const { result } = await runNode(
      (function* () {
        const loop = asyncio.getRunningLoop();
        const port = yield* closedPort();
        const received = loop.createFuture<unknown>();
        class Udp extends asyncio.DatagramProtocol {
          override errorReceived(exc: unknown): void {
            if (!received.done()) received.setResult(exc);
          }
        }
        const [t] = yield* loop.createDatagramEndpoint(() => new Udp(), {
          remoteAddr: ["127.0.0.1", port],
        });
        // The refusal (ICMP) comes back after a send and shows on a later receive or send.
        for (let i = 0; i < 500 && !received.done(); i++) {
          t.sendto(b("ping"));
          yield* asyncio.sleep(0.01);
        }
        const exc = yield* received;
        t.close();
        return [exc instanceof asyncio.ConnectionRefusedError, (exc as asyncio.OSError).code];
      })(),
    );
    expect(result).toEqual([true, "ECONNREFUSED"]);
  });

  it("writing to a child's closed stdin: BrokenPipeError from drain()", async () => {
    const { result } = await runNode(
      (function* () {
        // The child closes its stdin, says so, and lives on: the pipe has no reader.
        const proc = yield* asyncio.createSubprocessExec(
          process.execPath,
          "-e",
          "require('fs').closeSync(0); console.log('closed'); setTimeout(() => {}, 60000)",
          { stdin: asyncio.PIPE, stdout: asyncio.PIPE },
        );
        yield* (proc.stdout as asyncio.StreamReader).readline();
        const stdin = proc.stdin as asyncio.StreamWriter;
        let e: unknown = null;
        for (let i = 0; i < 1000 && e === null; i++) {
          try {
            stdin.write(b("x".repeat(1024)));
            yield* stdin.drain();
            yield* asyncio.sleep(0);
          } catch (err) {
            e = err;
          }
        }
        proc.kill();
        yield* proc.wait();
        const err = e as asyncio.OSError;
        return [err instanceof asyncio.BrokenPipeError, err.code, err.syscall, typeof err.errno];
      })(),
    );
    expect(result).toEqual([true, "EPIPE", "write", "number"]);
  });

  it("a program that does not exist: OSError with code ENOENT", async () => {
    const { result } = await runNode(
      (function* () {
        const e = yield* errorOf(asyncio.createSubprocessExec("/nonexistent/asyncio-ts-program"));
        return [e instanceof asyncio.OSError, (e as asyncio.OSError).code];
      })(),
    );
    expect(result).toEqual([true, "ENOENT"]);
  });

  it("the classes follow Python's hierarchy", () => {
    expect(new asyncio.ConnectionResetError("Connection lost").code).toBe("ECONNRESET");
    expect(new asyncio.BrokenPipeError().code).toBe("EPIPE");
    expect(new asyncio.ConnectionRefusedError().code).toBe("ECONNREFUSED");
    expect(new asyncio.ConnectionAbortedError().code).toBe("ECONNABORTED");
    expect(new asyncio.TimeoutError() instanceof asyncio.OSError).toBe(true);
    expect(new asyncio.TimeoutError() instanceof asyncio.ConnectionError).toBe(false);
    expect(new asyncio.ProcessLookupError() instanceof asyncio.OSError).toBe(true);
    for (const cls of [
      asyncio.ConnectionResetError,
      asyncio.BrokenPipeError,
      asyncio.ConnectionRefusedError,
      asyncio.ConnectionAbortedError,
    ]) {
      expect(new cls() instanceof asyncio.ConnectionError).toBe(true);
      expect(new cls() instanceof asyncio.OSError).toBe(true);
    }
    const e = new asyncio.OSError("boom", { code: "EACCES", errno: -13, syscall: "open" });
    expect([e.name, e.message, e.code, e.errno, e.syscall, e.address]).toEqual([
      "OSError",
      "boom",
      "EACCES",
      -13,
      "open",
      undefined,
    ]);
  });
});
