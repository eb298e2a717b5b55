/**
 * What a program's `import … from "asyncio-ts"` gets in the playground: the portable entry
 * (the browser's and the worker's `asyncio-ts`) and the main entry's debugging tools, which
 * need no Node either: instruments, the timeline, the task tables. The I/O of the Node
 * entry (sockets, subprocesses, files, signals, threads) is not here.
 *
 * The worker exposes this module to programs; the site's build type-checks the docs'
 * programs against it (website/.vitepress/doc-programs.ts).
 *
 * @example
 * ```ts
 * import * as asyncio from "asyncio-ts"; // in the playground: this module
 * asyncio.addInstrument({ taskCreated: (task) => console.log(task.getName()) });
 * ```
 */
export type {
  Instrument,
  InstrumentOptions,
  LoopStats,
  TaskOutcome,
  WaitKind,
  WaitTarget,
} from "../../src/debug/instruments.js";
export { addInstrument, getInstruments, removeInstrument } from "../../src/debug/instruments.js";
export type {
  TimelineCancel,
  TimelineGroup,
  TimelineHTMLOptions,
  TimelineSpan,
  TimelineTask,
  TimelineTextOptions,
  TimelineWait,
  TraceEvent,
} from "../../src/debug/timeline.js";
export { Timeline } from "../../src/debug/timeline.js";
export type { TaskReportOptions } from "../../src/debug/tools.js";
export { formatTaskTable, formatTaskTree } from "../../src/debug/tools.js";
export * from "../../src/portable.js";
