/**
 * At-least-once, shown: starts a private redis-server, 2 producer and 3 consumer processes
 * of examples/distributed_queue.ts, kills consumer 2 with SIGKILL while it holds an item,
 * then waits (`join()`) until every item is finished, shuts the queue down (the consumers
 * leave their loops) and checks every item from the processes' own output: each one was
 * finished exactly once, or — the item the killed consumer held — delivered again to a
 * live consumer after the visibility timeout and finished there.
 *
 *   npx tsx examples/distributed_demo.ts
 *
 * Exits 1 if an item was lost or finished twice without cause.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as asyncio from "../src/index.js";
import { RedisQueue } from "../src/redis/index.js";
import { RedisServer } from "./redis_server.js";

const ITEMS_PER_PRODUCER = 10;
const VISIBILITY = 1; // seconds: short, so the killed consumer's item comes back soon
const KILL_AFTER = 3; // consumer 2 is killed when it takes its 3rd item

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | string>;
}

/** What the processes printed: role name → event lines. */
const events = new Map<string, string[]>();

function start(
  url: string,
  role: "producer" | "consumer",
  id: number,
  onLine: (line: string) => void,
): Proc {
  // Built (dist/examples/*.js) or run from source under tsx: the sibling of this file.
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  const script = fileURLToPath(new URL(`./distributed_queue${ext}`, import.meta.url));
  const args = ["--role", role, "--id", String(id), "--url", url, "--name", "asyncq"];
  args.push("--items", String(ITEMS_PER_PRODUCER), "--visibility", String(VISIBILITY));
  // execArgv carries the TypeScript loader this script runs under (tsx).
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const name = `${role} ${id}`;
  events.set(name, []);
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    events.get(name)?.push(line);
    onLine(line);
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? String(signal))),
  );
  return { name, child, exited };
}

function* demo(url: string): asyncio.Coroutine<boolean> {
  const consumers: Proc[] = [];
  let victimTaken = 0;
  let heldWhenKilled = "";
  for (let id = 1; id <= 3; id++) {
    const proc = start(url, "consumer", id, (line) => {
      if (id !== 2 || !line.startsWith("got ")) return;
      victimTaken++;
      if (victimTaken === KILL_AFTER) {
        heldWhenKilled = line.slice(4);
        proc.child.kill("SIGKILL");
        console.log(`killed consumer 2 (SIGKILL) while it held ${heldWhenKilled}`);
      }
    });
    consumers.push(proc);
  }
  const producers = [1, 2].map((id) => start(url, "producer", id, () => {}));
  for (const p of producers) yield* asyncio.fromPromise(p.exited);
  console.log(`producers done: ${2 * ITEMS_PER_PRODUCER} items put`);

  const queue = new RedisQueue("asyncq", { url });
  try {
    yield* queue.join(); // includes the killed consumer's item, delivered again
    console.log("join(): every item finished");
    yield* queue.shutdown();
  } finally {
    yield* queue.close();
  }
  const codes: (number | string)[] = [];
  for (const c of consumers) codes.push(yield* asyncio.fromPromise(c.exited));
  console.log(`consumers exited: ${codes.join(", ")}`);

  // Check every item against what the processes printed.
  const finishedBy = new Map<string, string[]>();
  const takenBy = new Map<string, string[]>();
  for (const [name, lines] of events) {
    for (const line of lines) {
      const [what, id] = line.split(" ");
      if (id === undefined) continue;
      const map = what === "done" ? finishedBy : what === "got" ? takenBy : null;
      if (map === null) continue;
      map.set(id, [...(map.get(id) ?? []), name]);
    }
  }
  let once = 0;
  const redelivered: string[] = [];
  const wrong: string[] = [];
  for (let p = 1; p <= 2; p++) {
    for (let n = 1; n <= ITEMS_PER_PRODUCER; n++) {
      const id = `p${p}-${n}`;
      const finished = finishedBy.get(id) ?? [];
      const taken = takenBy.get(id) ?? [];
      // Only an item the killed consumer held may have been delivered twice.
      const killedHadIt = taken.includes("consumer 2") && taken.length >= 2;
      if (finished.length === 1 && taken.length === 1) once++;
      else if (finished.length >= 1 && killedHadIt) {
        redelivered.push(
          `${id}: taken by ${taken.join(", then ")}; finished by ${finished.join(", ")}`,
        );
      } else
        wrong.push(`${id}: taken by [${taken.join(", ")}], finished by [${finished.join(", ")}]`);
    }
  }
  console.log(`finished exactly once: ${once}`);
  for (const r of redelivered) console.log(`delivered again after the kill: ${r}`);
  for (const w of wrong) console.log(`WRONG ${w}`);
  const ok = wrong.length === 0 && heldWhenKilled !== "";
  console.log(ok ? "every item finished: yes" : "every item finished: NO");
  return ok;
}

export function* main(): asyncio.Coroutine<boolean> {
  const server = new RedisServer();
  yield* asyncio.fromPromise(server.start());
  console.log("redis-server started");
  try {
    return yield* demo(server.url);
  } finally {
    yield* asyncio.fromPromise(server.stop());
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ok = await asyncio.run(main());
  process.exitCode = ok ? 0 : 1;
}
