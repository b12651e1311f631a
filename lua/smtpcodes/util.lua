--- Internal helpers shared by the smtpcodes modules. Not part of the API.
-- @module smtpcodes.util
local error, getmetatable, ipairs, tostring, type = error, getmetatable, ipairs, tostring, type
local floor = math.floor
-- luacheck: push ignore 143 113
local mtointeger = math.tointeger -- Lua 5.3 and later
local unpack = table.unpack or unpack -- 5.1 and LuaJIT: unpack
-- luacheck: pop
local byte, find, format, lower = string.byte, string.find, string.format, string.lower

local M = {}

M.unpack = unpack

--- Names of a reply code's first digit (class) and second digit
-- (category), RFC 5321 4.2.1.
M.CLASS = { "preliminary", "completion", "intermediate", "transient", "permanent" }
M.CATEGORY = { [0] = "syntax", "information", "connections", "unspecified", "unspecified",
  "mail system" }

--- The integer value of a number with no fraction, or nil: an integer on
-- Lua 5.3 and later (so that 550 never prints as 550.0), the number itself on
-- 5.1, 5.2 and LuaJIT, where every number is a float. Beyond 2^53 a float no
-- longer holds every integer, so such numbers are refused on every version.
function M.tointeger(v)
  if type(v) ~= "number" then return nil end
  if mtointeger then
    local i = mtointeger(v)
    if i and i >= -0x20000000000000 and i <= 0x20000000000000 then return i end
    return nil
  end
  if v ~= floor(v) or v < -0x20000000000000 or v > 0x20000000000000 then return nil end
  return v
end

--- a // b for integers a and b > 0 (an integer on 5.3 and later).
function M.idiv(a, b)
  return floor(a / b)
end

--- True when s is valid UTF-8 (RFC 3629: no overlong form, no surrogate,
-- nothing above U+10FFFF), as utf8.len checks on Lua 5.4.
function M.utf8_valid(s)
  local i, n = 1, #s
  while true do
    -- skip ASCII quickly
    i = find(s, "[\128-\255]", i)
    if not i then return true end
    local c = byte(s, i)
    local need, min
    if c >= 0xC2 and c <= 0xDF then
      need, min = 1, 0x80
    elseif c >= 0xE0 and c <= 0xEF then
      need, min = 2, 0x800
    elseif c >= 0xF0 and c <= 0xF4 then
      need, min = 3, 0x10000
    else
      return false
    end
    if i + need > n then return false end
    local cp = c % (2 ^ (6 - need))
    for k = 1, need do
      local cc = byte(s, i + k)
      if cc < 0x80 or cc > 0xBF then return false end
      cp = cp * 64 + (cc - 0x80)
    end
    if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
    i = i + need + 1
  end
end

--- Raises "bad argument #n to 'fname' (msg)", blaming the caller of the
-- API function. `depth` is how many helper calls stand between the API
-- function and this one (default 0: the API function called it).
function M.argerror(n, fname, msg, depth)
  error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 3 + (depth or 0))
end

--- The name of a value's type for error messages; a table's metatable
-- __name is used, as luaL_typeerror does.
function M.typename(v)
  local t = type(v)
  if t == "table" then
    local mt = getmetatable(v)
    if type(mt) == "table" and type(mt.__name) == "string" then return mt.__name end
    if type(mt) == "string" then return mt end
  end
  return t
end

--- Raises the standard type error unless type(v) is `wanted` (or `also`),
-- blaming the caller of the API function as argerror does.
function M.checktype(v, n, fname, wanted, also, depth)
  local t = type(v)
  if t == wanted or (also and t == also) then return v end
  error(format("bad argument #%d to '%s' (%s expected, got %s)", n, fname,
    also and wanted .. " or " .. also or wanted, M.typename(v)), 3 + (depth or 0))
end

--- Server or user text made safe to show in one line of a message:
-- control and non-ASCII bytes become \xNN, quotes are escaped, and long
-- text is cut.
function M.quote(s, max)
  s = tostring(s)
  max = max or 48
  local cut = #s > max
  if cut then s = s:sub(1, max) end
  s = s:gsub("[^\32-\126]", function(c) return format("\\x%02x", c:byte()) end)
       :gsub("'", "\\'")
  return "'" .. s .. (cut and "...'" or "'")
end

--- Raises unless self is an object of `class` (a method called with a
-- wrong self, as file.read(42) would be).
function M.checkself(self, class, fname)
  if getmetatable(self) ~= class then
    error(format("bad argument #1 to '%s' (%s expected, got %s)", fname, class.__name,
      M.typename(self)), 3)
  end
end

--- White space: tab, line feed, vertical tab, form feed, carriage return and
-- space (the bytes of %s), as a set of byte values.
M.SPACE = { [9] = true, [10] = true, [11] = true, [12] = true, [13] = true, [32] = true }

--- s without the bytes of `set` (a set of byte values) at its end, taken off
-- in one pass (a pattern such as "%s+$" would be quadratic on a long run that
-- does not end s).
function M.trim_end(s, set)
  local stop = #s
  while stop > 0 and set[byte(s, stop)] do stop = stop - 1 end
  return stop == #s and s or s:sub(1, stop)
end

--- s without white space (util.SPACE) at either end, in one pass each.
function M.trim(s)
  local first = 1
  while M.SPACE[byte(s, first)] do first = first + 1 end
  return M.trim_end(first == 1 and s or s:sub(first), M.SPACE)
end

-- The words that name a command in text ("in reply to RCPT TO command",
-- "after end of data"), and the command as decide names it.
local COMMANDS = {
  { "rcpt to", "RCPT" }, { "mail from", "MAIL" }, { "end of data", "DATA_END" },
  { "end of message", "DATA_END" }, { "final data", "DATA_END" }, { "data", "DATA" },
  { "ehlo", "EHLO" },
  { "helo", "HELO" }, { "lhlo", "LHLO" }, { "bdat", "BDAT" }, { "auth", "AUTH" },
  { "starttls", "STARTTLS" },
}

--- The command a quoted reply answered, from the words that name it (as
-- decide names it), or nil.
function M.command_named(words)
  if not words then return nil end
  local l = lower(words)
  for _, c in ipairs(COMMANDS) do
    if find(l, c[1], 1, true) then return c[2] end
  end
  return nil
end

return M
