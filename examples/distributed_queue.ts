/**
 * The walkthrough's `asyncq` (producers make items at random moments, consumers take them
 * and work on them for a random time), with producers and consumers in separate processes,
 * on separate machines if you like, sharing one RedisQueue:
 *
 *   npx tsx examples/distributed_queue.ts --role consumer --id 1 --url redis://127.0.0.1:6379
 *   npx tsx examples/distributed_queue.ts --role producer --id 1 --items 20
 *
 * The consumer loop is asyncio's (`get`, work, `taskDone`) and stops when the queue is shut
 * down. Every line printed is one event, machine-readable: `put ID`, `got ID`, `done ID`.
 * examples/distributed_demo.ts runs 2 producers and 3 consumers and kills one of them.
 */
import * as asyncio from "../src/index.js";
import { RedisQueue } from "../src/redis/index.js";

/** What goes through the queue. */
export interface Job {
  id: string;
  /** Seconds of work. */
  work: number;
}

export interface Options {
  role: "producer" | "consumer";
  id: number;
  url: string;
  name: string;
  items: number;
  visibilityTimeout: number;
}

export function parseArgs(argv: string[]): Options {
  const options: Options = {
    role: "consumer",
    id: 1,
    url: "redis://127.0.0.1:6379",
    name: "asyncq",
    items: 10,
    visibilityTimeout: 30,
  };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`distributed_queue: ${flag} needs a value`);
    if (flag === "--role") {
      if (value !== "producer" && value !== "consumer") {
        throw new Error(
          `distributed_queue: --role must be producer or consumer: received ${value}`,
        );
      }
      options.role = value;
    } else if (flag === "--id") options.id = Number(value);
    else if (flag === "--url") options.url = value;
    else if (flag === "--name") options.name = value;
    else if (flag === "--items") options.items = Number(value);
    else if (flag === "--visibility") options.visibilityTimeout = Number(value);
    else throw new Error(`distributed_queue: unknown option ${flag}`);
  }
  return options;
}

/** Puts `items` jobs, each after a short random pause (asyncq's makeitem + randsleep). */
export function* produce(
  queue: RedisQueue<Job>,
  id: number,
  items: number,
): asyncio.Coroutine<void> {
  for (let n = 1; n <= items; n++) {
    yield* asyncio.sleep(Math.random() * 0.02);
    const job = { id: `p${id}-${n}`, work: 0.01 + Math.random() * 0.04 };
    yield* queue.put(job);
    console.log(`put ${job.id}`);
  }
}

/** asyncio's consumer loop: get, work, taskDone — until the queue is shut down. */
export function* consume(queue: RedisQueue<Job>): asyncio.Coroutine<void> {
  for (;;) {
    let job: Job;
    try {
      job = yield* queue.get();
    } catch (e) {
      if (e instanceof asyncio.QueueShutDown) return;
      throw e;
    }
    console.log(`got ${job.id}`);
    yield* asyncio.sleep(job.work);
    console.log(`done ${job.id}`);
    queue.taskDone();
  }
}

export function* main(argv: string[] = process.argv.slice(2)): asyncio.Coroutine<void> {
  const options = parseArgs(argv);
  const queue = new RedisQueue<Job>(options.name, {
    url: options.url,
    visibilityTimeout: options.visibilityTimeout,
    maxsize: 10,
    consumer: `${options.role}-${options.id}`,
  });
  try {
    if (options.role === "producer") yield* produce(queue, options.id, options.items);
    else yield* consume(queue);
  } finally {
    yield* queue.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await asyncio.run(main());
}
