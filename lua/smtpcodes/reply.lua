--- Replies: parse what SMTP servers send, whole or streaming.
-- The scanning itself is done by `smtpcodes.core.parse`; this module holds
-- the Reply and Reader objects and the EHLO capabilities reader.
-- @module smtpcodes.reply
local core = require("smtpcodes.loader").core
local util = require("smtpcodes.util")

local checktype, checkself, argerror, quote = util.checktype, util.checkself, util.argerror,
  util.quote
local getmetatable, ipairs, pcall, require, setmetatable, type = getmetatable, ipairs, pcall,
  require, setmetatable, type
local tointeger, idiv, tonumber = util.tointeger, util.idiv, tonumber
local concat = table.concat
local byte, find, format, sub, upper = string.byte, string.find, string.format, string.sub,
  string.upper
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
--
-- One incremental state machine serves feed and receive. Replies that a
-- chunk holds whole are scanned by the core in one call; the reply still
-- open at the end of a chunk is held as its pieces, with what the scan has
-- learnt of it (its lines so far, the length and first bytes of its open
-- line), so that the next chunk is scanned from where the last one stopped
-- and every byte is looked at a bounded number of times whatever the
-- chunking. The held bytes are joined and scanned once, when the reply is
-- complete. Every line held counts toward the bounds, empty lines included,
-- so a reader holds at most about max_line * max_lines bytes.
local Reader = { __name = "smtpcodes.Reader" }
Reader.__index = Reader
M.Reader = Reader

-- The state of a reader with nothing held.
local function clear(self)
  self.pieces, self.npieces, self.held = {}, 0, 0
  self.nlines = 0        -- complete lines held
  self.text = false      -- a held line has text (an empty line then ends the reply)
  self.linelen = 0       -- bytes of the open line held
  self.head = ""         -- the open line's first 4 bytes (fewer while it is shorter)
  self.lastcr = false    -- the open line's last byte is CR
end

--- A new Reader.
-- @tparam[opt] table opts strict, max_line, max_lines as for parse
function M.reader(opts)
  local flags, max_line, max_lines = options(opts, 1, "reader")
  local self = setmetatable({ flags = flags, max_line = max_line, max_lines = max_lines },
    Reader)
  clear(self)
  return self
end

local function fail(self, err)
  self.err = err
  clear(self)
  return nil, err
end

local function hold(self, piece)
  local n = self.npieces + 1
  self.npieces = n
  self.pieces[n] = piece
  self.held = self.held + #piece
end

local function toolong(self)
  return fail(self, format("line %d: line longer than %d octets (max_line)", self.nlines + 1,
    self.max_line))
end

-- Takes in s[i..j], the start or more of the open line (no LF in it).
local function open_more(self, s, i, j)
  local len = self.linelen
  if len < 4 then self.head = self.head .. sub(s, i, i + 3 - len) end
  len = len + (j - i + 1)
  self.linelen = len
  self.lastcr = byte(s, j) == 13
  -- a CR at the end may start the line end, which never counts
  if len - (self.lastcr and 1 or 0) > self.max_line then return toolong(self) end
  return true
end

-- The open reply goes on in chunk from byte pos: the lines it completes are
-- counted and bounded, until the reply's final line. Returns the reply (or
-- false when the chunk ends first) and the position after it; or nil, err.
local function resume(self, chunk, pos)
  local n, start = #chunk, pos -- chunk[start..] is not held yet
  while true do
    local nl = find(chunk, "\n", pos, true)
    if not nl then
      if pos <= n then
        local ok, err = open_more(self, chunk, pos, n)
        if not ok then return nil, err end
      end
      if start <= n then hold(self, start == 1 and chunk or sub(chunk, start)) end
      return false, n + 1
    end
    -- the open line ends at nl: its length without the line end, and its
    -- first 4 bytes
    local len = self.linelen + (nl - pos)
    local cr
    if nl > pos then cr = byte(chunk, nl - 1) == 13 else cr = self.lastcr end
    local ll = cr and len - 1 or len
    local head = self.head
    if self.linelen < 4 then head = head .. sub(chunk, pos, pos + 3 - self.linelen) end
    if ll > self.max_line then return toolong(self) end
    local nlines = self.nlines + 1
    if nlines > self.max_lines then
      return fail(self, format("line %d: more than %d lines in one reply (max_lines)", nlines,
        self.max_lines))
    end
    self.nlines, self.linelen, self.head, self.lastcr = nlines, 0, "", false
    -- the reply ends with a line that is not "xyz-...", and the scan is due
    -- at a line it will refuse: an empty line after text, a bad code
    if (ll == 0 and self.text) or (ll > 0 and (ll < 4 or not find(head, "^[1-5]%d%d%-"))) then
      hold(self, sub(chunk, start, nl))
      local whole = concat(self.pieces, "", 1, self.npieces)
      clear(self)
      local r, err = scan(whole, 1, self.flags, self.max_line, self.max_lines)
      if not r then return fail(self, err) end
      return r, nl + 1
    end
    if ll > 0 then self.text = true end
    pos = nl + 1
  end
