/**
 * A chat server: many clients, one broadcast queue. Each client's handler puts the lines
 * it reads onto one `asyncio.Queue`; a single broadcaster task takes them off in order and
 * writes each to every connected client. Three clients (alice, bob, carol) take turns to
 * speak, and every one of them receives every message, in the same order.
 */
import * as asyncio from "../src/index.js";

const decode = (b: Uint8Array): string => Buffer.from(b).toString("utf8").trimEnd();
const encode = (s: string): Buffer => Buffer.from(`${s}\n`, "utf8");

class ChatServer {
  readonly messages = new asyncio.Queue<string>();
  readonly clients = new Map<string, asyncio.StreamWriter>();

  /** One connection: the first line is the nickname, every other line is a message. */
  *handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter): asyncio.Coroutine<void> {
    const name = decode(yield* reader.readline());
    this.clients.set(name, writer);
    writer.write(encode(`welcome, ${name}`));
    try {
      for (;;) {
        const line = yield* reader.readline();
        if (line.length === 0) break;
        yield* this.messages.put(`${name}: ${decode(line)}`);
      }
    } finally {
      this.clients.delete(name);
      writer.close();
    }
  }

  /** The only writer to the clients: messages go out in the order they were queued. */
  *broadcast(): asyncio.Coroutine<void> {
    try {
      for (;;) {
        const message = yield* this.messages.get();
        const writers = [...this.clients.values()];
        for (const w of writers) w.write(encode(message));
        yield* asyncio.gather(...writers.map((w) => w.drain()));
      }
    } catch (e) {
      if (!(e instanceof asyncio.QueueShutDown)) throw e;
    }
  }
}

interface Member {
  name: string;
  reader: asyncio.StreamReader;
  writer: asyncio.StreamWriter;
}

function* join(port: number, name: string): asyncio.Coroutine<Member> {
  const [reader, writer] = yield* asyncio.openConnection("127.0.0.1", port);
  writer.write(encode(name));
  console.log(`${name} joined: ${decode(yield* reader.readline())}`);
  return { name, reader, writer };
}

export function* main(): asyncio.Coroutine<void> {
  const chat = new ChatServer();
  const server = yield* asyncio.startServer((r, w) => chat.handle(r, w), "127.0.0.1", 0);
  const broadcaster = asyncio.createTask(chat.broadcast(), { name: "broadcaster" });
  const [, port] = server.sockets[0]!.getsockname();

  const members: Member[] = [];
  for (const name of ["alice", "bob", "carol"]) members.push(yield* join(port, name));

  const said = { alice: "hi all", bob: "hello alice", carol: "hey, both of you" };
  for (const speaker of members) {
    const text = said[speaker.name as keyof typeof said];
    console.log(`${speaker.name} says: ${text}`);
    speaker.writer.write(encode(text));
    // Everyone, the speaker included, receives the broadcast.
    const received = yield* asyncio.gather(...members.map((m) => m.reader.readline()));
    for (const [i, m] of members.entries()) {
      console.log(`  ${m.name} received: ${decode(received[i] as Buffer)}`);
    }
  }

  for (const m of members) {
    m.writer.close();
    yield* m.writer.waitClosed();
  }
  chat.messages.shutdown();
  yield* broadcaster;
  server.close();
  yield* server.waitClosed();
  console.log("everyone left; the server is closed");
}
