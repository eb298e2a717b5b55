/**
 * The walkthrough's programs that run in a browser (those that need no sockets, files or
 * processes), read from examples/ at build time, so the playground shows exactly what the
 * tests run. Their `import … from "../src/index.js"` is shown as `"asyncio-ts"`.
 */
const sources = import.meta.glob("../../examples/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

/** One program the playground offers. */
export interface PlaygroundExample {
  name: string;
  about: string;
  source: string;
}

/** Names and one-line descriptions, in the walkthrough's order. */
const LISTED: readonly [string, string][] = [
  ["countasync", "three counts under gather: One One One, Two Two Two, in 1 s"],
  ["synchronous", "the same counts with a blocking sleep: the loop is frozen, 3 s"],
  ["rand", "three makerandom() retrying until they beat their threshold"],
  ["chain", "chained coroutines: a user, then their posts, for three users at once"],
  ["create_task", "two Tasks run concurrently; task.done() tells whether one finished"],
  ["gather_two", "gather() returns results in argument order"],
  ["as_completed", "asCompleted() hands back each result as soon as it is ready"],
  ["exception_group", "three failures raised as an ExceptionGroup, handled with exceptStar"],
  ["producer_consumer", "asyncq: a queue between a producer and three consumers"],
  ["producer_consumer_shutdown", "the same queue stopped with queue.shutdown()"],
  ["powers_of_two", "an async generator, collected and filtered"],
];

function read(name: string): string {
  const text = sources[`../../examples/${name}.ts`];
  if (text === undefined) throw new Error(`playground: examples/${name}.ts is missing`);
  return text.replaceAll('from "../src/index.js"', 'from "asyncio-ts"');
}

/** The programs, ready for the editor. */
export const EXAMPLES: readonly PlaygroundExample[] = LISTED.map(([name, about]) => ({
  name,
  about,
  source: read(name),
}));

/** The helper modules programs may import (`./random.js`): file name → TypeScript. */
export const HELPERS: Readonly<Record<string, string>> = {
  "random.ts": read("random"),
  "producer_consumer.ts": read("producer_consumer"),
};
