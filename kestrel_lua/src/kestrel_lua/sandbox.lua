-- Kestrel package sandbox (trusted code). Runs once in a hand-written package's own Lua state,
-- after lib.lua, and returns the functions the host drives the package with.
--
-- The package sees only the environment built here. Its code runs with the JIT off and under an
-- instruction-count hook: LuaJIT ignores count hooks inside compiled traces, so with the JIT off
-- every instruction is counted. Once the budget is spent the hook sets a flag and raises on every
-- later firing, and the sandbox's pcall/xpcall re-raise while the flag is set, so no handler in
-- the package can swallow the stop. Memory errors are re-raised the same way. xpcall's handler
-- runs only after the protected call has unwound (see safe_xpcall).
local K, H, config = ...
local fields, lower_ids, caps = config.fields, config.lower, config.caps

jit.off()
jit.flush()

local sethook = debug.sethook
local real_pcall, error, type, pairs, next = pcall, error, type, pairs, next
local rawget, select, unpack, tostring = rawget, select, unpack, tostring
local sbyte, sfind, sgsub = string.byte, string.find, string.gsub
local floor = math.floor

local BUDGET = "kestrel: instruction budget exceeded"
local MEMORY = "not enough memory"
local HOOK_EVERY = 1000

local count, limit, tripped = 0, 0, false
local function hook()
  count = count + 1
  if tripped or count > limit then
    tripped = true
    error(BUDGET, 0)
  end
end

local function rethrow(ok, ...)
  if tripped then error(BUDGET, 0) end
  if not ok and (...) == MEMORY then error(MEMORY, 0) end
  return ok, ...
end

local function safe_pcall(f, ...) return rethrow(real_pcall(f, ...)) end
-- The message handler runs after the protected call has unwound, never as a real xpcall
-- handler: an error raised by the count hook runs real handlers with hooks disabled, so a
-- looping handler could not be stopped.
local function after(handler, ok, ...)
  if ok then return ok, ... end
  return false, handler((...))
end
local function safe_xpcall(f, handler, ...)
  return rethrow(after(handler, rethrow(real_pcall(f, ...))))
end

-- Lua patterns backtrack in C, where no hook runs: refuse calls whose worst case is too large.
local MAX_WORK = 1e9

-- Quantifiers (* + - ?) outside character classes and escapes.
local function quantifiers(p)
  local q, i, n = 0, 1, #p
  while i <= n do
    local c = sbyte(p, i)
    if c == 37 then -- %x
      i = i + 2
    elseif c == 91 then -- [class]
      i = i + 1
      if sbyte(p, i) == 94 then i = i + 1 end
      if sbyte(p, i) == 93 then i = i + 1 end
      while i <= n and sbyte(p, i) ~= 93 do
        if sbyte(p, i) == 37 then i = i + 1 end
        i = i + 1
      end
      i = i + 1
    else
      if c == 42 or c == 43 or c == 45 or c == 63 then q = q + 1 end
      i = i + 1
    end
  end
  return q
end

