--- Postfix policy services in Lua: the policy delegation protocol of
-- Postfix's SMTPD_POLICY_README.
--
-- Postfix's smtpd sends a request, `name=value` lines ended by an empty
-- line, and waits for one answer, `action=...` and an empty line; the same
-- connection then carries the next request. The actions are those of an
-- access(5) table: DUNNO (no opinion), OK, REJECT, DEFER_IF_PERMIT, a
-- numeric reply (`action=550 5.7.1 text`) ... "In case of trouble the
-- policy server must not send a reply. Instead the server must log a warning
-- and disconnect": a malformed request gives an error, and the server
-- closes the connection without answering it.
--
-- What Postfix sends is read as untrusted and bounded: a line of at most
-- `max_line` bytes, a request of at most `max_attributes` attributes.
-- @module smtpcodes.postfix
local util = require("smtpcodes.util")
local format_mod = require("smtpcodes.format")

local checktype, argerror, quote = util.checktype, util.argerror, util.quote
local pcall, setmetatable, tostring, type = pcall, setmetatable, tostring, type
local find, format, sub = string.find, string.format, string.sub

local M = {}

--- Default bounds: bytes in one attribute line (without its line end), and
-- attributes in one request. Postfix 3.x sends about 30 short attributes.
M.MAX_LINE = 8192
M.MAX_ATTRIBUTES = 100

local Reader = { __name = "smtpcodes.postfix.Reader" }
Reader.__index = Reader
M.Reader = Reader

local function bound(opts, name, default)
  local v = opts[name]
  if v == nil then return default end
  local i = util.tointeger(v)
  if not i or i < 1 then
    argerror(1, "reader", format("opts.%s must be a positive integer", name), 2)
  end
  return i
end

--- A reader of requests from one connection.
-- @tparam[opt] table opts `max_line`, `max_attributes`
function M.reader(opts)
  if opts ~= nil then checktype(opts, 1, "reader", "table") end
  opts = opts or {}
  return setmetatable({ max_line = bound(opts, "max_line", M.MAX_LINE),
    max_attributes = bound(opts, "max_attributes", M.MAX_ATTRIBUTES),
    buf = "", request = {}, count = 0, err = nil }, Reader)
end

-- One attribute line into the request being read: nil, or an error.
local function attribute(self, line)
  if sub(line, -1) == "\r" then line = sub(line, 1, -2) end
  local eq = find(line, "=", 1, true)
  if not eq or eq == 1 then
    return format("malformed attribute line %d: %s (name=value expected)", self.count + 1,
      quote(line))
  end
  if find(line, "%z") then return format("attribute line %d holds a NUL", self.count + 1) end
  self.count = self.count + 1
  if self.count > self.max_attributes then
    return format("more than %d attributes in one request", self.max_attributes)
  end
  local name = sub(line, 1, eq - 1)
  -- "When the same attribute name is sent more than once, the server may
  -- keep the first value or the last": the first is kept
  if self.request[name] == nil then self.request[name] = sub(line, eq + 1) end
  return nil
end