end

-- Starts holding the unfinished reply s[pos..]: what the scan learns of it.
local function hold_tail(self, s, pos)
  local n = #s
  local start = pos
  while true do
    local nl = find(s, "\n", pos, true)
    if not nl then break end
    local ll = nl - pos
    if ll > 0 and byte(s, nl - 1) == 13 then ll = ll - 1 end
    self.nlines = self.nlines + 1
    if ll > 0 then self.text = true end
    pos = nl + 1
  end
  if pos <= n then open_more(self, s, pos, n) end -- within bounds: the core has checked
  hold(self, start == 1 and s or sub(s, start))
end

-- feed without the argument checks; out receives the replies.
local function feed(self, chunk, out)
  local pos, nout = 1, #out
  if self.held > 0 then
    local r, at = resume(self, chunk, 1)
    if r == nil then return nil, at end
    if not r then return out end
    nout = nout + 1
    out[nout] = r
    pos = at
  end
  if pos > #chunk then return out end
  local rest = pos == 1 and chunk or sub(chunk, pos)
  if not find(rest, "\n", 1, true) then
    -- only the start of a line: just its bound to check
    local ok, err = open_more(self, rest, 1, #rest)
    if not ok then return nil, err end
    hold(self, rest)
    return out
  end
  local list, at, err = scan_all(rest, self.flags, self.max_line, self.max_lines)
  if not list then
    for i = 1, #err do out[nout + i] = err[i] end
    return fail(self, at)
  end
  for i = 1, #list do out[nout + i] = list[i] end
  if at <= #rest then hold_tail(self, rest, at) end
  return out
end

--- Feeds the next bytes of the stream.
-- @tparam string chunk any number of bytes
-- @return the list of replies this chunk completed (maybe empty), in order;
--   or nil, the error, and the list of replies completed before it. After an
--   error the reader keeps returning it until reset().
function Reader:feed(chunk)
  if getmetatable(self) ~= Reader then checkself(self, Reader, "feed") end
  if type(chunk) ~= "string" then checktype(chunk, 1, "feed", "string") end
  if self.err then return nil, self.err, {} end
  local out = {}
  local ok, err = feed(self, chunk, out)
  if not ok then return nil, err, out end
  return out
end

--- Ends the stream: returns the reply whose last line came without a line
-- end before the peer closed; nil when nothing but line ends is left; nil
-- and an error for an unfinished reply.
function Reader:finish()
  checkself(self, Reader, "finish")
  if self.err then return nil, self.err end
  local left = concat(self.pieces, "", 1, self.npieces)
  clear(self)
  if not find(left, "[^\r\n]") then return nil end
  local r, err = scan(left, 1, self.flags + WHOLE_TEXT, self.max_line, self.max_lines)
  if r then return r end
  return fail(self, err)
end

--- Forgets any buffered bytes and any error.
function Reader:reset()
  checkself(self, Reader, "reset")
  clear(self)
  self.err = nil
  return self
end

--- Number of bytes held: the start of a reply not yet complete.
function Reader:buffered()
  checkself(self, Reader, "buffered")
  return self.held
end

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
      if line ~= nil then return fail(self, "receive returned a " .. type(line)) end
      if type(partial) == "string" and partial ~= "" then
        local fed, ferr = feed(self, partial, {})
        if not fed then return nil, ferr end
      end
      return nil, type(err) == "string" and err or "receive failed"
    end
    -- LuaSocket hands the line without its line end
    local out, ferr = feed(self, line .. "\r\n", {})
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
