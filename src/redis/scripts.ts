/**
 * The Lua scripts of {@link RedisQueue}: every step that reads and changes more than one key
 * runs as one script, so that it is atomic on the Redis server and a crash of the calling
 * process can never leave the counters half-updated.
 *
 * Keys, all in one hash slot (`{name}`), so the queue also works on Redis Cluster:
 * - KEYS[1] `asyncio-ts:{name}:items` — the stream of items, read by the consumer group
 *   `consumers`; an entry is unfinished from `put()` until `taskDone()` acknowledges it
 *   (or it is dead-lettered). Acknowledged entries are not deleted one by one (XDEL costs
 *   more than XADD and XACK together): the stream is trimmed, in whole blocks, up to the
 *   oldest entry still pending or undelivered.
 * - KEYS[2] `asyncio-ts:{name}:meta` — a hash: `unfinished` (items put and not yet done,
 *   what `join()` waits on), `shutdown` (set once, by `shutdown()`), `putwait` (set
 *   while a putter waits for room, announced as `putwait`: only then do reads announce
 *   `space`, so a bounded queue far from full costs no extra command per read) and `joinwait`
 *   (set while a `join()` waits: only then is `done` announced).
 * - KEYS[3] `asyncio-ts:{name}:dead` — the dead-letter stream.
 * - ARGV[1] is always the pub/sub channel `asyncio-ts:{name}:events`, on which the scripts
 *   announce `space` (items were taken: waiting putters may retry), `putwait` (a putter
 *   began to wait for room), `done` (nothing is unfinished: `join()` returns) and `shutdown`.
 *
 * Invariant: `unfinished` = undelivered entries + entries in the group's pending list
 * (delivered, not yet acknowledged). So the number of items waiting to be delivered —
 * `qsize()` — is `unfinished - pending`, read atomically.
 *
 * @internal
 * @module
 */

/**
 * Shared Lua: `finished(n)` counts n items done — announcing `done` when none is left and a
 * `join()` waits — and trims the acknowledged entries off the stream's head.
 */
const FINISHED = `
local function trim()
  local upto = redis.call('XPENDING', KEYS[1], 'consumers')[2]
  if not upto then
    -- Nothing pending: every delivered entry is acknowledged.
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
      for j = 1, #g - 1, 2 do
        if g[j] == 'name' and g[j + 1] ~= 'consumers' then break end
        if g[j] == 'last-delivered-id' then upto = g[j + 1] end
      end
    end
  end
  if upto then redis.call('XTRIM', KEYS[1], 'MINID', '~', upto) end
end
local function finished(n)
  if n <= 0 then return end
  local left = redis.call('HINCRBY', KEYS[2], 'unfinished', -n)
  if left <= 0 and redis.call('HDEL', KEYS[2], 'joinwait') == 1 then
    redis.call('PUBLISH', ARGV[1], 'done')
  end
  trim()
end
`;

/** Shared Lua: moves entry `id` (payload `data`) to the dead-letter stream. */
const DEAD_LETTER = `${FINISHED}
local function dead_letter(id, data, reason, deliveries)
  redis.call('XADD', KEYS[3], '*', 'id', id, 'data', data, 'reason', reason,
    'deliveries', tostring(deliveries))
  if redis.call('XACK', KEYS[1], 'consumers', id) == 1 then
    redis.call('XDEL', KEYS[1], id)
    finished(1)
  end
end
`;

/**
 * put: ARGV = channel, maxsize, payload… → number of payloads stored (a prefix of them:
 * FIFO), or -1 when the queue is shut down.
 */
export const PUT = `
if redis.call('HEXISTS', KEYS[2], 'shutdown') == 1 then return -1 end
local maxsize = tonumber(ARGV[2])
local n = #ARGV - 2
local room = n
if maxsize > 0 then
  local unfinished = tonumber(redis.call('HGET', KEYS[2], 'unfinished') or '0')
  local pending = redis.call('XPENDING', KEYS[1], 'consumers')[1]
  room = maxsize - (unfinished - pending)
  if room > n then room = n end
  if room < 0 then room = 0 end
end
local call, items = redis.call, KEYS[1]
for i = 3, room + 2 do call('XADD', items, '*', 'd', ARGV[i]) end
if room > 0 then call('HINCRBY', KEYS[2], 'unfinished', room) end
-- A putter will wait: announced (once, when the flag appears) so that consumers announce
-- 'space' after their next read (they do only then).
if room < n and redis.call('HSET', KEYS[2], 'putwait', '1') == 1 then
  redis.call('PUBLISH', ARGV[1], 'putwait')
end
return room
`;

/**
 * read: ARGV = channel, consumer, count, claim ('1': first take entries idle longer than
 * minIdle), minIdle ms, maxDeliveries → { shutdown (0/1), id, data, deliveries, … }.
 *
 * Entries held by a consumer for longer than the visibility timeout are claimed (XAUTOCLAIM
 * counts a delivery); one delivered more than maxDeliveries times is dead-lettered instead.
 * New entries come after the claimed ones. When nothing new is there, the claim runs anyway.
 */
