/** The Lua scripts of the Redis presence registry (layout and rules in redis-presence.ts). */

/** How long an offline user's change number is kept: far longer than any notice can be in flight. */
const VERSION_KEEP_MS = 24 * 60 * 60 * 1000;

// A user's first socket appeared (online) or its last one went (offline): the change gets the next number.
const CHANGE = `
local function changed(userKey, online)
  local v = redis.call('INCR', userKey .. '#v')
  if online then redis.call('PERSIST', userKey .. '#v') else redis.call('PEXPIRE', userKey .. '#v', ${VERSION_KEEP_MS}) end
  return v
end
`;

// Drops one socket (`member` of instance `inst`); returns the user key when that was the user's last socket.
const UNLINK = `${CHANGE}
local function unlink(inst, member)
  local sep = string.find(member, '\\0', 1, true)
  local userKey = string.sub(member, 1, sep - 1)
  if redis.call('HDEL', userKey, inst .. '\\0' .. string.sub(member, sep + 1)) == 1
    and redis.call('EXISTS', userKey) == 0 then
    changed(userKey, false)
    return userKey
  end
  return false
end
`;

// KEYS: user, node, hb, nodes. ARGV: field, member, ttlMs, instance. Returns the change's number, or 0.
export const ADD = `${CHANGE}
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3], 'NX')
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[2])
if redis.call('HSET', KEYS[1], ARGV[1], '1') == 1 and redis.call('HLEN', KEYS[1]) == 1 then return changed(KEYS[1], true) end
return 0`;

// KEYS: user, node. ARGV: field, member. Returns the change's number, or 0.
export const REMOVE = `${CHANGE}
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 and redis.call('EXISTS', KEYS[1]) == 0 then return changed(KEYS[1], false) end
return 0`;

// KEYS: hb, nodes, node. ARGV: ttlMs, instance. Returns how many sockets Redis holds for the instance.
export const HEARTBEAT = `
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return redis.call('SCARD', KEYS[3])`;

// KEYS: node, hb, nodes. ARGV: ttlMs, instance, member... Makes Redis hold exactly these sockets.
export const RESYNC = `${UNLINK}
local inst, want, expired = ARGV[2], {}, {}
for i = 3, #ARGV do want[ARGV[i]] = true end
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not want[m] then
    redis.call('SREM', KEYS[1], m)
    local k = unlink(inst, m)
    if k then expired[#expired + 1] = k end
  end
end
for m in pairs(want) do
  local sep = string.find(m, '\\0', 1, true)
  local userKey = string.sub(m, 1, sep - 1)
  if redis.call('EXISTS', userKey) == 0 then changed(userKey, true) end
  redis.call('HSET', userKey, inst .. '\\0' .. string.sub(m, sep + 1), '1')
  redis.call('SADD', KEYS[1], m)
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
redis.call('SADD', KEYS[3], inst)
return expired`;

// KEYS: node, hb, nodes. ARGV: instance. Graceful removal of every socket of the instance.
export const CLOSE = `${UNLINK}
local expired = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local k = unlink(ARGV[1], m)
  if k then expired[#expired + 1] = k end
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SREM', KEYS[3], ARGV[1])
return expired`;

// KEYS: nodes. ARGV: prefix, budget. Drops up to `budget` sockets of instances without a heartbeat.
export const SWEEP = `${UNLINK}
local expired, budget = {}, tonumber(ARGV[2])
for _, inst in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. 'hb:' .. inst) == 0 then
    local nodeKey = ARGV[1] .. 'node:' .. inst
    local members = redis.call('SPOP', nodeKey, budget)
    for _, m in ipairs(members) do
      local k = unlink(inst, m)
      if k then expired[#expired + 1] = k end
    end
    budget = budget - #members
    if redis.call('EXISTS', nodeKey) == 0 then redis.call('SREM', KEYS[1], inst) end
    if budget <= 0 then return {1, expired} end
  end
end
return {0, expired}`;

// KEYS: lock. ARGV: instance.
export const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
