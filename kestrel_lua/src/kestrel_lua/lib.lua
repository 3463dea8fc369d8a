-- Kestrel Lua runtime library (trusted code): the value model, three-valued comparisons,
-- wildcards and the batch driver used by generated EQL code and by the Host API.
--
-- Values: nil is null; booleans, strings (UTF-8 bytes) and numbers as Lua has them. A plain
-- number that is integral is an integer (|n| <= 2^53); any other plain number is a float. Values
-- Lua numbers cannot carry exactly are boxes, tables with a field k:
--   {k = "f", d = 5.0}                 an integral float (keeps int/float apart)
--   {k = "i", s = "123...", d = 1e20}  an integer beyond 2^53 (exact text, approximate double)
--   {k = "o", s = "{a=1}"}             an object (JSON map): comparable with nothing
-- A multi-valued field is a table without k and with n, its length: {n = 3, "a", nil, "b"}.
local H = ...
local type, tostring, pcall, error = type, tostring, pcall, error
local sfind, ssub, sbyte, slower, sgsub = string.find, string.sub, string.byte, string.lower, string.gsub
local fmod = math.fmod
local concat = table.concat

local K = {}
K.re, K.hcall = H.re, H.hcall
local EXACT = 9007199254740992
local EQ, NE, LT, LE, GT, GE = 1, 2, 3, 4, 5, 6
K.EQ, K.NE, K.LT, K.LE, K.GT, K.GE = EQ, NE, LT, LE, GT, GE

local function box_f(d) return {k = "f", d = d} end
local function box_i(s, d) return {k = "i", s = s, d = d} end
K.box_f, K.box_i = box_f, box_i
function K.box_o(s) return {k = "o", s = s} end

-- "i" integer, "f" float, "I" big integer (boxed), nil: not a number
local function numkind(v)
  local t = type(v)
  if t == "number" then
    if v % 1 == 0 then return "i" end
    return "f"
  end
  if t == "table" then
    local k = v.k
    if k == "f" then return "f" elseif k == "i" then return "I" end
  end
  return nil
end
K.numkind = numkind

local function islist(v) return type(v) == "table" and v.k == nil end
K.islist = islist

local function rel_plain(op, a, b)
  if op == EQ then return a == b elseif op == NE then return a ~= b
  elseif op == LT then return a < b elseif op == LE then return a <= b
  elseif op == GT then return a > b end
  return a >= b
end

-- Compare two non-null scalars (boxes allowed): true, false or nil.
local function rel_scalar(op, a, b)
  local ta, tb = type(a), type(b)
  if ta == tb and ta ~= "table" then
    if ta == "boolean" then
      if op == EQ then return a == b elseif op == NE then return a ~= b end
      return nil
    end
    return rel_plain(op, a, b)
  end
  local ka, kb = numkind(a), numkind(b)
  if ka and kb then
    if ka ~= "I" and kb ~= "I" then
      return rel_plain(op, ta == "table" and a.d or a, tb == "table" and b.d or b)
    end
    return H.numrel(op, a, b)
  end
  if op == EQ then return false elseif op == NE then return true end
  return nil
end

-- Three-valued comparison with any-element semantics for lists.
local function rel(op, a, b)
  if a == nil or b == nil then return nil end
  if type(a) == "table" and a.k == nil then
    local sawnull, seen = false, false
    for i = 1, a.n do
      local e = a[i]
      if e ~= nil then
        local r = rel(op, e, b)
        if r == true then return true elseif r == nil then sawnull = true else seen = true end
      end
    end
    if sawnull or not seen then return nil end
    return false
  end
  if type(b) == "table" and b.k == nil then
    local sawnull, seen = false, false
    for i = 1, b.n do
      local e = b[i]
      if e ~= nil then
        local r = rel(op, a, e)
        if r == true then return true elseif r == nil then sawnull = true else seen = true end
      end
    end
    if sawnull or not seen then return nil end
    return false
  end
  return rel_scalar(op, a, b)
end
K.rel = rel

-- Three-valued boolean from the two compiled conditions (true-branch, false-branch).
function K.b3(t, f)
  if t then return true elseif f then return false end
  return nil
end

-- ``v in (...)``: set holds literal scalar keys, others the remaining (evaluated) values.
local function in_scalar(v, set, others)
  if type(v) ~= "table" then
    if set[v] then return true end
  else
    for key in pairs(set) do
      if rel_scalar(EQ, v, key) then return true end
    end
  end
  if others then
    for i = 1, #others do
      if rel(EQ, v, others[i]) == true then return true end
    end
  end
  return false
end

