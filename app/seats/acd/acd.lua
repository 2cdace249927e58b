-- Fastline ACD (SEAT-2..5). Every agent-state change and routing decision of a tenant runs in
-- this one script, so Redis executes it atomically: two callcontrol nodes can never reserve the
-- same agent, and every change and its event are written together or not at all.
--
-- KEYS[1] = the tenant's event stream, t:<tenant>:events
-- ARGV[1] = key prefix t:<tenant>:acd, ARGV[2] = tenant id, ARGV[3] = operation,
-- ARGV[4] = JSON arguments. Returns JSON.
--
-- Validation comes before the first write of each operation: Redis does not roll a script back
-- when it fails halfway.

local EVENTS = KEYS[1]
local P = ARGV[1]
local TENANT = ARGV[2]
local OP = ARGV[3]
local IN = cjson.decode(ARGV[4])

local ALLOWED = __TRANSITIONS__
local STREAM_MAXLEN = '__STREAM_MAXLEN__'
local TAKE_SCAN = 50          -- waiting calls looked at per queue when an agent becomes ready
local AHT_ALPHA = 0.2         -- weight of the newest handle time in the moving average
local ENDED_TTL = 3600        -- seconds an ended call's hash is kept for position/status lookups

-- The Redis clock, one for every callcontrol node. Idle-since is kept in microseconds so that
-- agents freed in consecutive milliseconds' worth of operations still order by who came first.
local NOW, NOW_US
do
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  NOW_US = tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function fmt(n) return string.format('%.0f', n) end
local function key(...) return P .. ':' .. table.concat({...}, ':') end
local function fail(code, msg) error({err = code .. ' ' .. msg}) end
local function append(list, item) if item then list[#list + 1] = item end end
local function extend(list, items) for _, d in ipairs(items) do list[#list + 1] = d end end

local function hash(k)
  local raw = redis.call('HGETALL', k)
  if #raw == 0 then return nil end
  local h = {}
  for i = 1, #raw, 2 do h[raw[i]] = raw[i + 1] end
  return h
end

-- One event per change, in the same atomic step as the change (STYLE: every change is an event).
local function emit(kind, fields)
  local args = {'XADD', EVENTS, 'MAXLEN', '~', STREAM_MAXLEN, '*',
                'type', kind, 'tenant', TENANT, 'at', fmt(NOW)}
  for i = 1, #fields, 2 do
    args[#args + 1] = fields[i]
    args[#args + 1] = tostring(fields[i + 1])
  end
  redis.call(unpack(args))
end

---------------------------------------------------------------------------------------------
-- Queues
---------------------------------------------------------------------------------------------
local NUMERIC = {'ring_timeout_ms', 'max_wait_ms', 'acw_timeout_ms', 'vip_boost',
                 'transfer_boost', 'priority_step_ms', 'sticky_ttl_s', 'default_aht_ms'}
local cfg_cache = {}

local function queue_cfg(q)
  if cfg_cache[q] then return cfg_cache[q] end
  local cfg = hash(key('queue', q))
  if not cfg then fail('ACD_UNKNOWN_QUEUE', 'no queue ' .. q) end
  cfg.id = q
  cfg.skills = cjson.decode(cfg.skills)
  for _, f in ipairs(NUMERIC) do cfg[f] = tonumber(cfg[f]) end
  cfg_cache[q] = cfg
  return cfg
end

local function stats_key(q) return key('queue', q, 'stats') end

-- SEAT-5: the all-busy flag is published only when it changes, and only as it stands at the
-- end of the operation (an agent freed and at once offered the next call never was "free").
local busy_dirty = {}
local function refresh_busy(q) busy_dirty[q] = true end

local function publish_busy(q)
  local flag = '0'
  if redis.call('ZCARD', key('queue', q, 'ready')) == 0 then flag = '1' end
  if redis.call('HGET', stats_key(q), 'all_busy') ~= flag then
    redis.call('HSET', stats_key(q), 'all_busy', flag)
    emit('queue_busy', {'queue', q, 'all_busy', flag})
  end
end

local function average_handle_ms(cfg)
  return tonumber(redis.call('HGET', stats_key(cfg.id), 'aht_ms') or cfg.default_aht_ms)
end

local function record_handle_time(q, ms)
  if redis.call('EXISTS', key('queue', q)) == 0 then return end
  local old = redis.call('HGET', stats_key(q), 'aht_ms')
  local new = ms
  if old then new = tonumber(old) * (1 - AHT_ALPHA) + ms * AHT_ALPHA end
  redis.call('HSET', stats_key(q), 'aht_ms', fmt(new))
end

---------------------------------------------------------------------------------------------
-- Agents and their states (SEAT-2)
---------------------------------------------------------------------------------------------
local function agent_key(a) return key('agent', a) end
local function agent_field(a, f) return redis.call('HGET', agent_key(a), f) end
local function agent_queues(a) return redis.call('SMEMBERS', key('agent', a, 'queues')) end

local function agent_state(a)
  local s = agent_field(a, 'state')
  if not s then fail('ACD_UNKNOWN_AGENT', 'no agent ' .. a) end
  return s
end

local function check_transition(a, from, to)
  if not ALLOWED[from][to] then
    local options = {}
    for s in pairs(ALLOWED[from]) do options[#options + 1] = s end
    table.sort(options)
    fail('ACD_ILLEGAL', 'agent ' .. a .. ' cannot go from ' .. from .. ' to ' .. to ..
         ' (from ' .. from .. ' only: ' .. table.concat(options, ', ') .. ')')
  end
end

-- Handle time = answer to the end of wrap-up; it feeds the expected-wait estimate.
local function end_handling(a)
  local answered = agent_field(a, 'answered_at')
  if answered and answered ~= '' then
    record_handle_time(agent_field(a, 'handle_queue'), NOW - tonumber(answered))
  end
  redis.call('HSET', agent_key(a), 'answered_at', '', 'handle_queue', '')
end

local function transition(a, to, reason, call)
  local from = agent_state(a)
  check_transition(a, from, to)
  local akey = agent_key(a)
  local since = tonumber(redis.call('HGET', akey, 'since') or NOW)
  redis.call('HSET', akey, 'state', to, 'reason', reason, 'since', fmt(NOW), 'call', call)
  local queues = agent_queues(a)
  if from == 'signed_out' then
    for _, q in ipairs(queues) do redis.call('SADD', key('queue', q, 'staffed'), a) end
  elseif to == 'signed_out' then
    for _, q in ipairs(queues) do redis.call('SREM', key('queue', q, 'staffed'), a) end
  end
  if from == 'after_call_work' then redis.call('ZREM', key('timers', 'acw'), a) end
  if from == 'after_call_work' or ((from == 'talking' or from == 'hold') and to == 'ready') then
    end_handling(a)
  end
  if from == 'ready' and to ~= 'ready' then
    for _, q in ipairs(queues) do
      redis.call('ZREM', key('queue', q, 'ready'), a)
      refresh_busy(q)
    end
  elseif to == 'ready' then
    redis.call('HSET', akey, 'idle_since', fmt(NOW_US))
    for _, q in ipairs(queues) do
      redis.call('ZADD', key('queue', q, 'ready'), fmt(NOW_US), a)
      refresh_busy(q)
    end
  end
  emit('agent_state', {'agent', a, 'from', from, 'to', to, 'reason', reason, 'call', call,
                       'in_state_ms', fmt(NOW - since)})
  return from
end

---------------------------------------------------------------------------------------------
-- Picking an agent for a call (SEAT-3)
---------------------------------------------------------------------------------------------
local function required_skills(cfg, call_skills)
  local req = {}
  for s, lvl in pairs(cfg.skills) do req[s] = tonumber(lvl) end
  for s, lvl in pairs(call_skills or {}) do
    if not req[s] or tonumber(lvl) > req[s] then req[s] = tonumber(lvl) end
  end
  return req
end

local function skill_level(a, s)
  return tonumber(redis.call('HGET', key('agent', a, 'skills'), s) or '-1')
end

-- TEN-5: the business check repeats what membership already guarantees, so that a bad
-- membership can never hand a call to another business's agent.
local function eligible(a, cfg, req, exclude)
  if a == exclude or agent_field(a, 'business') ~= cfg.business then return false end
  for s, min in pairs(req) do
    if skill_level(a, s) < min then return false end
  end
  return true
end

local function is_ready_in(a, q) return redis.call('ZSCORE', key('queue', q, 'ready'), a) end

-- Lowest (rank(a), idle_since) among eligible ready agents: ties go to the longest idle.
local function scan_min(cfg, req, exclude, rank)
  local best, best_k1, best_k2
  local ready = redis.call('ZRANGE', key('queue', cfg.id, 'ready'), 0, -1, 'WITHSCORES')
  for i = 1, #ready, 2 do
    local a = ready[i]
    if eligible(a, cfg, req, exclude) then
      local k1, k2 = rank(a, req), tonumber(ready[i + 1])
      if best == nil or k1 < best_k1 or (k1 == best_k1 and k2 < best_k2) then
        best, best_k1, best_k2 = a, k1, k2
      end
    end
  end
  return best
end

local PICK = {}

PICK.longest_idle = function(cfg, req, exclude)
  -- The ready set is ordered by idle-since, so the first eligible agent is the answer.
  local rkey = key('queue', cfg.id, 'ready')
  local n, i = redis.call('ZCARD', rkey), 0
  while i < n do
    for _, a in ipairs(redis.call('ZRANGE', rkey, i, i + 31)) do
      if eligible(a, cfg, req, exclude) then return a end
    end
    i = i + 32
  end
  return nil
end

PICK.priority = function(cfg, req, exclude)
  local members = key('queue', cfg.id, 'members')
  return scan_min(cfg, req, exclude,
                  function(a) return tonumber(redis.call('ZSCORE', members, a)) end)
end

PICK.fewest_calls = function(cfg, req, exclude)
  return scan_min(cfg, req, exclude, function(a) return tonumber(agent_field(a, 'calls')) end)
end

PICK.skills = function(cfg, req, exclude)
  local function rank(a, r)
    local total = 0
    for s in pairs(r) do total = total + skill_level(a, s) end
    return -total
  end
  return scan_min(cfg, req, exclude, rank)
end

PICK.round_robin = function(cfg, req, exclude)
  local members = redis.call('ZRANGE', key('queue', cfg.id, 'members'), 0, -1)
  local last = redis.call('HGET', stats_key(cfg.id), 'rr_last')
  local start = 0
  for i, m in ipairs(members) do
    if m == last then start = i break end
  end
  for j = 1, #members do
    local a = members[((start + j - 1) % #members) + 1]
    if is_ready_in(a, cfg.id) and eligible(a, cfg, req, exclude) then return a end
  end
  return nil
end

PICK.sticky = function(cfg, req, exclude, call)
  if call.caller ~= '' then
    local a = redis.call('GET', key('sticky', call.caller))
    if a and is_ready_in(a, cfg.id) and eligible(a, cfg, req, exclude) then return a end
  end
  return PICK[cfg.sticky_fallback](cfg, req, exclude, call)
end

---------------------------------------------------------------------------------------------
-- Calls
---------------------------------------------------------------------------------------------
local function call_key(c) return key('call', c) end

local function load_call(c)
  local call = hash(call_key(c))
  if not call then return nil end
  call.id = c
  call.priority = tonumber(call.priority)
  call.arrived = tonumber(call.arrived)
  call.wait_deadline = tonumber(call.wait_deadline)
  call.skills = cjson.decode(call.skills)
  return call
end

local function clear_timers(c)
  redis.call('ZREM', key('timers', 'ring'), c)
  redis.call('ZREM', key('timers', 'wait'), c)
end

local function finish_call(c, state)
  redis.call('HSET', call_key(c), 'state', state, 'ended', fmt(NOW))
  redis.call('EXPIRE', call_key(c), ENDED_TTL)
end

local function position(c, cfg)
  local rank = redis.call('ZRANK', key('queue', cfg.id, 'waiting'), c)
  if not rank then return 0, 0 end
  local staffed = redis.call('SCARD', key('queue', cfg.id, 'staffed'))
  if staffed < 1 then staffed = 1 end
  -- Callers ahead are served staffed-at-a-time, each round taking one average handle time.
  return rank + 1, math.ceil((rank + 1) / staffed) * average_handle_ms(cfg)
end

local function reserve(call, a, cfg)
  transition(a, 'ringing', '', call.id)
  redis.call('HSET', call_key(call.id), 'state', 'ringing', 'agent', a, 'queue', cfg.id)
  redis.call('ZREM', key('queue', cfg.id, 'waiting'), call.id)
  redis.call('HSET', stats_key(cfg.id), 'rr_last', a)
  redis.call('ZADD', key('timers', 'ring'), fmt(NOW + cfg.ring_timeout_ms), call.id)
  emit('call_offered', {'call', call.id, 'agent', a, 'queue', cfg.id,
                        'ring_timeout_ms', fmt(cfg.ring_timeout_ms), 'node', call.node})
  return {kind = 'offered', call = call.id, agent = a, queue = cfg.id,
          ring_timeout_ms = cfg.ring_timeout_ms, node = call.node}
end

local function enqueue(call, cfg)
  -- SEAT-3: priority then arrival, with aging. One priority level is worth priority_step of
  -- waiting, so a VIP goes ahead of recent callers but not of someone waiting far longer.
  local score = call.arrived - call.priority * cfg.priority_step_ms
  redis.call('ZADD', key('queue', cfg.id, 'waiting'), fmt(score), call.id)
  redis.call('HSET', call_key(call.id), 'state', 'waiting', 'agent', '', 'queue', cfg.id)
  local pos, wait_ms = position(call.id, cfg)
  emit('call_queued', {'call', call.id, 'queue', cfg.id, 'position', pos,
                       'expected_wait_ms', fmt(wait_ms)})
  return {kind = 'queued', call = call.id, queue = cfg.id, position = pos,
          expected_wait_ms = wait_ms}
end

local route

local function overflow(call, cfg, reason, depth)
  redis.call('ZREM', key('queue', cfg.id, 'waiting'), call.id)
  clear_timers(call.id)
  redis.call('HINCRBY', stats_key(cfg.id), 'overflowed', 1)
  emit('call_overflowed', {'call', call.id, 'queue', cfg.id, 'reason', reason,
                           'target_kind', cfg.overflow_kind, 'target', cfg.overflow_target,
                           'node', call.node})
  if cfg.overflow_kind == 'queue' and depth < 3 then
    -- Into the other queue atomically; it keeps its arrival time, so its seniority.
    local target = queue_cfg(cfg.overflow_target)
    call.wait_deadline = 0
    return route(call, target, '', depth + 1, true)
  end
  finish_call(call.id, 'overflowed')
  return {kind = 'overflowed', call = call.id, queue = cfg.id, target_kind = cfg.overflow_kind,
          target = cfg.overflow_target, reason = reason, node = call.node}
end

-- fresh: the call has just entered this queue, so its max-wait clock starts now.
route = function(call, cfg, exclude, depth, fresh)
  if fresh then
    call.wait_deadline = 0
    if cfg.max_wait_ms > 0 then
      call.wait_deadline = NOW + cfg.max_wait_ms
      redis.call('ZADD', key('timers', 'wait'), fmt(call.wait_deadline), call.id)
    end
    redis.call('HSET', call_key(call.id), 'wait_deadline', fmt(call.wait_deadline),
               'queue', cfg.id)
  end
  local can_overflow = cfg.overflow_kind ~= 'none'
  if can_overflow and redis.call('SCARD', key('queue', cfg.id, 'staffed')) == 0 then
    return overflow(call, cfg, 'no_agents', depth)
  end
  if can_overflow and call.wait_deadline > 0 and NOW >= call.wait_deadline then
    return overflow(call, cfg, 'max_wait', depth)
  end
  local a = PICK[cfg.strategy](cfg, required_skills(cfg, call.skills), exclude, call)
  if a then return reserve(call, a, cfg) end
  return enqueue(call, cfg)
end

-- An agent has just become ready: hand them the best waiting call of any of their queues.
local function take_call(a)
  local best, best_score, best_cfg
  for _, q in ipairs(agent_queues(a)) do
    local cfg = queue_cfg(q)
    local entries = redis.call('ZRANGE', key('queue', q, 'waiting'), 0, TAKE_SCAN - 1,
                               'WITHSCORES')
    for i = 1, #entries, 2 do
      local score = tonumber(entries[i + 1])
      if best_score and score >= best_score then break end
      local call = load_call(entries[i])
      -- SEAT-4: never the same agent twice in a row for one call.
      if call and call.last_agent ~= a
         and eligible(a, cfg, required_skills(cfg, call.skills), '') then
        best, best_score, best_cfg = call, score, cfg
        break
      end
    end
  end
  if best then return reserve(best, a, best_cfg) end
  return nil
end

local function ringing_call(c, a)
  local call = load_call(c)
  if not call or call.state ~= 'ringing' or call.agent ~= a then
    fail('ACD_NOT_OFFERED', 'call ' .. c .. ' is not ringing agent ' .. a)
  end
  return call
end

-- Reject, busy or ring timeout: the agent is released and the call goes to someone else.
local function ring_failed(call, why)
  local a = call.agent
  local cfg = queue_cfg(call.queue)
  redis.call('ZREM', key('timers', 'ring'), call.id)
  local to, reason = 'not_ready', 'no answer'
  if cfg.no_answer == 'ready' then to, reason = 'ready', '' end
  transition(a, to, reason, '')
  redis.call('HSET', call_key(call.id), 'last_agent', a, 'agent', '', 'state', 'routing')
  emit('call_ring_failed', {'call', call.id, 'agent', a, 'queue', cfg.id, 'why', why})
  local out = {route(call, cfg, a, 0, false)}
  if to == 'ready' then append(out, take_call(a)) end
  return out
end

---------------------------------------------------------------------------------------------
-- Operations
---------------------------------------------------------------------------------------------
local OPS = {}

OPS.put_queue = function()
  local q = IN.queue
  local old = redis.call('HGET', key('queue', q), 'business')
  if old and old ~= IN.business and redis.call('ZCARD', key('queue', q, 'members')) > 0 then
    fail('ACD_BUSINESS', 'queue ' .. q .. ' has agents of business ' .. old ..
         '; remove them before moving it')
  end
  if IN.overflow_kind == 'queue' then
    local target = queue_cfg(IN.overflow_target)
    if target.business ~= IN.business then
      fail('ACD_BUSINESS', 'queue ' .. q .. ' cannot overflow into queue ' .. target.id ..
           ' of another business')
    end
  end
  redis.call('DEL', key('queue', q))
  redis.call('HSET', key('queue', q), 'business', IN.business, 'strategy', IN.strategy,
    'ring_timeout_ms', IN.ring_timeout_ms, 'max_wait_ms', IN.max_wait_ms,
    'overflow_kind', IN.overflow_kind, 'overflow_target', IN.overflow_target,
    'skills', cjson.encode(IN.skills), 'wrap_up', IN.wrap_up and '1' or '0',
    'acw_timeout_ms', IN.acw_timeout_ms, 'no_answer', IN.no_answer,
    'vip_boost', IN.vip_boost, 'transfer_boost', IN.transfer_boost,
    'priority_step_ms', IN.priority_step_ms, 'sticky_fallback', IN.sticky_fallback,
    'sticky_ttl_s', IN.sticky_ttl_s, 'default_aht_ms', IN.default_aht_ms)
  refresh_busy(q)
  return {}
end

OPS.put_agent = function()
  local a, akey = IN.agent, agent_key(IN.agent)
  local old = redis.call('HGET', akey, 'business')
  if old and old ~= IN.business and redis.call('SCARD', key('agent', a, 'queues')) > 0 then
    fail('ACD_BUSINESS', 'agent ' .. a .. ' is in queues of business ' .. old ..
         '; remove them before moving the agent')
  end
  if not old then
    redis.call('HSET', akey, 'state', 'signed_out', 'reason', '', 'since', fmt(NOW), 'call', '',
               'calls', 0, 'talk_ms', 0, 'idle_since', fmt(NOW_US))
    redis.call('SADD', key('agents'), a)
  end
  -- The agent's cap on after-call work in ms (SEAT-2); -1 = none, the queue's timeout rules.
  redis.call('HSET', akey, 'business', IN.business, 'max_acw_ms', fmt(IN.max_acw_ms or -1))
  redis.call('DEL', key('agent', a, 'skills'))
  for s, lvl in pairs(IN.skills) do
    redis.call('HSET', key('agent', a, 'skills'), s, lvl)
  end
  return {}
end

OPS.add_member = function()
  local a, q = IN.agent, IN.queue
  local state = agent_state(a)
  local cfg = queue_cfg(q)
  local business = agent_field(a, 'business')
  if business ~= cfg.business then
    fail('ACD_BUSINESS', 'agent ' .. a .. ' (business ' .. business .. ') cannot join queue ' ..
         q .. ' (business ' .. cfg.business .. ')')
  end
  redis.call('ZADD', key('queue', q, 'members'), IN.priority, a)
  redis.call('SADD', key('agent', a, 'queues'), q)
  if state ~= 'signed_out' then redis.call('SADD', key('queue', q, 'staffed'), a) end
  if state == 'ready' then
    redis.call('ZADD', key('queue', q, 'ready'), agent_field(a, 'idle_since'), a)
    refresh_busy(q)
  end
  return {}
end

OPS.remove_member = function()
  local a, q = IN.agent, IN.queue
  redis.call('ZREM', key('queue', q, 'members'), a)
  redis.call('SREM', key('agent', a, 'queues'), q)
  redis.call('SREM', key('queue', q, 'staffed'), a)
  if redis.call('ZREM', key('queue', q, 'ready'), a) == 1 then refresh_busy(q) end
  return {}
end

OPS.sign_in = function()
  local a = IN.agent
  check_transition(a, agent_state(a), IN.ready and 'ready' or 'not_ready')
  redis.call('HSET', agent_key(a), 'calls', 0, 'talk_ms', 0)
  if not IN.ready then
    transition(a, 'not_ready', IN.reason, '')
    return {decisions = {}}
  end
  transition(a, 'ready', '', '')
  return {decisions = {take_call(a)}}
end

OPS.sign_out = function()
  transition(IN.agent, 'signed_out', IN.reason, '')
  return {}
end

OPS.not_ready = function()
  if agent_state(IN.agent) == 'ringing' then
    -- The reservation must be released through reject, which re-offers the call.
    fail('ACD_ILLEGAL', 'agent ' .. IN.agent .. ' is ringing; reject the call first')
  end
  transition(IN.agent, 'not_ready', IN.reason, '')
  return {}
end

OPS.ready = function()
  local a = IN.agent
  local state = agent_state(a)
  if state ~= 'not_ready' and state ~= 'after_call_work' and state ~= 'ready' then
    fail('ACD_ILLEGAL', 'agent ' .. a .. ' is ' .. state ..
         '; only an agent in not_ready or after_call_work can make themselves ready')
  end
  if state ~= 'ready' then transition(a, 'ready', IN.reason, '') end
  return {decisions = {take_call(a)}}
end

OPS.hold = function()
  transition(IN.agent, 'hold', '', agent_field(IN.agent, 'call') or '')
  return {}
end

OPS.resume = function()
  local a = IN.agent
  if agent_state(a) ~= 'hold' then
    fail('ACD_ILLEGAL', 'agent ' .. a .. ' is ' .. agent_state(a) .. ', not on hold')
  end
  transition(a, 'talking', '', agent_field(a, 'call'))
  return {}
end

OPS.offer = function()
  local c = IN.call
  local state = redis.call('HGET', call_key(c), 'state')
  if state and state ~= 'ended' and state ~= 'overflowed' then
    fail('ACD_CALL_ACTIVE', 'call ' .. c .. ' is already ' .. state ..
         '; hang it up in the ACD before offering it again')
  end
  local cfg = queue_cfg(IN.queue)
  local priority = IN.priority
  if IN.vip then priority = priority + cfg.vip_boost end
  if IN.transferred then priority = priority + cfg.transfer_boost end
  redis.call('DEL', call_key(c))
  redis.call('HSET', call_key(c), 'queue', cfg.id, 'caller', IN.caller, 'priority', priority,
             'arrived', fmt(NOW), 'state', 'routing', 'agent', '', 'last_agent', '',
             'node', IN.node, 'skills', cjson.encode(IN.skills), 'wait_deadline', 0)
  return {decisions = {route(load_call(c), cfg, '', 0, true)}}
end

OPS.answer = function()
  local a = IN.agent
  local call = ringing_call(IN.call, a)
  local cfg = queue_cfg(call.queue)
  transition(a, 'talking', '', call.id)
  redis.call('HSET', agent_key(a), 'answered_at', fmt(NOW), 'handle_queue', cfg.id)
  redis.call('HINCRBY', agent_key(a), 'calls', 1)
  redis.call('HSET', call_key(call.id), 'state', 'talking', 'answered', fmt(NOW))
  clear_timers(call.id)
  if call.caller ~= '' then
    redis.call('SET', key('sticky', call.caller), a, 'EX', cfg.sticky_ttl_s)
  end
  redis.call('HINCRBY', stats_key(cfg.id), 'answered', 1)
  emit('call_answered', {'call', call.id, 'agent', a, 'queue', cfg.id,
                         'waited_ms', fmt(NOW - call.arrived)})
  return {}
end

OPS.ring_failed = function()
  return {decisions = ring_failed(ringing_call(IN.call, IN.agent), IN.why)}
end

local function hangup_connected(call, cfg)
  local a = call.agent
  local talk = NOW - tonumber(call.answered)
  redis.call('HINCRBY', agent_key(a), 'talk_ms', fmt(talk))
  emit('call_ended', {'call', call.id, 'agent', a, 'queue', cfg.id, 'talk_ms', fmt(talk)})
  -- After-call work lasts the queue's timeout (0 = until the agent ends it), capped by the
  -- agent's own max_acw when set: min(queue, agent). A cap of 0 means no wrap-up at all.
  local acw = cfg.acw_timeout_ms
  local cap = tonumber(agent_field(a, 'max_acw_ms') or '-1') or -1
  if cap >= 0 and (acw <= 0 or cap < acw) then acw = cap end
  if cfg.wrap_up == '1' and cap ~= 0 then
    transition(a, 'after_call_work', '', call.id)
    if acw > 0 then
      redis.call('ZADD', key('timers', 'acw'), fmt(NOW + acw), a)
    end
    return nil
  end
  transition(a, 'ready', '', '')
  return take_call(a)
end

OPS.hangup = function()
  local call = load_call(IN.call)
  if not call or call.state == 'ended' or call.state == 'overflowed' then
    return {decisions = {}}
  end
  local cfg = queue_cfg(call.queue)
  clear_timers(call.id)
  redis.call('ZREM', key('queue', cfg.id, 'waiting'), call.id)
  finish_call(call.id, 'ended')
  local out = {}
  if call.state == 'talking' or call.state == 'hold' then
    append(out, hangup_connected(call, cfg))
  else
    redis.call('HINCRBY', stats_key(cfg.id), 'abandoned', 1)
    emit('call_abandoned', {'call', call.id, 'queue', cfg.id, 'waited_ms',
                            fmt(NOW - call.arrived)})
    if call.state == 'ringing' then
      transition(call.agent, 'ready', 'caller hung up', '')
      append(out, take_call(call.agent))
    end
  end
  return {decisions = out}
end

-- DIAL-2: a progressive dialer line reserves its agent (offer) before the customer's phone
-- rings, so that no other queue takes the agent meanwhile. When the line reaches nobody (busy,
-- no answer, a machine), the reservation is released: the agent is ready again, and the call
-- is not counted as abandoned (no caller ever waited in the queue).
OPS.release = function()
  local call = load_call(IN.call)
  if not call or call.state == 'ended' or call.state == 'overflowed' then
    return {decisions = {}}
  end
  if call.state == 'talking' or call.state == 'hold' then
    fail('ACD_ILLEGAL', 'call ' .. call.id .. ' is ' .. call.state .. '; hang it up instead')
  end
  local cfg = queue_cfg(call.queue)
  clear_timers(call.id)
  redis.call('ZREM', key('queue', cfg.id, 'waiting'), call.id)
  finish_call(call.id, 'ended')
  local out = {}
  if call.state == 'ringing' then
    transition(call.agent, 'ready', 'line released', '')
    append(out, take_call(call.agent))
  end
  return {decisions = out}
end

local function due(timer)
  return redis.call('ZRANGEBYSCORE', key('timers', timer), '-inf', fmt(NOW), 'LIMIT', 0, 100)
end

-- Fire every deadline that has passed; return when the next one falls due.
OPS.sweep = function()
  local out = {}
  for _, a in ipairs(due('acw')) do
    if agent_field(a, 'state') == 'after_call_work' then
      transition(a, 'ready', 'acw timeout', '')
      append(out, take_call(a))
    else
      redis.call('ZREM', key('timers', 'acw'), a)
    end
  end
  for _, c in ipairs(due('ring')) do
    local call = load_call(c)
    if call and call.state == 'ringing' then
      extend(out, ring_failed(call, 'ring_timeout'))
    else
      redis.call('ZREM', key('timers', 'ring'), c)
    end
  end
  for _, c in ipairs(due('wait')) do
    redis.call('ZREM', key('timers', 'wait'), c)
    local call = load_call(c)
    -- A call ringing at its deadline overflows when that offer fails (route checks it).
    if call and call.state == 'waiting' then
      local cfg = queue_cfg(call.queue)
      if cfg.overflow_kind ~= 'none' then append(out, overflow(call, cfg, 'max_wait', 0)) end
    end
  end
  local next_ms = -1
  for _, timer in ipairs({'acw', 'ring', 'wait'}) do
    local first = redis.call('ZRANGE', key('timers', timer), 0, 0, 'WITHSCORES')
    if #first > 0 then
      local wait = math.max(0, tonumber(first[2]) - NOW)
      if next_ms < 0 or wait < next_ms then next_ms = wait end
    end
  end
  return {decisions = out, next_in_ms = next_ms}
end

OPS.agent_status = function()
  local a = IN.agent
  local h = hash(agent_key(a))
  if not h then fail('ACD_UNKNOWN_AGENT', 'no agent ' .. a) end
  h.queues = agent_queues(a)
  h.in_state_ms = NOW - tonumber(h.since)
  return h
end

OPS.queue_status = function()
  local cfg = queue_cfg(IN.queue)
  local q = cfg.id
  return {waiting = redis.call('ZCARD', key('queue', q, 'waiting')),
          ready = redis.call('ZCARD', key('queue', q, 'ready')),
          staffed = redis.call('SCARD', key('queue', q, 'staffed')),
          all_busy = redis.call('HGET', stats_key(q), 'all_busy') == '1',
          aht_ms = average_handle_ms(cfg)}
end

OPS.position = function()
  local call = load_call(IN.call)
  if not call then return {state = 'unknown', queue = '', position = 0, wait_ms = 0} end
  local pos, wait_ms = position(call.id, queue_cfg(call.queue))
  return {state = call.state, queue = call.queue, position = pos, wait_ms = wait_ms}
end

local op = OPS[OP]
if not op then fail('ACD_ERROR', 'unknown operation ' .. OP) end
local result = op()
for q in pairs(busy_dirty) do publish_busy(q) end
return cjson.encode(result)
