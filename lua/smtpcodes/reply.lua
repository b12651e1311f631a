--- Replies: parse what SMTP servers send, whole or streaming.
-- The scanning itself is done by `smtpcodes.core.parse`; this module holds
-- the Reply and Reader objects and the EHLO capabilities reader.
-- @module smtpcodes.reply
local core = require("smtpcodes.loader").core
local util = require("smtpcodes.util")

local checktype, checkself, argerror, quote = util.checktype, util.checkself, util.argerror,
  util.quote
local ipairs, pcall, require, setmetatable, type = ipairs, pcall, require, setmetatable, type
local tointeger, idiv, tonumber = util.tointeger, util.idiv, tonumber
local format, upper = string.format, string.upper
local STRICT = core.STRICT

local M = {}

-- Default bounds, the scanner's own (the same for parse): octets in one
-- line (without its line end) and lines in one reply.
local MAX_LINE, MAX_LINES = core.MAX_LINE, core.MAX_LINES

-- Reply --------------------------------------------------------------------

--- A parsed reply: a plain table that stores code, text, class, category,
-- and enhanced and warnings when there are any. Method: status().
-- `reply.lines` is made from the text each time it is read (a new list:
-- keep it in a local to use it more than once), and a reply without warnings
-- answers `reply.warnings` with a new empty list; neither is stored, so what
-- `pairs` shows never depends on what was read.
local Reply = { __name = "smtpcodes.Reply" }
M.Reply = Reply

local gmatch = string.gmatch

-- The lines of a reply: its text split at each "\n".
local function lines_of(text)
  local lines, n = {}, 0
  for line in gmatch(text .. "\n", "(.-)\n") do
    n = n + 1
    lines[n] = line
  end
  return lines
end

function Reply.__index(r, k)
  if k == "lines" then
    local text = rawget(r, "text")
    return type(text) == "string" and lines_of(text) or {}
  end
  if k == "warnings" then return {} end
  return Reply[k]
end

-- The scanner of the core: parse is smtpcodes.parse itself.
local parse = core.scanner(Reply, util.CLASS, util.CATEGORY)

local knowledge

--- The Status object of the reply's enhanced code, or nil.
function Reply:status()
  checkself(self, Reply, "status")
  if not self.enhanced then return nil end
  knowledge = knowledge or require("smtpcodes.knowledge")
  return (knowledge.lookup(self.enhanced))
end

function Reply:__tostring()
  local more = #self.lines > 1 and format(" (+%d more lines)", #self.lines - 1) or ""
  local warn = #self.warnings > 0 and format(" [%d warnings]", #self.warnings) or ""
  return format("%d%s %s%s%s", self.code, self.enhanced and " " .. self.enhanced or "",
    self.lines[1], more, warn)
end

-- Reads opts into (flags, max_line, max_lines); raises on a bad option.
local function options(opts, n, fname)
  if opts == nil then return 0, MAX_LINE, MAX_LINES end
  checktype(opts, n, fname, "table", nil, 1)
  local flags = opts.strict and STRICT or 0
  local function bound(name, default)
    local v = opts[name]
    if v == nil then return default end
    local i = tointeger(v)
    if not i or i < 1 then
      argerror(n, fname, format("opts.%s must be a positive integer", name), 2)
    end
    return i
  end
  return flags, bound("max_line", MAX_LINE), bound("max_lines", MAX_LINES)
end


--- Parses one complete reply, single- or multi-line.
-- @function parse
-- @tparam string text the reply's bytes
-- @tparam[opt] table opts strict (boolean), max_line, max_lines
-- @return a Reply; or nil and a message naming the line and the fault
M.parse = parse

-- Reader -------------------------------------------------------------------

--- A streaming reader: feed it bytes as they arrive, or let it read a
-- socket. Methods: feed(chunk), receive(sock), finish(), reset(),
-- buffered(). A plain table: its fields are its options (flags, max_line,
-- max_lines) and its state (state, and err after an error).
--
-- One incremental state machine, in the core, serves feed and receive, and
-- parse too: it takes a reply line by line. A reader takes each line as
-- soon as it is complete, where it is in the chunk (or from the held open
-- line, when chunks split it), so every byte is looked at a bounded number
-- of times whatever the chunking. Between chunks it holds what the scan has
-- learnt of the reply still open, the text of its lines so far and its open
-- line. (The pure-Lua core holds the open reply's bytes instead, and scans
-- them once at its final line: the same answers, the cheaper way in Lua.)
-- Every line counts toward the bounds, empty lines included, so a reader
-- holds at most about max_line * max_lines bytes.
local Reader = { __name = "smtpcodes.Reader" }
Reader.__index = Reader
M.Reader = Reader

-- What feed returns when a chunk completes no reply: one shared empty list
-- (no table is made for each chunk). Do not modify it: it raises.
Reader.EMPTY = setmetatable({}, {
  __newindex = function()
    error("the empty list that reader:feed returns is shared: do not modify it", 2)
  end,
})

local feed, finish, buffered, reset, new_state = core.reader(Reader, Reply, util.CLASS,
  util.CATEGORY)

