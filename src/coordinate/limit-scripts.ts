/**
 * The Lua scripts that keep a limit scope in Redis. Each runs atomically on the server, so however
 * many processes and machines share a scope, admission is decided on one state and one clock.
 *
 * A scope is a hash (`metasync:{scope:NAME}`), a sorted set of the requests in flight
 * (`metasync:{scope:NAME}:inflight`, lease id → when the lease lapses) and one of what the last
 * window admitted (`metasync:{scope:NAME}:window`, `lease:dimension:amount` → when). Per dimension (requests,
 * tokens, input and output tokens) the hash holds `tat:<dimension>`, the GCRA's theoretical arrival
 * time in ms, and `learned:<dimension>`, the limit the provider's headers reported; `cool` is when
 * a 429's cool-down ends. Both expire after `idleTtlMs` without use: by then every schedule has
 * caught up with the clock, and nothing in them is worth keeping.
 *
 * Time is Redis's own (`TIME`), so machines' clocks do not matter; tests pass `now` in ARGV[1]
 * instead (an empty string means `TIME`).
 */

/** The order the scripts take a charge's dimensions in (as `DIMENSIONS` in core/charge). */
const CLOCK = `
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local dims = {'requests', 'tokens', 'inputTokens', 'outputTokens'}
local function limitOf(d, configured)
  local learned = tonumber(redis.call('HGET', KEYS[1], 'learned:' .. d) or '0')
  if learned > 0 and (configured == 0 or learned < configured) then return learned end
  return configured
end
`;

/**
 * Admits a charge over every dimension at once, or says how long until it may be admitted: never
 * more than a limit's sixtieth in any `windowMs` (a provider may enforce a per-minute limit over
 * one-second windows; the window's own entries are kept in a sorted set, `KEYS[3]`), and spread
 * evenly inside it by the GCRA schedule, at `safety` of the limit.
 *
 * ARGV: now, lease id, lease ttl ms, safety (share of the limit the schedule uses), tolerance ms
 * (how far ahead of the schedule an admission may run), idle ttl ms, window ms (the span over
 * which a sixtieth of the limit is held: a second, plus a margin for jitter), then for each
 * dimension its amount and configured limit (0: none).
 * Returns {1, now, limit...} when admitted (the limits in force, per dimension, 0 for none), or
 * {0, waitMs, limit...}.
 */
export const ADMIT = `${CLOCK}
local safety = tonumber(ARGV[4])
local tolerance = tonumber(ARGV[5])
local window = tonumber(ARGV[7])
local limits = {}
local wait = 0
local cool = tonumber(redis.call('HGET', KEYS[1], 'cool') or '0')
if cool > now then wait = cool - now end
-- The window's entries ('lease:dimension:amount' at the time each was admitted) and, per dimension,
-- their running sum 'used:<i>': what leaves the window is taken off it.
local function parse(member)
  local dim, spent = string.match(member, ':(%d+):([%d%.]+)$')
  return tonumber(dim), tonumber(spent)
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now - window)
for _, member in ipairs(expired) do
  local dim, spent = parse(member)
  redis.call('HINCRBYFLOAT', KEYS[1], 'used:' .. dim, -spent)
end
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - window) end
local tats = {}
local charged = {}
for i, d in ipairs(dims) do
  local amount = tonumber(ARGV[6 + 2 * i])
  local limit = limitOf(d, tonumber(ARGV[7 + 2 * i]))
  limits[i] = tostring(limit)
  if limit > 0 and amount > 0 then
    local perMs = limit * safety / 60000
    local tat = tonumber(redis.call('HGET', KEYS[1], 'tat:' .. d) or '0')
    if tat < now then tat = now end
    if tat - now > tolerance then
      wait = math.max(wait, tat - now - tolerance)
    end
    tats[d] = tat + amount / perMs
    charged[i] = amount
    local capacity = limit / 60
    local used = math.max(0, tonumber(redis.call('HGET', KEYS[1], 'used:' .. i) or '0'))
    if used > 0.001 and used + amount > capacity then
      -- Full: walk the window oldest first to find when enough of it has left (the rare path).
      local entries = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
      for j = 1, #entries, 2 do
        local dim, spent = parse(entries[j])
        if dim == i then
          used = used - spent
          if used <= 0.001 or used + amount <= capacity then
            wait = math.max(wait, tonumber(entries[j + 1]) + window - now)
            break
          end
        end
      end
    end
  end
end
if wait > 0 then
  return {0, tostring(math.ceil(wait)), limits[1], limits[2], limits[3], limits[4]}
end
for d, tat in pairs(tats) do
  redis.call('HSET', KEYS[1], 'tat:' .. d, string.format('%.3f', tat))
end
for i, amount in pairs(charged) do
  redis.call('ZADD', KEYS[3], now, ARGV[2] .. ':' .. i .. ':' .. amount)
  redis.call('HINCRBYFLOAT', KEYS[1], 'used:' .. i, amount)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[2])
local idle = tonumber(ARGV[6])
redis.call('PEXPIRE', KEYS[1], idle)
redis.call('PEXPIRE', KEYS[2], math.max(idle, tonumber(ARGV[3])))
redis.call('PEXPIRE', KEYS[3], idle)
return {1, tostring(now), limits[1], limits[2], limits[3], limits[4]}
`;

