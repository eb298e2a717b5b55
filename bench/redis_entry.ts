// The one bundle the distributed benchmark's processes load: the library and its Redis
// subpath together, as one copy (a user's two imports resolve to one package).
export * as asyncio from "../src/index.js";
export { RedisQueue } from "../src/redis/index.js";
