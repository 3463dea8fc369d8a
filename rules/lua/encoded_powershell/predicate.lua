-- PowerShell with an encoded command: powershell.exe / pwsh.exe with -enc / -EncodedCommand
-- (or any prefix of it from -e) followed by a base64 blob of 40+ characters.
-- Works on ECS (process.name, process.command_line) and Sysmon (Image, CommandLine) events.
local kestrel = require("kestrel")

local ENCODED = 1 -- manifest "patterns"[1], compiled by the host (RE2) when the package loads

local function image(ev)
  return kestrel.event_get_str(ev, "process.name") or kestrel.event_get_str(ev, "Image")
end

local function command_line(ev)
  return kestrel.event_get_str(ev, "process.command_line")
      or kestrel.event_get_str(ev, "CommandLine")
end

local function is_powershell(name)
  return name ~= nil and (kestrel.glob_match("*powershell.exe", name, true)
    or kestrel.glob_match("*pwsh.exe", name, true))
end

function pred_init()
  -- nothing to prepare: the pattern is declared in the manifest
end

function pred_eval(ev)
  if not is_powershell(image(ev)) then return false end
  local cmd = command_line(ev)
  return cmd ~= nil and kestrel.re_match(ENCODED, cmd)
end

-- Called for matching events only: what the alert carries besides the event.
function pred_capture(ev)
  local cmd = command_line(ev)
  -- the longest base64 run after the switch
  local best = ""
  for blob in string.gmatch(cmd, "[A-Za-z0-9+/=]+") do
    if #blob > #best then best = blob end
  end
  return {encoded_command = best, length = #best, image = image(ev)}
end