function K.inset(v, set, others)
  if v == nil then return nil end
  if type(v) == "table" and v.k == nil then
    local seen = false
    for i = 1, v.n do
      local e = v[i]
      if e ~= nil then
        if in_scalar(e, set, others) then return true end
        seen = true
      end
    end
    if seen then return false end
    return nil
  end
  return in_scalar(v, set, others)
end

-- Lowercase a value: strings with str.lower semantics (ASCII here, the host otherwise).
local function lower(v)
  local t = type(v)
  if t == "string" then
    if sfind(v, "[\128-\255]") then return H.lower(v) end
    return slower(v)
  end
  if t == "table" and v.k == nil then
    local out = {n = v.n}
    for i = 1, v.n do out[i] = lower(v[i]) end
    return out
  end
  return v
end
K.lower = lower

-- ``v`` matches predicate ``f`` (a function of a string): null for null, false for non-strings.
function K.match(v, f)
  if v == nil then return nil end
  local t = type(v)
  if t == "string" then return f(v) and true or false end
  if t == "table" and v.k == nil then
    local seen = false
    for i = 1, v.n do
      local e = v[i]
      if e ~= nil then
        if type(e) == "string" and f(e) then return true end
        seen = true
      end
    end
    if seen then return false end
    return nil
  end
  return false
end

-- IsNull: null, or a list whose values are all null.
function K.isnull(v)
  if v == nil then return true end
  if type(v) == "table" and v.k == nil then
    for i = 1, v.n do
      if v[i] ~= nil then return false end
    end
    return true
  end
  return false
end

