import type { StampedEvent } from '../../../shared/contracts/index.ts';
import { epochMinute, epochSecond, latencyField, NO_SOURCE, OTHER, type KeyLayout } from '../../../shared/stores/redis-keys.ts';
import type { RecentEntry } from '../../../shared/stores/redis-readers.ts';

/**
 * One script call records a chunk of events. Per event it claims `seen:<id>` with SET NX EX and, only if that set
 * the key, counts the event, so a re-delivered event changes nothing, and since a script runs atomically no reader
 * sees half a chunk. Counts are summed in Lua tables and written once per distinct key at the end (INCRBY, HINCRBY,
 * one EXPIREAT per bucket, one LPUSH of the newest entries): bench:workers showed Redis spending ~15 µs of CPU per
 * event when every event ran its own dozen commands. The per-event part runs under pcall, so one bad event (a latest
 * key of the wrong type) fails alone. The reply is {per event: 1 applied, 0 already seen, or the error; events counted
 * under OTHER in by_type; in by_source}.
 *
 * by_type and by_source are capped in distinct fields (the other field aside): a type or source the hash does not
 * hold yet, once it is full, is counted under OTHER instead, so the counts still add up to total. HLEN once per hash
 * and call, HEXISTS per distinct field only once the hash is full; decided here, in the script, so two workers
 * cannot both add the last free field.
 *
 * Key names come in ARGV, built by shared/stores/redis-keys.ts, so the layout is spelled in one place; they are not
 * declared as KEYS, so this is for a single Redis server, not Redis Cluster.
 *
 * ARGV: total, by_type, by_source, recent, latency key, latency EXPIREAT, seen ttl (s), recent length, seen key
 * prefix, the other field, by_type's cap, by_source's cap, latest ttl (s), then a JSON array of the chunk's time buckets (per distinct receivedAt second: second key, its EXPIREAT,
 * minute key, its EXPIREAT), then a JSON array with one array per event: id, type, source, its bucket's position in
 * the bucket array (from 1), latency field, recent JSON ('' = not among the write's newest) and, only for events that
 * update a latest value, latest key, timestamp ms, value, unit ('' = none), timestamp. Two JSON arguments rather
 * than 15 per event: encoding 30,000 arguments per batch was a fifth of a worker's CPU in ioredis, and cjson decodes
 * a string in C; keys shared by many events (buckets) and key prefixes are sent once per chunk, since writing them
 * into every event's entry was most of the JSON a worker built and Redis decoded. Strings where values are written,
 * so a value reaches HSET as JS wrote it.
 * Expiry uses EXPIREAT from the bucket's own time, so a late event does not keep an old bucket alive.
 */
export const RECORD_LUA = `
local total, byType, bySource, recent = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local latKey, latExp, seenTtl, recentLen = ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
local seenPrefix, other = ARGV[9], ARGV[10]
local maxTypes, maxSources, latestTtl = tonumber(ARGV[11]), tonumber(ARGV[12]), ARGV[13]
local bucketList = cjson.decode(ARGV[14])

local function newer(latest, ts, id)
  local cur = redis.call('HMGET', latest, 'ts_ms', 'id')
  local curTs = tonumber(cur[1])
  -- Equal timestamps are settled by id so the winner does not depend on arrival order.
  return curTs == nil or ts > curTs or (ts == curTs and id > (cur[2] or ''))
end

local function record(e)
  if not redis.call('SET', seenPrefix .. e[1], '1', 'NX', 'EX', seenTtl) then return 0 end
  local latest, id = e[7], e[1]
  if latest and newer(latest, tonumber(e[8]), id) then
    -- Replace the whole hash so a unit from an older reading does not linger on one without a unit.
    redis.call('DEL', latest)
    redis.call('HSET', latest, 'value', e[9], 'timestamp', e[11], 'ts_ms', e[8], 'id', id)
    if e[10] ~= '' then redis.call('HSET', latest, 'unit', e[10]) end
    redis.call('EXPIRE', latest, latestTtl)
  end
  return 1
end

local function add(t, k, n) t[k] = (t[k] or 0) + n end

-- Adds counts to a capped hash; returns how many events went to the other field for want of room.
local function addCapped(hash, counts, cap)
  local held = redis.call('HLEN', hash) - redis.call('HEXISTS', hash, other)
  local folded = 0
  for k, n in pairs(counts) do
    if k == other then
      redis.call('HINCRBY', hash, k, n)
    elseif held < cap then
      -- The count equals what was added only when the field is new.
      if redis.call('HINCRBY', hash, k, n) == n then held = held + 1 end
    elseif redis.call('HEXISTS', hash, k) == 1 then
      redis.call('HINCRBY', hash, k, n)
    else
      folded = folded + n
    end
  end
  if folded > 0 then redis.call('HINCRBY', hash, other, folded) end
  return folded
end

local events = cjson.decode(ARGV[15])
local out, applied = {}, {}
local types, sources, buckets, lats = {}, {}, {}, {}
for n = 1, #events do
  local e = events[n]
  local ok, res = pcall(record, e)
  if not ok then
    -- Goes to the dead-letter topic uncounted and unclaimed, so replaying it from there counts it once.
    redis.call('DEL', seenPrefix .. e[1])
    out[n] = type(res) == 'table' and (res.err or 'ERR script error') or tostring(res)
  else
    out[n] = res
    if res == 1 then
      applied[#applied + 1] = e
      add(types, e[2], 1)
      add(sources, e[3], 1)
      add(buckets, e[4], 1)
      add(lats, e[5], 1)
    end
  end
end

local foldedTypes, foldedSources = 0, 0
local function flush()
  redis.call('INCRBY', total, #applied)
  foldedTypes = addCapped(byType, types, maxTypes)
  foldedSources = addCapped(bySource, sources, maxSources)
  -- Seconds of one minute share its key: summed first, so the minute is written once.
  local minutes, minuteExpiry = {}, {}
  for b, n in pairs(buckets) do
    local bucket = bucketList[b]
    redis.call('INCRBY', bucket[1], n)
    redis.call('EXPIREAT', bucket[1], bucket[2])
    add(minutes, bucket[3], n)
    minuteExpiry[bucket[3]] = bucket[4]
  end
  for k, n in pairs(minutes) do
    redis.call('INCRBY', k, n)
    redis.call('EXPIREAT', k, minuteExpiry[k])
  end
  for k, n in pairs(lats) do redis.call('HINCRBY', latKey, k, n) end
  redis.call('EXPIREAT', latKey, latExp)
  -- Only the newest recentLen entries survive the LTRIM (the sink builds entries for the write's last recentLen
  -- events only); pushed oldest first, so the newest ends up at the head. In slices: unpack is bounded by Lua's C stack.
  local entries = {}
  for j = 1, #applied do if applied[j][6] ~= '' then entries[#entries + 1] = applied[j][6] end end
  local from = math.max(1, #entries - recentLen + 1)
  while from <= #entries do
    redis.call('LPUSH', recent, unpack(entries, from, math.min(#entries, from + 999)))
    from = from + 1000
  end
  redis.call('LTRIM', recent, 0, recentLen - 1)
end

if #applied > 0 then
  local ok, res = pcall(flush)
  if not ok then
    -- A shared key of the wrong type: every event counted here shares the failure.
    local err = type(res) == 'table' and (res.err or 'ERR script error') or tostring(res)
    for j = 1, #out do if out[j] == 1 then out[j] = err end end
    foldedTypes, foldedSources = 0, 0
  end
end
return {out, foldedTypes, foldedSources}
`;