local function check_pattern(name, s, pattern, plain)
  if plain or type(s) ~= "string" or type(pattern) ~= "string" then return end
  local q = quantifiers(pattern)
  if sbyte(pattern, 1) ~= 94 then q = q + 1 end -- unanchored: every start position
  if (#s + 1) ^ q * (#pattern + 1) > MAX_WORK then
    error("string." .. name .. ": pattern too costly for a subject of " .. #s ..
      " bytes; use plain find or kestrel.re_match (RE2)", 3)
  end
end

local safe_string = {}
for k, v in pairs(string) do
  if k ~= "dump" then safe_string[k] = v end
end
local sfind_raw, smatch, sgmatch, sgsub_raw = string.find, string.match, string.gmatch, string.gsub
safe_string.find = function(s, p, init, plain)
  check_pattern("find", s, p, plain)
  return sfind_raw(s, p, init, plain)
end
safe_string.match = function(s, p, init)
  check_pattern("match", s, p)
  return smatch(s, p, init)
end
safe_string.gmatch = function(s, p)
  check_pattern("gmatch", s, p)
  return sgmatch(s, p)
end
safe_string.gsub = function(s, p, r, n)
  check_pattern("gsub", s, p)
  return sgsub_raw(s, p, r, n)
end

local string_mt = getmetatable("")
string_mt.__index = safe_string
string_mt.__metatable = false

local function copy(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

-- The kestrel module: Host API v1.
local cols, ids, current_emitted = nil, {}, nil
for i = 1, #fields do ids[fields[i]] = i end
local loading = true

local function column(f)
  local id = f
  if type(f) == "string" then id = ids[f] end
  local c = cols and id and cols[id]
  if c == nil then
    if id == nil or not fields[id] then
      error("field " .. tostring(f) .. " is not declared in the package manifest", 3)
    end
  end
  return c
end

local function plain(v)
  if type(v) == "table" then
    if v.k == "f" or v.k == "i" then return v.d end
    if v.k == "o" then return nil end
  end
  return v
end

local kestrel = {}
kestrel.api_version = 1

function kestrel.event_get_str(ev, f)
  local c = column(f)
  local v = c and c[ev]
  if type(v) == "string" then return v end
  return nil
end

function kestrel.event_get_i64(ev, f)
  local c = column(f)
  local v = plain(c and c[ev])
  if type(v) == "number" and v % 1 == 0 then return v end
  return nil
end

function kestrel.event_get_u64(ev, f)
  local v = kestrel.event_get_i64(ev, f)
  if v ~= nil and v >= 0 then return v end
  return nil
end

function kestrel.event_get_list(ev, f)
  local c = column(f)
  local v = c and c[ev]
  if type(v) ~= "table" or v.k ~= nil then return nil end
  local out = {}
  for i = 1, v.n do
    local e = v[i]
    if e ~= nil then out[#out + 1] = plain(e) end
  end
  return out
end

local function lower_column(f)
  local name = f
  if type(f) == "number" then name = fields[f] end
  local id = name and lower_ids[name]
  if id == nil then
    error("field " .. tostring(f) .. " is not among the manifest's lower_fields", 3)
  end
  return cols and cols[id]
end

function kestrel.event_get_lower(ev, f)
  local c = lower_column(f)
  local v = c and c[ev]
  if type(v) == "string" then return v end
  return nil
end

-- Batch ABI: the whole column of a field (value per event index; lists are {n = k, ...}).
function kestrel.column(f, lowered)
  if lowered then return lower_column(f) or {} end
  return column(f) or {}
end

function kestrel.event_get(ev, f)
  local c = column(f)
  local v = c and c[ev]
  if type(v) == "table" and v.k == nil then return kestrel.event_get_list(ev, f) end
  return plain(v)
end

function kestrel.re_compile(pattern, case_insensitive)
  if not loading then error("kestrel.re_compile is only allowed while the package loads", 2) end
  if type(pattern) ~= "string" then error("kestrel.re_compile: pattern must be a string", 2) end
  return H.re_compile(pattern, case_insensitive == true)
end

function kestrel.re_match(id, s)
  if type(s) ~= "string" then return false end
  return H.re(id, s)
end

local glob_cache = {}
function kestrel.glob_match(pattern, s, case_insensitive)
  if type(s) ~= "string" or type(pattern) ~= "string" then return false end
  if case_insensitive then pattern, s = K.lower(pattern), K.lower(s) end
  local g = glob_cache[pattern]
  if g == nil then
    g = K.glob_compile(pattern)
    glob_cache[pattern] = g
  end
  return K.glob(s, g)
end

function kestrel.lower(s)
  if type(s) ~= "string" then return s end
  return K.lower(s)
end

local MAX_KEYS, MAX_STR = 64, 4096
local function scalars(t)
  if type(t) ~= "table" then return nil end
  local out, n = {}, 0
  for k, v in next, t do
    local tv = type(v)
    if type(k) == "string" and (tv == "string" or tv == "number" or tv == "boolean") then
      if tv == "string" and #v > MAX_STR then v = string.sub(v, 1, MAX_STR) end
      out[k] = v
      n = n + 1
      if n >= MAX_KEYS then break end
    end
  end
  return out
end

function kestrel.alert_emit(ev, details)
  if current_emitted == nil then error("kestrel.alert_emit outside an evaluation", 2) end
  if #current_emitted >= 1000 then return false end
  current_emitted[#current_emitted + 1] = {ev = ev, details = scalars(details) or {}}
  return true
end

for _, name in ipairs({"event_get_i64", "event_get_u64", "event_get_str", "re_match",
                        "glob_match", "alert_emit"}) do
  if not caps[name] then kestrel[name] = nil end
end

-- The environment package code sees.
local env = {}
for _, k in pairs({"assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "rawset",
                   "select", "tonumber", "tostring", "type", "unpack", "getmetatable",
                   "setmetatable"}) do
  env[k] = _G[k]
end
env.pcall, env.xpcall = safe_pcall, safe_xpcall
env.string = copy(safe_string)
env.table = copy(table)
env.math = copy(math)
env.bit = copy(bit)
env.kestrel = kestrel
env._G = env
env._VERSION = _VERSION
env.require = function(name)
  if name == "kestrel" then return kestrel end
  error("require is not available in the sandbox (only require('kestrel'))", 2)
end
local function safe_load(chunk, name)
  if type(chunk) ~= "string" then return nil, "load: only source text is accepted" end
  if sbyte(chunk, 1) == 27 then return nil, "load: binary (bytecode) chunks are refused" end
  return load(chunk, "=" .. tostring(name or "load"), "t", env)
end
env.load, env.loadstring = safe_load, safe_load

local function start(budget)
  count, limit, tripped = 0, floor(budget / HOOK_EVERY) + 1, false
  sethook(hook, "", HOOK_EVERY)
end

local function stop(ok, err)
  sethook()
  local was = tripped
  tripped = false
  if was then return "budget", BUDGET end
  if ok then return nil end
  if err == MEMORY then
    -- LuaJIT has no emergency collection: free the failed call's garbage now, or the host's
    -- next (unprotected) allocation in this state could hit the cap and abort the process.
    collectgarbage("collect")
    return "memory", err
  end
  if type(err) ~= "string" then return "error", "error object of type " .. type(err) end
  return "error", err
end

local S = {}
local eval_fn, capture_fn, batch_fn

-- Load the package text and run its top level and pred_init under the budget.
function S.load(text, name, budget, batch_name)
  if type(text) ~= "string" or sbyte(text, 1) == 27 then
    return "error", "binary (bytecode) chunks are refused"
  end
  local f, err = load(text, "=" .. name, "t", env)
  if not f then return "error", err end
  start(budget)
  local ok, e = real_pcall(function()
    f()
    local init = rawget(env, "pred_init")
    if init ~= nil then init() end
  end)
  local kind, msg = stop(ok, e)
  loading = false
  if kind then return kind, msg end
  eval_fn = rawget(env, "pred_eval")
  capture_fn = rawget(env, "pred_capture")
  if batch_name ~= nil then batch_fn = rawget(env, batch_name) end
  if type(eval_fn) ~= "function" and type(batch_fn) ~= "function" then
    return "error", "the package defines no pred_eval function"
  end
  return nil
end

local function body(n, hits, caps)
  if batch_fn then
    local r = batch_fn(n)
    if type(r) ~= "table" then error("the batch entry point must return a table of event indexes") end
    local seen = {}
    for j = 1, #r do
      local i = r[j]
      if type(i) == "number" and i >= 1 and i <= n and i % 1 == 0 and not seen[i] then
        seen[i] = true
        hits[#hits + 1] = i
      end
    end
    table.sort(hits)
  else
    for i = 1, n do
      if eval_fn(i) then hits[#hits + 1] = i end
    end
  end
  if capture_fn then
    for j = 1, #hits do caps[j] = scalars(capture_fn(hits[j])) or false end
  end
end

-- Evaluate one batch of n events whose columns are C. Returns nil, hits, captures, emitted or
-- a fault kind and message.
function S.run(n, C, budget)
  cols = C
  local hits, caps, emitted = {}, {}, {}
  current_emitted = emitted
  start(budget)
  local ok, err = real_pcall(body, n, hits, caps)
  local kind, msg = stop(ok, err)
  cols, current_emitted = nil, nil
  if kind then return kind, msg end
  return nil, hits, caps, emitted
end

return S
