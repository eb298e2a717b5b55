/**
 * A reconnecting client, tested across a network partition on the simulated network.
 *
 * The client keeps a connection to a quote server, asks for a quote every 10 seconds, and
 * reconnects (with a backoff) when the connection fails or a reply does not come within
 * 5 seconds. The test cuts the network for two minutes in the middle of an hour: the
 * client must notice, keep retrying, reconnect once the network heals, and carry on.
 * `naiveClient` neither times out nor reconnects: its request waits across the partition
 * until TCP gives up, and the error ends it.
 *
 * Run it: `npx tsx examples/testing/reconnect.ts`
 */
import * as asyncio from "../../src/index.js";
import { network, runTest, SimulatedLoop } from "../../src/testing/index.js";

/** The quote server: answers each "quote?" line with a number. */
export function* quoteServer(
  reader: asyncio.StreamReader,
  writer: asyncio.StreamWriter,
): asyncio.Coroutine<void> {
  let n = 0;
  try {
    for (;;) {
      const line = yield* reader.readline();
      if (line.length === 0) break;
      writer.write(Buffer.from(`${100 + (n++ % 7)}\n`));
      yield* writer.drain();
    }
  } catch (e) {
    if (!(e instanceof asyncio.OSError)) throw e;
  } finally {
    writer.close();
  }
}

export interface ClientLog {
  quotes: number;
  connects: number;
  failures: number;
}

/** The client: reconnects on failure, with a reply timeout; runs until `until`. */
export function* reconnectingClient(until: number, log: ClientLog): asyncio.Coroutine<void> {
  const loop = asyncio.getRunningLoop();
  let backoff = 1;
  while (loop.time() < until) {
    let writer: asyncio.StreamWriter | null = null;
    try {
      const [reader, w] = yield* asyncio.waitFor(asyncio.openConnection("quotes", 9000), 5);
      writer = w;
      log.connects++;
      backoff = 1;
      while (loop.time() < until) {
        w.write(Buffer.from("quote?\n"));
        const line = yield* asyncio.waitFor(reader.readline(), 5);
        if (line.length === 0) throw new asyncio.ConnectionResetError("server closed");
        log.quotes++;
        yield* asyncio.sleep(10);
      }
    } catch (e) {
      if (!(e instanceof asyncio.OSError || e instanceof asyncio.TimeoutError)) throw e;
      log.failures++;
      yield* asyncio.sleep(backoff);
      backoff = Math.min(backoff * 2, 30);
    } finally {
      writer?.close();
    }
  }
}

/** The bug: no reply timeout and no reconnect: one partition ends it. */
export function* naiveClient(until: number, log: ClientLog): asyncio.Coroutine<void> {
  const loop = asyncio.getRunningLoop();
  const [reader, writer] = yield* asyncio.openConnection("quotes", 9000);
  log.connects++;
  try {
    while (loop.time() < until) {
      writer.write(Buffer.from("quote?\n"));
      yield* reader.readline();
      log.quotes++;
      yield* asyncio.sleep(10);
    }
  } finally {
    writer.close();
  }
}

/**
 * An hour of quotes, with the network between client and server cut from minute 20 to
 * minute 22. Returns the client's log.
 */
export function partitionScenario(
  client: (until: number, log: ClientLog) => asyncio.Coroutine<void>,
): () => asyncio.Coroutine<ClientLog> {
  return function* () {
    const net = network();
    const server = yield* net.addHost("quotes").run(asyncio.startServer(quoteServer, null, 9000));
    const log: ClientLog = { quotes: 0, connects: 0, failures: 0 };
    const clientTask = net.addHost("client").run(client(3600, log), { name: "client" });
    yield* asyncio.sleep(20 * 60);
    net.partition(["client"], ["quotes"]);
    yield* asyncio.sleep(2 * 60);
    net.heal();
    yield* clientTask;
    server.close();
    server.closeClients();
    yield* server.waitClosed();
    return log;
  };
}

/** The simulated network the scenario runs on. */
export const simulated = () => new SimulatedLoop({ latency: 0.02, seed: 1 });

export async function main(): Promise<void> {
  const t0 = performance.now();
  const { result } = await runTest(partitionScenario(reconnectingClient), { loop: simulated });
  console.log(
    `an hour with a 2-minute partition, in ${(performance.now() - t0).toFixed(0)} ms:`,
    result,
  );
  try {
    await runTest(partitionScenario(naiveClient), { loop: simulated, timeout: 7200 });
  } catch (e) {
    console.log(`the naive client dies with its connection: ${(e as Error).message}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
