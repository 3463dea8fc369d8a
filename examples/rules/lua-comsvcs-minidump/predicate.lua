-- Process memory dumped through comsvcs.dll's MiniDump export (ordinal #24 works too):
--   rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump <pid> <dump file> full
local kestrel = require("kestrel")

local MINIDUMP = 1 -- manifest "patterns"[1], compiled with RE2 by the host at load

function pred_init()
end

function pred_eval(ev)
  if kestrel.event_get_str(ev, "event.action") ~= "start" then return false end
  local name = kestrel.event_get_str(ev, "process.name")
  if name == nil or not kestrel.glob_match("rundll32.exe", name, true) then return false end
  local cmd = kestrel.event_get_str(ev, "process.command_line")
  return cmd ~= nil and kestrel.re_match(MINIDUMP, cmd)
end

-- The words of a string, split on spaces (plain finds: no backtracking patterns).
local function words(text)
  local out, start = {}, 1
  while start <= #text do
    local stop = string.find(text, " ", start, true) or (#text + 1)
    if stop > start then out[#out + 1] = string.sub(text, start, stop - 1) end
    start = stop + 1
  end
  return out
end

-- Called for matching events: the target pid and where its memory was written.
function pred_capture(ev)
  local cmd = kestrel.event_get_str(ev, "process.command_line")
  local parts = words(cmd)
  for i, word in ipairs(parts) do
    local w = string.lower(word)
    if w == "minidump" or w == "#24" then
      return {target_pid = tonumber(parts[i + 1]), dump_file = parts[i + 2]}
    end
  end
  return {}
end