--- Feeds bytes read from the connection.
-- @tparam string chunk
-- @return the list of requests this chunk completed (each a table of
--   attribute name to value, with `request = "smtpd_access_policy"`); or
--   nil, the error, and the requests completed before it. After an error
--   the connection should be closed without an answer (Postfix retries);
--   the reader keeps returning the error.
function Reader:feed(chunk)
  util.checkself(self, Reader, "feed")
  checktype(chunk, 1, "feed", "string")
  local done = {}
  if self.err then return nil, self.err, done end
  local buf, pos = self.buf .. chunk, 1
  while true do
    local nl = find(buf, "\n", pos, true)
    if not nl then break end
    local line = sub(buf, pos, nl - 1)
    pos = nl + 1
    if #line > self.max_line + 1 or (#line == self.max_line + 1 and sub(line, -1) ~= "\r") then
      self.err = format("attribute line %d longer than %d bytes", self.count + 1, self.max_line)
    elseif line == "" or line == "\r" then
      if self.count == 0 then
        self.err = "empty request (an empty line with no attribute before it)"
      elseif self.request.request == nil then
        self.err = "request without the request attribute"
      else
        done[#done + 1] = self.request
        self.request, self.count = {}, 0
      end
    else
      self.err = attribute(self, line)
    end
    if self.err then
      self.buf = ""
      return nil, self.err, done
    end
  end
  self.buf = sub(buf, pos)
  if #self.buf > self.max_line + 1 then
    self.err = format("attribute line %d longer than %d bytes", self.count + 1, self.max_line)
    self.buf = ""
    return nil, self.err, done
  end
  return done
end

--- Bytes held: the part of a request not yet complete.
function Reader:buffered()
  util.checkself(self, Reader, "buffered")
  return #self.buf
end

--- Reads one request from a file or a LuaSocket-like object whose
-- `read("*l")` or `receive("*l")` returns one line without its end (as a
-- policy server spawned by Postfix's spawn(8) reads its standard input).
-- @param from the file or socket
-- @tparam[opt] table opts as for reader
-- @return the request; nil when the input ends before one starts; or nil
--   and an error
function M.read(from, opts)
  local t = type(from)
  if t ~= "table" and t ~= "userdata" then
    argerror(1, "read", "file or socket expected, got " .. util.typename(from))
  end
  local reader = M.reader(opts)
  local get = from.read and function() return from:read("*l") end
    or function() return from:receive("*l") end
  local started = false
  while true do
    local ok, line, err = pcall(get)
    if not ok then return nil, "read raised an error: " .. tostring(line) end
    if type(line) ~= "string" then
      if not started then return nil, err end
      return nil, "the input ended inside a request" .. (err and " (" .. tostring(err) .. ")" or "")
    end
    started = true
    local got, ferr = reader:feed(line .. "\n")
    if not got then return nil, ferr end
    if got[1] then return got[1] end
  end
end

-- Answers ----------------------------------------------------------------------

-- The actions of an access(5) table that a policy service may give with
-- an optional text, by name.
local ACTIONS = {
  OK = true, DUNNO = true, REJECT = true, DEFER = true, DEFER_IF_REJECT = true,
  DEFER_IF_PERMIT = true, HOLD = true, DISCARD = true, WARN = true, INFO = true,
}

-- Why text may not follow an action, or nil.
local function bad_text(text)
  local at = find(text, "[%z\1-\31\127]")
  if at then
    return format("the text holds a control character (%s) at byte %d", quote(sub(text, at, at)),
      at)
  end
  if #text > format_mod.MAX_LINE then
    return format("the text is longer than %d bytes", format_mod.MAX_LINE)
  end
end

--- An answer: `action=NAME [text]` and the empty line.
-- @tparam string name an action of access(5): OK, DUNNO, REJECT, DEFER,
--   DEFER_IF_REJECT, DEFER_IF_PERMIT, HOLD, DISCARD, WARN, INFO
-- @tparam[opt] string text
-- @treturn string the answer to write; or nil and why the text is refused
--   (a control character, too long): nothing is to be written then
function M.action(name, text)
  checktype(name, 1, "action", "string")
  if not ACTIONS[name] then
    argerror(1, "action", "an access(5) action expected (OK, DUNNO, REJECT, DEFER_IF_PERMIT ...), "
      .. "got " .. quote(name))
  end
  if text ~= nil then
    checktype(text, 2, "action", "string")
    local why = bad_text(text)
    if why then return nil, "action: refused: " .. why end
    if text ~= "" then return "action=" .. name .. " " .. text .. "\n\n" end
  end
  return "action=" .. name .. "\n\n"
end

--- `action=DUNNO`: no opinion, the next restriction decides.
function M.dunno() return M.action("DUNNO") end
--- `action=OK`: accept (skip the rest of this restriction list).
function M.ok() return M.action("OK") end
--- `action=REJECT [text]`: Postfix refuses with its reject code.
function M.reject(text) return M.action("REJECT", text) end
--- `action=DEFER_IF_PERMIT [text]`: a temporary refusal, unless another
-- restriction refuses for good.
function M.defer_if_permit(text) return M.action("DEFER_IF_PERMIT", text) end

--- A numeric answer, `action=550 5.7.1 text`: the reply that Postfix sends,
-- built by `smtpcodes.format` as one line.
-- @param code 400 to 599
-- @tparam[opt] string enhanced
-- @tparam[opt] string text
-- @treturn string the answer; or nil and why the reply is refused (not 4yz
--   or 5yz, a control character or a line break in the text, too long)
function M.reply(code, ...)
  local reply, err = format_mod.line("reply", "4yz or 5yz", function(c) return c >= 400 end,
    code, ...)
  if not reply then return nil, err end
  return "action=" .. reply .. "\n\n"
end

return M
