/**
 * A TCP echo server and its client, with streams, in one program: the server listens on a
 * free port of 127.0.0.1, the client sends three lines and prints each reply, then the
 * client closes its connection and the server shuts down — asyncio's classic
 * `start_server` / `open_connection` pair.
 */
import * as asyncio from "../src/index.js";

/** Serves one client: echoes each line back until the client closes its side. */
function* handleEcho(
  reader: asyncio.StreamReader,
  writer: asyncio.StreamWriter,
): asyncio.Coroutine<void> {
  const [host] = writer.getExtraInfo("peername") as [string, number];
  console.log(`server: client connected from ${host}`);
  try {
    for (;;) {
      const line = yield* reader.readline(); // "" at EOF
      if (line.length === 0) break;
      console.log(`server: echoing ${JSON.stringify(line.toString().trimEnd())}`);
      writer.write(line);
      yield* writer.drain(); // backpressure: wait if the client reads slowly
    }
  } finally {
    console.log("server: client left");
    writer.close();
    yield* writer.waitClosed();
  }
}

function* client(port: number): asyncio.Coroutine<void> {
  const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
  for (const message of ["hello", "asyncio-ts", "goodbye"]) {
    writer.write(Buffer.from(`${message}\n`));
    yield* writer.drain();
    const reply = yield* reader.readline();
    console.log(`client: got ${JSON.stringify(reply.toString().trimEnd())}`);
  }
  writer.close();
  yield* writer.waitClosed();
}

export function* main(): asyncio.Coroutine<void> {
  const server = yield* asyncio.startServer(handleEcho, "127.0.0.1", 0);
  console.log("server: listening on 127.0.0.1 (a free port)");
  // Leaving asyncWith closes the server and waits for its connections to end.
  yield* asyncio.asyncWith(server, function* (srv) {
    const [, port] = srv.sockets[0]!.getsockname();
    yield* client(port);
  });
  console.log("server: closed");
}
