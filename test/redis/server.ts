/**
 * The tests' redis-server: the examples' launcher (examples/redis_server.ts), and the rule
 * for when redis-server is missing.
 */
import { findRedisServer } from "../../examples/redis_server.js";

export { findRedisServer, freePort, RedisServer } from "../../examples/redis_server.js";

/** Whether the suites that need redis-server run here; prints why not, fails in CI. */
export function redisAvailable(suite: string): boolean {
  if (findRedisServer() !== null) return true;
  const why = `${suite}: skipped: redis-server is not installed (apt-get install redis-server, or put redis-server on PATH)`;
  if (process.env.ASYNCIO_TS_REQUIRE_ALL === "1") {
    throw new Error(`${why}; ASYNCIO_TS_REQUIRE_ALL=1 makes this a failure`);
  }
  console.warn(why);
  return false;
}
