--- Internal helpers shared by the smtpcodes modules. Not part of the API.
-- @module smtpcodes.util
local error, getmetatable, next, rawlen, setmetatable, tostring, type = error, getmetatable,
  next, rawlen, setmetatable, tostring, type
local format = string.format

local M = {}

--- Names of a reply code's first digit (class) and second digit
-- (category), RFC 5321 4.2.1.
M.CLASS = { "preliminary", "completion", "intermediate", "transient", "permanent" }
M.CATEGORY = { [0] = "syntax", "information", "connections", "unspecified", "unspecified",
  "mail system" }

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

local function readonly_error(_, k)
  error(format("attempt to modify a read-only smtpcodes value (field %s)", M.quote(k)), 2)
end

--- A read-only view of the table t. Reads, #, pairs and ipairs see t;
-- writes raise. `mt` gives extra metamethods (__tostring, __name, ...) and
-- `class` what getmetatable returns.
function M.freeze(t, mt, class)
  local meta = {
    __index = t,
    __newindex = readonly_error,
    __len = function() return rawlen(t) end,
    __pairs = function() return next, t, nil end,
    __metatable = class or false,
  }
  if mt then
    for k, v in next, mt do
      if meta[k] == nil then meta[k] = v end
    end
  end
  return setmetatable({}, meta)
end

return M
