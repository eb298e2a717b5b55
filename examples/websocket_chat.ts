/**
 * The walkthrough's chat server, over WebSockets: one HTTP application serves a page at
 * `/` and the chat at `/chat` on the same port. Each connection's handler runs as a Task;
 * the first message is the nickname, every other message goes onto one queue, and a
 * single broadcaster task sends each to every member, in order — `send()` waits for a
 * slow member (backpressure) instead of buffering without bound. Three members take turns
 * to speak and every one of them receives every message, in the same order.
 */
import * as http from "../src/http/index.js";
import * as asyncio from "../src/index.js";
import * as websockets from "../src/websockets/index.js";

export class ChatRoom {
  readonly messages = new asyncio.Queue<string>();
  readonly members = new Map<string, websockets.ServerConnection>();

  /** One connection: the first message is the nickname, every other one is said. */
  *handle(ws: websockets.ServerConnection): asyncio.Coroutine<void> {
    const name = String(yield* ws.recv());
    this.members.set(name, ws);
    yield* ws.send(`welcome, ${name}`);
    try {
      yield* asyncio.asyncFor(ws, (text) => this.messages.put(`${name}: ${String(text)}`));
    } finally {
      this.members.delete(name);
    }
  }

  /** The only sender to the members: messages go out in the order they were queued. */
  *broadcast(): asyncio.Coroutine<void> {
    try {
      for (;;) {
        const message = yield* this.messages.get();
        const members = [...this.members.values()];
        yield* asyncio.gather(...members.map((ws) => ws.send(message)), { returnExceptions: true });
      }
    } catch (e) {
      if (!(e instanceof asyncio.QueueShutDown)) throw e;
    }
  }
}

/** The application: a page, the chat, and the broadcaster started and stopped with it. */
export function chatApp(room = new ChatRoom()): http.Application {
  const app = new http.Application();
  app.router.addGet("/", function* () {
    return new http.Response("<p>connect a WebSocket to /chat</p>", { contentType: "text/html" });
  });
  app.router.addGet(
    "/chat",
    websockets.route((ws) => room.handle(ws)),
  );
  let broadcaster: asyncio.Task<void> | null = null;
  app.onStartup.push(function* () {
    broadcaster = asyncio.createTask(room.broadcast(), { name: "broadcaster" });
  });
  app.onCleanup.push(function* () {
    room.messages.shutdown();
    yield* broadcaster as asyncio.Task<void>;
  });
  return app;
}

function* join(
  url: string,
  name: string,
): asyncio.Coroutine<[string, websockets.ClientConnection]> {
  const ws = yield* websockets.connect(url);
  yield* ws.send(name);
  console.log(`${name} joined: ${String(yield* ws.recv())}`);
  return [name, ws];
}

export function* main(): asyncio.Coroutine<void> {
  const server = yield* http.serve(chatApp(), "127.0.0.1", 0);
  const url = `${server.url.replace("http:", "ws:")}/chat`;
  const members: [string, websockets.ClientConnection][] = [];
  for (const name of ["alice", "bob", "carol"]) members.push(yield* join(url, name));

  const said: Record<string, string> = {
    alice: "hi all",
    bob: "hello alice",
    carol: "hey, both of you",
  };
  for (const [speaker, ws] of members) {
    console.log(`${speaker} says: ${said[speaker]}`);
    yield* ws.send(said[speaker] as string);
    // Everyone, the speaker included, receives the broadcast.
    const received = yield* asyncio.gather(...members.map(([, m]) => m.recv()));
    for (const [i, [name]] of members.entries()) {
      console.log(`  ${name} received: ${String(received[i])}`);
    }
  }
  for (const [, ws] of members) yield* ws.close();
  yield* server.shutdown(5);
  console.log("everyone left; the server is closed");
}
