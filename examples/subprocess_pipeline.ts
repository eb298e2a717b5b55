/**
 * A subprocess pipeline, as a shell's `producer | filter`, wired by hand with asyncio-ts's
 * streams: one child generates lines, a second filters them, and the program reads the
 * result — all three running at once, with backpressure (`drain()`) between the children.
 * In Python:
 *
 * ```python
 * gen = await asyncio.create_subprocess_exec(sys.executable, "-c", GEN, stdout=PIPE)
 * flt = await asyncio.create_subprocess_exec("grep", "7", stdin=PIPE, stdout=PIPE)
 * async def pump():
 *     async for line in gen.stdout:
 *         flt.stdin.write(line)
 *         await flt.stdin.drain()
 *     flt.stdin.close()
 * _, out = await asyncio.gather(pump(), flt.stdout.read())
 * await flt.wait()
 * ```
 */
import * as asyncio from "../src/index.js";

/** The producer: the numbers 1 to 100, one per line. */
const GENERATE = "for (let i = 1; i <= 100; i++) console.log(i)";

/** Copies `reader` into `writer` line by line, waiting whenever the consumer is slow. */
function* pump(
  reader: asyncio.StreamReader,
  writer: asyncio.StreamWriter,
): asyncio.Coroutine<number> {
  let lines = 0;
  for (let line = yield* reader.readline(); line.length > 0; line = yield* reader.readline()) {
    writer.write(line);
    yield* writer.drain();
    lines++;
  }
  writer.close();
  yield* writer.waitClosed();
  return lines;
}

export function* main(): asyncio.Coroutine<string[]> {
  const generator = yield* asyncio.createSubprocessExec(process.execPath, "-e", GENERATE, {
    stdout: asyncio.PIPE,
  });
  // The filter: the lines that contain a 7 (a shell would say `grep 7`).
  const filter = yield* asyncio.createSubprocessExec("grep", "7", {
    stdin: asyncio.PIPE,
    stdout: asyncio.PIPE,
  });
  // Not filter.communicate(): it would close the filter's stdin, which pump() writes to.
  const [pumped, out] = yield* asyncio.gather(
    pump(generator.stdout as asyncio.StreamReader, filter.stdin as asyncio.StreamWriter),
    (filter.stdout as asyncio.StreamReader).read(),
  );
  const codes = [yield* generator.wait(), yield* filter.wait()];
  const found = out.toString().trimEnd().split("\n");
  console.log(`generated ${pumped} lines; the filter kept ${found.length}:`);
  console.log(found.join(" "));
  console.log(`exit codes: generator ${codes[0]}, filter ${codes[1]}`);
  return found;
}