export const READ = `${DEAD_LETTER}
local consumer, count = ARGV[2], tonumber(ARGV[3])
local max_deliveries = tonumber(ARGV[6])
local out = {}
local shut = redis.call('HEXISTS', KEYS[2], 'shutdown')
out[1] = shut
local got = 0
local function claim()
  local want = count - got
  if want <= 0 then return end
  local r = redis.call('XAUTOCLAIM', KEYS[1], 'consumers', consumer, ARGV[5], '0-0', 'COUNT', want)
  for _, e in ipairs(r[2]) do
    local id = e[1]
    local fields = e[2]
    if fields then
      local p = redis.call('XPENDING', KEYS[1], 'consumers', id, id, 1)[1]
      local deliveries = p and p[4] or 1
      if deliveries > max_deliveries then
        dead_letter(id, fields[2], 'delivered ' .. deliveries .. ' times without taskDone() (maxDeliveries ' .. max_deliveries .. ')', deliveries)
      else
        out[#out + 1] = id; out[#out + 1] = fields[2]; out[#out + 1] = deliveries
        got = got + 1
      end
    end
  end
end
if ARGV[4] == '1' then claim() end
if got < count then
  local r = redis.call('XREADGROUP', 'GROUP', 'consumers', consumer, 'COUNT', count - got, 'STREAMS', KEYS[1], '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      out[#out + 1] = e[1]; out[#out + 1] = e[2][2]; out[#out + 1] = 1
      got = got + 1
    end
  end
end
if got == 0 and ARGV[4] ~= '1' then claim() end
if got > 0 and redis.call('HDEL', KEYS[2], 'putwait') == 1 then
  redis.call('PUBLISH', ARGV[1], 'space')
end
return out
`;

/** space: after a blocking read took items — tells waiting putters, if there are any. */
export const SPACE = `
if redis.call('HDEL', KEYS[2], 'putwait') == 1 then redis.call('PUBLISH', ARGV[1], 'space') end
return 1
`;

/**
 * ack: ARGV = channel, id… → how many were acknowledged here (not already by another, nor
 * dead-lettered). One XACK per thousand ids (Lua's unpack() has a stack limit).
 */
export const ACK = `${FINISHED}
local n = 0
for i = 2, #ARGV, 1000 do
  n = n + redis.call('XACK', KEYS[1], 'consumers', unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
finished(n)
return n
`;

/** deadletter: ARGV = channel, id, data, reason, deliveries → 1. */
export const DEAD = `${DEAD_LETTER}
dead_letter(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return 1
`;

/**
 * release: ARGV = channel, consumer, minIdle ms, (id, deliveries)… — hands entries this
 * consumer holds but never gave out back to the group at once: marks them idle for the
 * visibility timeout (so any consumer's next claim takes them) and takes back the delivery
 * they did not use. Then forgets the consumer if it holds nothing more.
 */
export const RELEASE = `
for i = 4, #ARGV, 2 do
  local retries = tonumber(ARGV[i + 1]) - 1
  if retries < 0 then retries = 0 end
  redis.call('XCLAIM', KEYS[1], 'consumers', ARGV[2], 0, ARGV[i], 'IDLE', ARGV[3],
    'RETRYCOUNT', retries, 'JUSTID')
end
if #ARGV >= 4 then redis.call('PUBLISH', ARGV[1], 'space') end
local mine = redis.call('XPENDING', KEYS[1], 'consumers', '-', '+', 1, ARGV[2])
if #mine == 0 then redis.call('XGROUP', 'DELCONSUMER', KEYS[1], 'consumers', ARGV[2]) end
return 1
`;

/**
 * shutdown: ARGV = channel, immediate ('1'/'0') → items dropped. An immediate shutdown
 * drops every undelivered item (each counts as done, as asyncio's does).
 */
export const SHUTDOWN = `${FINISHED}
redis.call('HSET', KEYS[2], 'shutdown', '1')
local dropped = 0
if ARGV[2] == '1' then
  local r = redis.call('XREADGROUP', 'GROUP', 'consumers', 'asyncio-ts:shutdown', 'STREAMS', KEYS[1], '>')
  if r then
    for _, e in ipairs(r[1][2]) do
      redis.call('XACK', KEYS[1], 'consumers', e[1])
      dropped = dropped + 1
    end
  end
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], 'consumers', 'asyncio-ts:shutdown')
  finished(dropped)
end
redis.call('PUBLISH', ARGV[1], 'shutdown')
return dropped
`;

/**
 * state: ARGV = channel, join ('1': a `join()` will wait if items are unfinished, so `done`
 * must be announced) → { unfinished, pending (delivered, unacknowledged), shutdown (0/1) }.
 */
export const STATE = `
local unfinished = tonumber(redis.call('HGET', KEYS[2], 'unfinished') or '0')
local pending = redis.call('XPENDING', KEYS[1], 'consumers')[1]
if ARGV[2] == '1' and unfinished > 0 then redis.call('HSET', KEYS[2], 'joinwait', '1') end
return { unfinished, pending, redis.call('HEXISTS', KEYS[2], 'shutdown') }
`;

/**
 * dropIfEmpty: ARGV = channel → 1 if the queue's keys were deleted. Deletes them only when
 * the queue holds nothing: no item (delivered or not), no dead letter, nothing unfinished,
 * no shutdown. What `close()` runs after `destroy()`: the group `destroy()` made again
 * goes, while anything another process stored since stays.
 */
export const DROP_IF_EMPTY = `
if redis.call('XLEN', KEYS[1]) > 0 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if tonumber(redis.call('HGET', KEYS[2], 'unfinished') or '0') > 0 then return 0 end
if redis.call('HEXISTS', KEYS[2], 'shutdown') == 1 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`;