--- A new Reader. Its options are read when it is made.
-- @tparam[opt] table opts strict, max_line, max_lines as for parse
function M.reader(opts)
  local flags, max_line, max_lines = options(opts, 1, "reader")
  return setmetatable({ flags = flags, max_line = max_line, max_lines = max_lines,
    state = new_state(flags, max_line, max_lines) }, Reader)
end

--- Feeds the next bytes of the stream.
-- @function Reader:feed
-- @tparam string chunk any number of bytes
-- @return the list of replies this chunk completed, in order (when there is
--   none, the shared empty list Reader.EMPTY); or nil, the error, and the
--   list of replies completed before it. After an error the reader keeps
--   returning it until reset().
Reader.feed = feed

--- Ends the stream: returns the reply whose last line came without a line
-- end before the peer closed; nil when nothing but line ends is left; nil
-- and an error for an unfinished reply.
-- @function Reader:finish
Reader.finish = finish

--- Number of bytes of a reply not yet complete that the reader has taken
-- in (with the line ends and empty lines before it).
-- @function Reader:buffered
Reader.buffered = buffered

--- Forgets any held bytes and any error; returns the reader.
-- @function Reader:reset
Reader.reset = reset

-- One line from the socket; a socket that raises is reported, not passed on.
local function receive_line(sock)
  return sock:receive()
end

--- Reads one reply from a LuaSocket-like object: sock:receive() returns
-- one line without its line end, or nil, err[, partial].
-- @return a Reply; or nil and the socket's error ("timeout", "closed") or
--   a parse error. Whatever was read is held by the reader: after a timeout
--   the next call goes on where this one stopped, and after "closed",
--   finish() returns a final reply that came without its line end.
function Reader:receive(sock)
  checkself(self, Reader, "receive")
  local t = type(sock)
  if t ~= "table" and t ~= "userdata" then
    argerror(1, "receive", "socket expected, got " .. util.typename(sock))
  end
  if self.err then return nil, self.err end
  while true do
    local ok, line, err, partial = pcall(receive_line, sock)
    if not ok then
      return nil, "receive raised an error: " .. (type(line) == "string" and line or type(line))
    end
    if type(line) ~= "string" then
      if line ~= nil then
        reset(self)
        self.err = "receive returned a " .. type(line)
        return nil, self.err
      end
      if type(partial) == "string" and partial ~= "" then
        local fed, ferr = feed(self, partial)
        if not fed then return nil, ferr end
      end
      return nil, type(err) == "string" and err or "receive failed"
    end
    -- LuaSocket hands the line without its line end
    local out, ferr = feed(self, line .. "\r\n")
    if not out then return nil, ferr end
    if out[1] then return out[1] end
  end
end

-- capabilities -------------------------------------------------------------

--- The extensions an EHLO reply offers.
-- @param reply a Reply, or the reply's text
-- @return a table keyed by upper-case keyword: true, or the list of the
--   keyword's parameters; SIZE is an integer (0 = no limit), AUTH the list of
--   mechanisms (upper case, the old "AUTH=" form merged). Also domain and
--   greeting from the first line. nil and a message when reply is not a
--   successful EHLO reply.
function M.capabilities(reply)
  checktype(reply, 1, "capabilities", "table", "string")
  if type(reply) == "string" then
    local r, err = M.parse(reply)
    if not r then return nil, err end
    reply = r
  end
  local code, lines = reply.code, reply.lines
  if tointeger(code) == nil or type(lines) ~= "table" then
    argerror(1, "capabilities", "Reply expected")
  end
  if idiv(code, 100) ~= 2 then
    return nil, format("not a successful EHLO reply: code %s", quote(code))
  end
  local first = type(lines[1]) == "string" and lines[1] or ""
  local caps = {
    domain = first:match("^(%S+)") or "",
    greeting = first:match("^%S+%s+(.-)%s*$") or "",
  }
  for i = 2, #lines do
    local line = lines[i]
    if type(line) == "string" then
      local kw, rest = line:match("^(%S+)%s*(.-)%s*$")
      if kw then
        local k, v = kw:match("^([^=]+)=(.*)$") -- the old "AUTH=LOGIN PLAIN" form
        if k then
          kw, rest = k, v .. " " .. rest
        end
      end
      if kw and kw:find("^%w[%w%-]*$") then
        local key, params = upper(kw), {}
        for p in rest:gmatch("%S+") do params[#params + 1] = p end
        if key == "SIZE" then
          caps.SIZE = tointeger(tonumber(params[1] or "0")) or 0
        elseif key == "AUTH" then
          local list = caps.AUTH or {}
          caps.AUTH = list
          for _, p in ipairs(params) do
            local mech, dup = upper(p), false
            for _, m in ipairs(list) do dup = dup or m == mech end
            if not dup then list[#list + 1] = mech end
          end
        elseif #params == 0 then
          caps[key] = caps[key] or true
        else
          local list = type(caps[key]) == "table" and caps[key] or {}
          for _, p in ipairs(params) do list[#list + 1] = p end
          caps[key] = list
        end
      end
    end
  end
  return caps
end

return M