-- Wildcards (no escapes: a backslash is literal, as in Elasticsearch EQL). A compiled pattern is an array of segments (split at '*'); a segment is an array of
-- tokens: a literal string or false for '?', which matches exactly one UTF-8 character.
function K.glob_compile(p)
  local segs, cur, lit = {}, {}, {}
  local i, n = 1, #p
  local function flush()
    if #lit > 0 then cur[#cur + 1] = concat(lit); lit = {} end
  end
  while i <= n do
    local c = ssub(p, i, i)
    if c == "*" then
      flush(); segs[#segs + 1] = cur; cur = {}; i = i + 1
    elseif c == "?" then
      flush(); cur[#cur + 1] = false; i = i + 1
    else
      lit[#lit + 1] = c; i = i + 1
    end
  end
  flush()
  segs[#segs + 1] = cur
  return segs
end

local function seg_at(s, pos, seg)
  local n = #s
  for j = 1, #seg do
    local tok = seg[j]
    if tok then
      local e = pos + #tok
      if ssub(s, pos, e - 1) ~= tok then return nil end
      pos = e
    else
      local c = sbyte(s, pos)
      if not c then return nil end
      if c < 0xC0 then pos = pos + 1 elseif c < 0xE0 then pos = pos + 2
      elseif c < 0xF0 then pos = pos + 3 else pos = pos + 4 end
      if pos > n + 1 then return nil end
    end
  end
  return pos
end

local function seg_find(s, pos, seg)
  if #seg == 0 then return pos end
  local first = seg[1]
  if first then
    while true do
      local st = sfind(s, first, pos, true)
      if not st then return nil end
      local e = seg_at(s, st, seg)
      if e then return e end
      pos = st + 1
    end
  end
  local n = #s
  while pos <= n do
    local c = sbyte(s, pos)
    if c < 0x80 or c >= 0xC0 then
      local e = seg_at(s, pos, seg)
      if e then return e end
    end
    pos = pos + 1
  end
  return nil
end

function K.glob(s, segs)
  local ns, n = #segs, #s
  if ns == 1 then return seg_at(s, 1, segs[1]) == n + 1 end
  local pos = seg_at(s, 1, segs[1])
  if not pos then return false end
  for j = 2, ns - 1 do
    pos = seg_find(s, pos, segs[j])
    if not pos then return false end
  end
  local last = segs[ns]
  if #last == 0 then return true end
  if #last == 1 and last[1] then
    local l = last[1]
    return n - #l + 1 >= pos and ssub(s, n - #l + 1) == l
  end
  for st = pos, n + 1 do
    local c = sbyte(s, st)
    if (c == nil or c < 0x80 or c >= 0xC0) and seg_at(s, st, last) == n + 1 then return true end
  end
  return false
end

-- Arithmetic with Java-like integer division; anything exact-sensitive goes to the host.
local function arith(op, a, b)
  if a == nil or b == nil then return nil end
  local ka, kb = numkind(a), numkind(b)
  if not ka or not kb then return nil end
  if ka == "I" or kb == "I" then return H.arith(op, a, b) end
  local x = type(a) == "table" and a.d or a
  local y = type(b) == "table" and b.d or b
  local isint = ka == "i" and kb == "i"
  local r
  if op == "+" then r = x + y elseif op == "-" then r = x - y elseif op == "*" then r = x * y
  elseif op == "/" then
    if y == 0 then return nil end
    if isint then return (x - fmod(x, y)) / y end
    r = x / y
  else
    if y == 0 then return nil end
    r = fmod(x, y)
  end
  if isint then
    if r > EXACT or r < -EXACT then return H.arith(op, a, b) end
    return r
  end
  if r % 1 == 0 then return box_f(r) end
  return r
end
K.arith = arith

function K.neg(a)
  local k = numkind(a)
  if k == "i" then return -a elseif k == "f" then
    if type(a) == "table" then return box_f(-a.d) end
    return -a
  elseif k == "I" then return H.arith("-", 0, a) end
  return nil
end

-- Functions implemented in Lua (kestrel_core.runtime.functions semantics); the others are
-- evaluated by the host (see docs/lua-rules.md).
local function utf8len(s)
  local _, count = sgsub(s, "[^\128-\191]", "")
  return count
end

function K.fn_length(ci, s)
  if type(s) == "string" then return utf8len(s) end
  if islist(s) then return s.n end
  return nil
end

local function any_element(fn, source, x, ci)
  local result = nil
  for i = 1, source.n do
    local e = source[i]
    if e ~= nil then
      local r = fn(e, x, ci)
      if r == true then return true elseif r == false then result = false end
    end
  end
  return result
end

local function starts(s, p, ci)
  if type(s) ~= "string" or type(p) ~= "string" then return nil end
  if ci then s, p = lower(s), lower(p) end
  return ssub(s, 1, #p) == p
end

local function ends(s, p, ci)
  if type(s) ~= "string" or type(p) ~= "string" then return nil end
  if ci then s, p = lower(s), lower(p) end
  return #p == 0 or (#s >= #p and ssub(s, -#p) == p)
end

local function contains(s, p, ci)
  if type(s) ~= "string" or type(p) ~= "string" then return nil end
  if s == "" or p == "" then return false end
  if ci then s, p = lower(s), lower(p) end
  return sfind(s, p, 1, true) ~= nil
end

local function string_fn(fn)
  return function(ci, s, p)
    if islist(s) then return any_element(fn, s, p, ci) end
    return fn(s, p, ci)
  end
end
K.fn_startswith = string_fn(starts)
K.fn_endswith = string_fn(ends)
K.fn_stringcontains = string_fn(contains)

function K.fn_add(ci, a, b) return arith("+", a, b) end
function K.fn_subtract(ci, a, b) return arith("-", a, b) end
function K.fn_multiply(ci, a, b) return arith("*", a, b) end
function K.fn_divide(ci, a, b) return arith("/", a, b) end
function K.fn_modulo(ci, a, b) return arith("%", a, b) end

-- Batch driver for generated code. P[p] evaluates predicate ids[p] over the batch; cats[p] is
-- the key of the event index list it loops over (0: every event). Q marks quarantined ids.
-- Each predicate P[p](lo, hi, idx, C, hits, nh, pid) evaluates the events idx[lo..hi] under
-- pcall; a predicate that fails is charged one fault and skips the rest of its events.
local function call(P, p, lo, hi, idx, C, hits, nh, pid, faults)
  local ok, r = pcall(P[p], lo, hi, idx, C, hits, nh, pid)
  if ok then return r end
  faults[#faults + 1] = pid; faults[#faults + 1] = tostring(r)
  return nh
end

-- Unrouted batch: every predicate over the events of its category (IDX[cats[p]]).
function K.run(P, ids, cats, IDX, C, Q)
  local hits, nh, faults = {}, 0, {}
  for p = 1, #P do
    local pid = ids[p]
    if not Q[pid] then
      local idx = IDX[cats[p]]
      if idx ~= nil then nh = call(P, p, 1, #idx, idx, C, hits, nh, pid, faults) end
    end
  end
  return nh, hits, faults
end

-- Routed batch: predicate order[k] evaluates only the events it is a candidate for,
-- rows[starts[k] .. starts[k + 1] - 1].
function K.run_routed(P, ids, order, starts, rows, C, Q)
  local hits, nh, faults = {}, 0, {}
  for k = 1, #order do
    local p = order[k]
    local pid = ids[p]
    if not Q[pid] then nh = call(P, p, starts[k], starts[k + 1] - 1, rows, C, hits, nh, pid, faults) end
  end
  return nh, hits, faults
end

K.error = error
return K