/**
 * A request was answered: moves each schedule by what the provider settled minus what was charged
 * (a prompt counted differently from the estimate) and corrects the request's entry in the window,
 * takes in the limits its headers reported, and ends the lease.
 *
 * ARGV: now, lease id, safety, then per dimension: charged, settled, configured limit, learned
 * limit from the headers (0: none).
 */
export const SETTLE = `${CLOCK}
local safety = tonumber(ARGV[3])
for i, d in ipairs(dims) do
  -- At the rate the charge was scheduled at: the limit learned from this answer applies from now on.
  local charged = tonumber(ARGV[4 * i])
  local settled = tonumber(ARGV[1 + 4 * i])
  local delta = settled - charged
  local limit = limitOf(d, tonumber(ARGV[2 + 4 * i]))
  if delta ~= 0 and limit > 0 then
    local tat = tonumber(redis.call('HGET', KEYS[1], 'tat:' .. d) or '0')
    if tat > 0 then
      tat = tat + delta / (limit * safety / 60000)
      redis.call('HSET', KEYS[1], 'tat:' .. d, string.format('%.3f', tat))
    end
    -- The window's entry too, where it stands (still in the window or not).
    local member = ARGV[2] .. ':' .. i .. ':' .. charged
    local at = redis.call('ZSCORE', KEYS[3], member)
    if at then
      redis.call('ZREM', KEYS[3], member)
      redis.call('HINCRBYFLOAT', KEYS[1], 'used:' .. i, delta)
      if settled > 0 then redis.call('ZADD', KEYS[3], at, ARGV[2] .. ':' .. i .. ':' .. settled) end
    end
  end
  local learned = tonumber(ARGV[3 + 4 * i])
  if learned > 0 then redis.call('HSET', KEYS[1], 'learned:' .. d, learned) end
end
redis.call('ZREM', KEYS[2], ARGV[2])
return redis.call('ZCARD', KEYS[2])
`;

/**
 * A 429: every process sharing the scope cools down until the provider's retry-after has passed.
 *
 * ARGV: now, lease id, retry-after ms, then per dimension the learned limit (0: none).
 * Returns when the cool-down ends, in ms from now.
 */
export const RATE_LIMITED = `${CLOCK}
for i, d in ipairs(dims) do
  local learned = tonumber(ARGV[3 + i])
  if learned > 0 then redis.call('HSET', KEYS[1], 'learned:' .. d, learned) end
end
local cool = tonumber(redis.call('HGET', KEYS[1], 'cool') or '0')
local until_ = math.max(cool, now + math.max(tonumber(ARGV[3]), 50))
redis.call('HSET', KEYS[1], 'cool', until_)
redis.call('ZREM', KEYS[2], ARGV[2])
return tostring(until_ - now)
`;
