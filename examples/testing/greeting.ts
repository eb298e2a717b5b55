/**
 * A race with real I/O, found by the explorer: a client that takes one `read()` for one
 * message.
 *
 * The server greets each client with one line, written at once. Over loopback the kernel
 * hands the whole line to the client in one read, so an ordinary test passes every time.
 * TCP promises a byte stream, not messages: on a real network the line may come in two
 * reads, and `read(1024)` then returns half of it. `explore()` runs the same test against
 * the same real server, with what the socket delivers cut into seeded pieces and held
 * back some iterations — and the seed it reports makes the partial read happen again.
 * The fix reads up to the end of the message (`readline()`).
 *
 * Run it: `npx tsx examples/testing/greeting.ts`
 */
import * as asyncio from "../../src/index.js";
import { explore } from "../../src/testing/index.js";

/** Runs `use(port)` with a real loopback server of `handle`, closed afterwards. */
export function* withServer<T>(
  handle: (r: asyncio.StreamReader, w: asyncio.StreamWriter) => asyncio.Coroutine<void>,
  use: (port: number) => asyncio.Coroutine<T>,
): asyncio.Coroutine<T> {
  const server = yield* asyncio.startServer(handle, "127.0.0.1", 0);
  try {
    return yield* use(server.sockets[0]?.getsockname()[1] as number);
  } finally {
    server.close();
    yield* server.waitClosed();
  }
}

/** The server: one greeting line, then goodbye. */
export function* greeter(
  _reader: asyncio.StreamReader,
  writer: asyncio.StreamWriter,
): asyncio.Coroutine<void> {
  writer.write(Buffer.from("HELLO 42\n"));
  yield* writer.drain();
  writer.close();
  yield* writer.waitClosed();
}

/** The bug: one read() is taken for one whole message. */
export function* greetingOneRead(): asyncio.Coroutine<string> {
  return yield* withServer(greeter, function* (port) {
    const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
    try {
      const greeting = (yield* reader.read(1024)).toString();
      if (!/^HELLO \d+\n$/.test(greeting)) {
        throw new Error(`a partial greeting: ${JSON.stringify(greeting)}`);
      }
      return greeting;
    } finally {
      writer.close();
      yield* writer.waitClosed();
    }
  });
}

/** The fix: read up to the end of the message. */
export function* greetingReadline(): asyncio.Coroutine<string> {
  return yield* withServer(greeter, function* (port) {
    const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
    try {
      return (yield* reader.readline()).toString();
    } finally {
      writer.close();
      yield* writer.waitClosed();
    }
  });
}

/** Runs the one-read client once, then under 100 schedules, racy and fixed. */
export async function main(): Promise<void> {
  const plain = await asyncio.run(greetingOneRead());
  console.log("plain run:", JSON.stringify(plain));
  let seed = 0;
  try {
    await explore(greetingOneRead, { runs: 100 });
  } catch (e) {
    seed = (e as { seed: number }).seed;
    console.log(`explore found the race:\n${(e as Error).message}`);
  }
  try {
    await explore(greetingOneRead, { seed, runs: 1 });
  } catch (e) {
    console.log(`seed ${seed} again: ${(e as Error).message.split(" [seed")[0]}`);
  }
  const result = await explore(greetingReadline, { runs: 100 });
  console.log(`with readline(): ${result.runs} schedules, all correct`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