export interface RecordSettings {
  readonly keys: KeyLayout;
  readonly seenTtlSeconds: number;
  readonly recentLength: number;
  readonly perSecondTtlSeconds: number;
  readonly perMinuteTtlSeconds: number;
  readonly latestTypes: ReadonlySet<string>;
  readonly latestTtlSeconds: number;
  readonly maxTypes: number;
  readonly maxSources: number;
}

export type ScriptArg = string | number;

/** The leading ARGV entries; `nowMs` is the processing time of the whole write, which picks the latency minute. */
export function headerArgs(settings: RecordSettings, nowMs: number): ScriptArg[] {
  const { keys: k } = settings;
  const minute = epochMinute(nowMs);
  const latencyExpireAt = (minute + 1) * 60 + settings.perMinuteTtlSeconds;
  return [
    k.total, k.byType, k.bySource, k.recent, k.latency(minute), latencyExpireAt, settings.seenTtlSeconds, settings.recentLength, k.seenPrefix,
    OTHER, settings.maxTypes, settings.maxSources, settings.latestTtlSeconds,
  ];
}

/** A time bucket's entry in the script's bucket array: second key, its EXPIREAT, minute key, its EXPIREAT. */
export function bucketArgs(settings: RecordSettings, second: number): [string, string, string, string] {
  const { keys: k } = settings;
  const minute = Math.floor(second / 60);
  return [k.perSecond(second), String(second + 1 + settings.perSecondTtlSeconds), k.perMinute(minute), String((minute + 1) * 60 + settings.perMinuteTtlSeconds)];
}

export function recentEntry({ id, type, source, key, timestamp }: StampedEvent): string {
  const entry: RecentEntry = { id, type, ...(source !== undefined && { source }), key, timestamp };
  return JSON.stringify(entry);
}

/**
 * The event's entry in the script's event array, with its receivedAt second where the bucket's position goes (the
 * caller numbers each chunk's buckets), or undefined when its times cannot be read (the stamped schema rules that
 * out, so this guards against producers that skipped it).
 */
export function eventArgs(event: StampedEvent, settings: RecordSettings, nowMs: number, recent = true): Array<string | number> | undefined {
  const receivedMs = Date.parse(event.receivedAt);
  const timestampMs = Date.parse(event.timestamp);
  if (!Number.isFinite(receivedMs) || !Number.isFinite(timestampMs)) return undefined;
  const args: Array<string | number> = [
    event.id,
    event.type,
    event.source ?? NO_SOURCE,
    epochSecond(receivedMs),
    latencyField(nowMs - receivedMs),
    recent ? recentEntry(event) : '',
  ];
  const value = event.data['value'];
  if (settings.latestTypes.has(event.type) && typeof value === 'number') {
    const unit = event.data['unit'];
    args.push(settings.keys.latest(event.key), String(timestampMs), String(value), typeof unit === 'string' ? unit : '', event.timestamp);
  }
  return args;
}
