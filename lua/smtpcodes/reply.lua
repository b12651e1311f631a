--- Replies: parse what SMTP servers send, whole or streaming.
-- The scanning itself is done by `smtpcodes.core.parse`; this module holds
-- the Reply and Reader objects and the EHLO capabilities reader.
-- @module smtpcodes.reply
local core = require("smtpcodes.loader").core
local util = require("smtpcodes.util")

local checktype, checkself, argerror, quote = util.checktype, util.checkself, util.argerror,
  util.quote
local ipairs, require, setmetatable, type = ipairs, require, setmetatable, type
local tointeger, idiv, tonumber = util.tointeger, util.idiv, tonumber
local concat = table.concat
local find, format, upper = string.find, string.format, string.upper
local STRICT, EOF, WHOLE = core.STRICT, core.EOF, core.WHOLE

local M = {}

-- Default bounds, the scanner's own (the same for parse): octets in one
-- line (without its line end) and lines in one reply.
local MAX_LINE, MAX_LINES = core.MAX_LINE, core.MAX_LINES

-- Reply --------------------------------------------------------------------

--- A parsed reply: a plain table with the fields code, text, lines, class,
-- category, and enhanced and warnings when there are any. Method: status().
-- A reply without warnings answers `reply.warnings` with a new empty list,
-- which is not stored: what `pairs` shows never depends on what was read.
local Reply = { __name = "smtpcodes.Reply" }
M.Reply = Reply

function Reply.__index(_, k)
  if k == "warnings" then return {} end
  return Reply[k]
end

-- The scanner of the core: parse is smtpcodes.parse itself; scan reads one
-- reply, scan_all every complete reply of a stream.
local parse, scan, scan_all = core.scanner(Reply, util.CLASS, util.CATEGORY)

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

local WHOLE_TEXT = EOF + WHOLE -- flags are distinct bits: + is |

--- Parses one complete reply, single- or multi-line.
-- @function parse
-- @tparam string text the reply's bytes
-- @tparam[opt] table opts strict (boolean), max_line, max_lines
-- @return a Reply; or nil and a message naming the line and the fault
M.parse = parse

-- Reader -------------------------------------------------------------------

--- A streaming reader: feed it bytes as they arrive, or let it read a
-- socket. Methods: feed(chunk), receive(sock), finish(), reset(),
-- buffered().
local Reader = { __name = "smtpcodes.Reader" }
Reader.__index = Reader
M.Reader = Reader

--- A new Reader.
-- @tparam[opt] table opts strict, max_line, max_lines as for parse
function M.reader(opts)
  local flags, max_line, max_lines = options(opts, 1, "reader")
  return setmetatable({
    flags = flags, max_line = max_line, max_lines = max_lines,
    buf = "", tail = 0, lines = {}, partial = nil, err = nil,
  }, Reader)
end

local function fail(self, err)
  self.err = err
  self.buf, self.tail, self.lines, self.partial = "", 0, {}, nil
  return nil, err
end

--- Feeds the next bytes of the stream.
-- @tparam string chunk any number of bytes
-- @return the list of replies this chunk completed (maybe empty), in order;
--   or nil, the error, and the list of replies completed before it. After an
--   error the reader keeps returning it until reset().
function Reader:feed(chunk)
  checkself(self, Reader, "feed")
  checktype(chunk, 1, "feed", "string")
  if self.err then return nil, self.err, {} end
  if not find(chunk, "\n", 1, true) then
    -- no line ends here: the only question is the bound on the open line
    self.tail = self.tail + #chunk
    if self.tail > self.max_line then
      local _, err = fail(self, format("line longer than %d octets (max_line)", self.max_line))
      return nil, err, {}
    end
    self.buf = self.buf .. chunk
    return {}
  end
  local buf = self.buf == "" and chunk or self.buf .. chunk
  local out, pos, open = scan_all(buf, self.flags, self.max_line, self.max_lines)
  if not out then
    local _, err = fail(self, pos)
    return nil, err, open
  end
  self.buf = pos > #buf and "" or pos == 1 and buf or buf:sub(pos)
  self.tail = open
  return out
end

--- Ends the stream: returns the reply left in the buffer when the peer
-- closed after a final line without line end, nil when nothing is left, or
-- nil and an error for an unfinished reply.
function Reader:finish()
  checkself(self, Reader, "finish")
  if self.err then return nil, self.err end
  local buf = self.buf
  self.buf, self.tail = "", 0
  if buf:find("^[\r\n]*$") then return nil end
  local r, err = scan(buf, 1, self.flags + WHOLE_TEXT, self.max_line, self.max_lines)
  if r then return r end
  return fail(self, err)
end

--- Forgets any buffered bytes and any error.
function Reader:reset()
  checkself(self, Reader, "reset")
  self.buf, self.tail, self.lines, self.partial, self.err = "", 0, {}, nil, nil
  return self
end

--- Number of bytes buffered: the start of a reply not yet complete.
function Reader:buffered()
  checkself(self, Reader, "buffered")
  local n = #self.buf + #(self.partial or "")
  for _, line in ipairs(self.lines) do n = n + #line + 2 end
  return n
end

-- One line from the socket; a socket that raises is reported, not passed on.
local function receive_line(sock)
  return sock:receive()
end

--- Reads one reply from a LuaSocket-like object: sock:receive() returns
-- one line without its line end, or nil, err[, partial].
-- @return a Reply; or nil and the socket's error ("timeout", "closed") or
--   a parse error. After a timeout the lines read so far are kept, and the
--   next call goes on where this one stopped.
function Reader:receive(sock)
  checkself(self, Reader, "receive")
  local t = type(sock)
  if t ~= "table" and t ~= "userdata" then
    argerror(1, "receive", "socket expected, got " .. util.typename(sock))
  end
  if self.err then return nil, self.err end
  local lines = self.lines
  while true do
    local ok, line, err, partial = pcall(receive_line, sock)
    if not ok then
      return nil, "receive raised an error: " .. (type(line) == "string" and line or type(line))
    end
    if type(line) ~= "string" then
      if line ~= nil then return fail(self, "receive returned a " .. type(line)) end
      if type(partial) == "string" and partial ~= "" then
        self.partial = (self.partial or "") .. partial
        if #self.partial > self.max_line then
          return fail(self, format("line %d: line longer than %d octets (max_line)", #lines + 1,
            self.max_line))
        end
      end
      return nil, type(err) == "string" and err or "receive failed"
    end
    if self.partial then
      line = self.partial .. line
      self.partial = nil
    end
    local n = #lines + 1
    if #line > self.max_line then
      return fail(self, format("line %d: line longer than %d octets (max_line)", n, self.max_line))
    end
    if n > self.max_lines then
      return fail(self, format("line %d: more than %d lines in one reply (max_lines)", n,
        self.max_lines))
    end
    lines[n] = line
    -- the reply ends with a line whose fourth byte is not '-' (leading
    -- empty lines are kept for the parser to report)
    if line:byte(4) ~= 45 and (line ~= "" or lines[1] ~= "") then break end
  end
  self.lines = {}
  local r, err = scan(concat(lines, "\r\n") .. "\r\n", 1, self.flags + WHOLE_TEXT,
    self.max_line, self.max_lines)
  if r then return r end
  return fail(self, err)
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
