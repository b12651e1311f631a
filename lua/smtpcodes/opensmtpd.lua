--- OpenSMTPD filters in Lua: the filter protocol of smtpd-filters(7).
--
-- smtpd runs a filter as a child process (`filter "name" proc-exec "..."`)
-- and speaks a line protocol on its standard input and output: `config|`
-- lines, the filter's registration, then `filter|` requests (answered with
-- `filter-result|` or, in the data-line phase, `filter-dataline|` lines) and
-- `report|` events (never answered). This module reads those lines into
-- tables, builds the answers (the replies of reject and disconnect by
-- `smtpcodes.format`, one line, checked as smtpd checks them), puts the
-- lines of a multi-line `protocol-server` reply back together, and runs a
-- filter: `opensmtpd.filter():on("rcpt-to", fn):run()`.
--
-- Protocol versions: 0.6 (OpenSMTPD 6.7 and 6.8, Debian 12's) and 0.7
-- (OpenSMTPD 7.x, the current smtpd-filters(7)). They differ in one event:
-- `link-auth` gives `username|result` in 0.6 and `result|username` in 0.7
-- (OpenSMTPD commit 0a125ccc, "swap link-auth filter arguments"); 0.7 also
-- sends `config|protocol|0.7` in the handshake. Lines of any other version
-- are refused with a message naming it.
--
-- What smtpd sends is read as untrusted: a malformed line gives nil and a
-- message, never an error. Misuse (a wrong argument type) raises.
-- @module smtpcodes.opensmtpd
local util = require("smtpcodes.util")
local reply_line = require("smtpcodes.format").line
local parse_reply = require("smtpcodes.reply").parse

local checktype, argerror, quote = util.checktype, util.argerror, util.quote
local concat = table.concat
local ipairs, pairs, pcall, setmetatable, tostring, type = ipairs, pairs, pcall, setmetatable,
  tostring, type
local sort = table.sort
local find, format, gsub, match, sub = string.find, string.format, string.gsub, string.match,
  string.sub

local M = {}

--- The protocol versions whose line layout this module knows.
M.VERSIONS = { ["0.6"] = true, ["0.7"] = true }

--- Longest line read, in bytes (smtpd's own lines are far shorter: a data
-- line is at most 1000 bytes with its prefix).
M.MAX_LINE = 65536

--- Lines of one multi-line reply that a session may hold in `replies()`.
M.MAX_REPLY_LINES = 100

--- Sessions that `replies()` may hold a partial reply for at once.
M.MAX_SESSIONS = 10000

-- Parameters of each filter phase (smtp-in), in order; the last may hold "|".
local PHASES = {
  connect = { "rdns", "src" },
  helo = { "identity" },
  ehlo = { "identity" },
  starttls = { "tls" },
  auth = { "auth" },
  ["mail-from"] = { "address" },
  ["rcpt-to"] = { "address" },
  data = {},
  ["data-line"] = { "line" },
  commit = {},
}
M.PHASES = PHASES

-- Parameters of each report event (smtp-in and smtp-out), in order.
local EVENTS = {
  ["link-connect"] = { "rdns", "fcrdns", "src", "dest" },
  ["link-greeting"] = { "hostname" },
  ["link-identify"] = { "method", "identity" },
  ["link-tls"] = { "tls" },
  ["link-disconnect"] = {},
  ["link-auth"] = { "result", "username" }, -- 0.7; 0.6: username, result
  ["tx-reset"] = { "message_id" },
  ["tx-begin"] = { "message_id" },
  ["tx-mail"] = { "message_id", "result", "address" },
  ["tx-rcpt"] = { "message_id", "result", "address" },
  ["tx-envelope"] = { "message_id", "envelope_id" },
  ["tx-data"] = { "message_id", "result" },
  ["tx-commit"] = { "message_id", "size" },
  ["tx-rollback"] = { "message_id" },
  ["protocol-client"] = { "command" },
  ["protocol-server"] = { "response" },
  ["filter-report"] = { "kind", "name", "message" },
  ["filter-response"] = { "phase", "response", "param" },
  ["timeout"] = {},
}
M.EVENTS = EVENTS

local SUBSYSTEMS = { ["smtp-in"] = true, ["smtp-out"] = true }

-- The fields of s split at "|": the first n - 1 alone, the last with the
-- rest of the line ("|" may appear in the last field only).
local function split(s, n)
  local out, pos = {}, 1
  while #out < n - 1 do
    local bar = find(s, "|", pos, true)
    if not bar then break end
    out[#out + 1] = sub(s, pos, bar - 1)
    pos = bar + 1
  end
  out[#out + 1] = sub(s, pos)
  return out
end

-- A session id or token: up to 16 hexadecimal digits.
local function is_id(s)
  return s ~= nil and #s >= 1 and #s <= 16 and find(s, "^%x+$") ~= nil
end

-- The event or phase parameters of a filter or report line, by name.
local function params_of(msg, names, rest)
  local params = {}
  if rest ~= nil then
    if #names == 0 then
      params = { rest }
    elseif msg.event == "link-auth" and msg.version == "0.6" then
      -- 0.6 writes username|result: the username (which may hold "|")
      -- runs up to the last bar
      local at, bar = 1, nil
      while true do
        local b = find(rest, "|", at, true)
        if not b then break end
        bar, at = b, b + 1
      end
      if bar then params = { sub(rest, 1, bar - 1), sub(rest, bar + 1) } else params = { rest } end
      msg.username, msg.result = params[1], params[2]
      msg.params = params
      return msg
    else
      params = split(rest, #names)
    end
  end
  msg.params = params
  for i, name in ipairs(names) do msg[name] = params[i] end
  return msg
end

--- Reads one line from smtpd (without its line end; a trailing "\r" or
-- "\n" is taken off).
-- @tparam string line
-- @return a table, by the line's kind:
--   `{type = "config", key =, value =}` (`key = "ready"` ends the
--   handshake); `{type = "filter", version =, timestamp =, subsystem =,
--   phase =, session =, token =, params = {...}}` with the phase's named
--   parameters (`address` for mail-from and rcpt-to, `identity`, `rdns` and
--   `src`, `line` ...); `{type = "report", version =, timestamp =,
--   subsystem =, event =, session =, params = {...}}` with the event's
--   named parameters (`response` for protocol-server, `src` and `dest` for
--   link-connect, `result` and `username` for link-auth in either version
--   ...). An event or phase this module does not know keeps its parameters
--   as one string in `params[1]`.
-- @return or nil and a message naming what is wrong with the line
function M.parse(line)
  checktype(line, 1, "parse", "string")
  if #line > M.MAX_LINE then
    return nil, format("line longer than %d bytes (%d)", M.MAX_LINE, #line)
  end
  line = gsub(line, "\r?\n?$", "", 1)
  if find(line, "[%z\r\n]") then return nil, "control character (CR, LF or NUL) in the line" end
  local kind = match(line, "^([%a%-]+)|")
  if kind == "config" then
    local f = split(sub(line, 8), 2)
    if f[1] == "" then return nil, "config line without a key" end
    return { type = "config", key = f[1], value = f[2] }
  end
  if kind ~= "filter" and kind ~= "report" then
    return nil, "not a config, filter or report line: " .. quote(line)
  end
  -- filter|VERSION|TIME|SUBSYSTEM|PHASE|SESSION|TOKEN|params
  -- report|VERSION|TIME|SUBSYSTEM|EVENT|SESSION|params
  local head = split(sub(line, #kind + 2), kind == "filter" and 7 or 6)
  local version, time, subsystem, name, session = head[1], head[2], head[3], head[4], head[5]
  if not version or not M.VERSIONS[version] then
    return nil, format("unsupported protocol version %s (this module knows 0.6 and 0.7)",
      quote(version or ""))
  end
  if not time or not find(time, "^%d+%.?%d*$") then
    return nil, "bad timestamp in " .. kind .. " line: " .. quote(time or "")
  end
  if not subsystem or not find(subsystem, "^[%w%-]+$") then
    return nil, "bad subsystem in " .. kind .. " line: " .. quote(subsystem or "")
  end
  if not name or not find(name, "^[%w%-]+$") then
    return nil, "bad " .. (kind == "filter" and "phase" or "event") .. " in " .. kind .. " line"
  end
  if not is_id(session) then
    return nil, kind .. " line without a session id (16 hexadecimal digits): " .. quote(line)
  end
  local msg = { type = kind, version = version, timestamp = time, subsystem = subsystem,
    session = session }
  if kind == "filter" then
    local token = head[6]
    if not is_id(token) then
      return nil, "filter line without a token (16 hexadecimal digits): " .. quote(line)
    end
    msg.phase, msg.token = name, token
    local names = PHASES[name]
    if not names then
      msg.params = { head[7] }
      return msg
    end
    return params_of(msg, names, head[7] or "")
  end
  msg.event = name
  local names = EVENTS[name]
  if not names then
    msg.params = { head[6] }
    return msg
  end
  return params_of(msg, names, head[6])
end

-- Answers --------------------------------------------------------------------

local function check_ids(session, token, fname)
  checktype(session, 1, fname, "string", nil, 1)
  checktype(token, 2, fname, "string", nil, 1)
  if not is_id(session) then
    argerror(1, fname, "session id (hexadecimal) expected, got " .. quote(session), 1)
  end
  if not is_id(token) then
    argerror(2, fname, "token (hexadecimal) expected, got " .. quote(token), 1)
  end
end

local function result(session, token, ...)
  return concat({ "filter-result", session, token, ... }, "|") .. "\n"
end

--- The answer that lets the session go on.
-- @tparam string session the request's session id
-- @tparam string token the request's token
-- @treturn string the line to write (with its "\n")
function M.proceed(session, token)
  check_ids(session, token, "proceed")
  return result(session, token, "proceed")
end

--- The answer that marks the session or transaction as spam (smtpd adds an
-- X-Spam header).
function M.junk(session, token)
  check_ids(session, token, "junk")
  return result(session, token, "junk")
end

--- The answer that refuses the command with a 4yz or 5yz reply (a 421 also
-- ends the session). The reply is built by `smtpcodes.format` and must fit
-- one line.
-- @tparam string session
-- @tparam string token
-- @param code 400 to 599
-- @tparam[opt] string enhanced as format takes it
-- @tparam[opt] string text as format takes it, on one line
-- @treturn string the line to write; or nil and why the reply was refused
--   (a bad code, a control character or a line break in the text, too
--   long): nothing is to be written then
function M.reject(session, token, code, ...)
  check_ids(session, token, "reject")
  local reply, err = reply_line("reject", "4yz or 5yz", function(c) return c >= 400 end, code,
    ...)
  if not reply then return nil, err end
  return result(session, token, "reject", reply)
end

--- The answer that ends the session with a 421 or 5yz reply (as reject).
function M.disconnect(session, token, code, ...)
  check_ids(session, token, "disconnect")
  local reply, err = reply_line("disconnect", "421 or 5yz",
    function(c) return c == 421 or c >= 500 end, code, ...)
  if not reply then return nil, err end
  return result(session, token, "disconnect", reply)
end

-- Why s may not go on a protocol line, or nil.
local function bad_field(s, what)
  if s == "" then return what .. " is empty" end
  local at = find(s, "[%z\1-\31\127]")
  if at then
    return format("%s holds a control character (%s) at byte %d", what, quote(sub(s, at, at)), at)
  end
  if #s > 4096 then return what .. " is longer than 4096 bytes" end
  return nil
end

--- The answer that rewrites the command's parameter (an address, a HELO
-- name).
-- @treturn string the line; or nil and why (an empty parameter, a control
--   character)
function M.rewrite(session, token, parameter)
  check_ids(session, token, "rewrite")
  checktype(parameter, 3, "rewrite", "string")
  local why = bad_field(parameter, "the parameter")
  if why then return nil, "rewrite: refused: " .. why end
  return result(session, token, "rewrite", parameter)
end

--- One output line of the data-line phase ("." ends the message).
-- @treturn string the line; or nil and why (a CR, LF or NUL in it)
function M.dataline(session, token, line)
  check_ids(session, token, "dataline")
  checktype(line, 3, "dataline", "string")
  if find(line, "[%z\r\n]") then return nil, "dataline: refused: a CR, LF or NUL in the line" end
  return concat({ "filter-dataline", session, token, line }, "|") .. "\n"
end

--- The registration: what the filter wants, then `register|ready`.
-- @tparam table opts `filters` (a list of phases of smtp-in), `reports` (a
--   list of events of smtp-in), `subsystem` for the reports (default
--   "smtp-in"; "smtp-out" reports what smtpd's client does)
-- @treturn string the lines to write after `config|ready`
function M.register(opts)
  checktype(opts, 1, "register", "table")
  local out = {}
  for i, phase in ipairs(opts.filters or {}) do
    if not PHASES[phase] then
      argerror(1, "register", format("filters[%d]: unknown phase %s", i, quote(phase)))
    end
    out[#out + 1] = "register|filter|smtp-in|" .. phase .. "\n"
  end
  local subsystem = opts.subsystem or "smtp-in"
  if not SUBSYSTEMS[subsystem] then
    argerror(1, "register", "subsystem must be smtp-in or smtp-out, got " .. quote(subsystem))
  end
  for i, event in ipairs(opts.reports or {}) do
    if not EVENTS[event] then
      argerror(1, "register", format("reports[%d]: unknown event %s", i, quote(event)))
    end
    out[#out + 1] = "register|report|" .. subsystem .. "|" .. event .. "\n"
  end
  out[#out + 1] = "register|ready\n"
  return concat(out)
end

-- protocol-server replies ------------------------------------------------------

local Replies = { __name = "smtpcodes.opensmtpd.Replies" }
Replies.__index = Replies

--- What smtpd answered its clients, as Replies: smtpd reports a multi-line
-- reply one line per `protocol-server` event; this puts each session's lines
-- back together. At most `M.MAX_REPLY_LINES` lines a reply are held per
-- session, and `forget(session)` drops what a session holds (call it on
-- `link-disconnect`).
function M.replies()
  return setmetatable({ held = {}, count = 0 }, Replies)
end

--- Adds one protocol-server event (a table from parse).
-- @return the Reply when this line completes one, nil while it goes on;
--   or nil and a message for a line that is no reply line, or a reply over
--   the bound
function Replies:add(event)
  util.checkself(self, Replies, "add")
  checktype(event, 1, "add", "table")
  local session, line = event.session, event.response
  if type(session) ~= "string" or type(line) ~= "string" then
    argerror(1, "add", "protocol-server event expected")
  end
  local held = self.held[session]
  if not held then
    held = {}
    self.held[session] = held
    self.count = self.count + 1
  end
  if self.count > M.MAX_SESSIONS then
    -- more sessions in the middle of a reply than smtpd ever has: start over
    self.held, self.count = { [session] = held }, 1
  end
  held[#held + 1] = line
  local more = find(line, "^%d%d%d%-") ~= nil
  if more and #held < M.MAX_REPLY_LINES then return nil end
  self:forget(session)
  if more then
    return nil, format("session %s: a reply of more than %d lines", session, M.MAX_REPLY_LINES)
  end
  local reply, err = parse_reply(concat(held, "\r\n") .. "\r\n")
  if not reply then return nil, "session " .. session .. ": " .. err end
  return reply
end

--- Drops the lines a session holds.
function Replies:forget(session)
  util.checkself(self, Replies, "forget")
  if self.held[session] then
    self.held[session] = nil
    self.count = self.count - 1
  end
end

-- The filter runner -------------------------------------------------------------

local Filter = { __name = "smtpcodes.opensmtpd.Filter" }
Filter.__index = Filter
M.Filter = Filter

local Request = { __name = "smtpcodes.opensmtpd.Request" }
Request.__index = Request
M.Request = Request

--- request:proceed(), :junk(), :reject(code [, enhanced] [, text]),
-- :disconnect(...), :rewrite(parameter): the answer to this request, as
-- the module's functions of the same names build it.
function Request:proceed() return M.proceed(self.session, self.token) end
function Request:junk() return M.junk(self.session, self.token) end
function Request:reject(...) return M.reject(self.session, self.token, ...) end
function Request:disconnect(...) return M.disconnect(self.session, self.token, ...) end
function Request:rewrite(p) return M.rewrite(self.session, self.token, p) end

--- A filter: handlers for filter phases and report events, and the loop
-- that runs them.
-- @tparam[opt] table opts `input` (an object with read, default
--   io.stdin), `output` (write and flush, default io.stdout), `log` (write,
--   default io.stderr; smtpd puts a filter's standard error in its log),
--   `on_error`: what a request gets when its handler raises or gives no
--   answer: "tempfail" (the default: `451 4.3.0` and the session goes on,
--   so the client retries) or "proceed"
function M.filter(opts)
  if opts ~= nil then checktype(opts, 1, "filter", "table") end
  opts = opts or {}
  local on_error = opts.on_error or "tempfail"
  if on_error ~= "tempfail" and on_error ~= "proceed" then
    argerror(1, "filter", "opts.on_error must be \"tempfail\" or \"proceed\"")
  end
  return setmetatable({ input = opts.input, output = opts.output, log = opts.log,
    on_error = on_error, phases = {}, events = {}, config = {}, ready = false,
    replies = M.replies() }, Filter)
end

--- Handles a filter phase: `fn(request)` returns the answer, built by the
-- request's methods (`return request:reject(550, "5.1.1", "No such user")`).
-- For data-line, fn returns nil to pass the line on, a string to put
-- another in its place, or a list of lines (none drops it).
-- @treturn Filter self
function Filter:on(phase, fn)
  util.checkself(self, Filter, "on")
  checktype(phase, 1, "on", "string")
  checktype(fn, 2, "on", "function")
  if not PHASES[phase] then argerror(1, "on", "unknown filter phase " .. quote(phase)) end
  self.phases[phase] = fn
  return self
end

--- Handles a report event: `fn(event)`. For protocol-server, fn is called
-- once per reply, when its last line comes, with `event.reply` (a Reply)
-- or `event.err`.
-- @treturn Filter self
function Filter:report(event, fn)
  util.checkself(self, Filter, "report")
  checktype(event, 1, "report", "string")
  checktype(fn, 2, "report", "function")
  if not EVENTS[event] then argerror(1, "report", "unknown report event " .. quote(event)) end
  self.events[event] = fn
  return self
end

function Filter:_log(...)
  local log = self.log or io.stderr
  pcall(log.write, log, "smtpcodes.opensmtpd: ", concat({ ... }), "\n")
end

function Filter:_write(s)
  local out = self.output or io.stdout
  local ok, err = out:write(s)
  if not ok then return nil, err end
  if out.flush then out:flush() end
  return true
end

-- The answer to a request whose handler failed.
function Filter:_fallback(msg)
  if self.on_error == "proceed" then return M.proceed(msg.session, msg.token) end
  return (M.reject(msg.session, msg.token, 451, "4.3.0", "Filter error, try again later"))
end

--- The lines to write for the registration of this filter's handlers (a
-- protocol-server handler also subscribes to link-disconnect, to free what
-- a session holds).
function Filter:registration()
  util.checkself(self, Filter, "registration")
  local filters, reports = {}, {}
  for phase in pairs(self.phases) do filters[#filters + 1] = phase end
  for event in pairs(self.events) do reports[#reports + 1] = event end
  if self.events["protocol-server"] and not self.events["link-disconnect"] then
    reports[#reports + 1] = "link-disconnect"
  end
  sort(filters)
  sort(reports)
  return M.register({ filters = filters, reports = reports })
end

-- Calls a handler: its results, or nil and the error it raised.
local function call(fn, arg)
  local res = { pcall(fn, arg) }
  if not res[1] then return nil, tostring(res[2]) end
  return res[2], res[3]
end

--- Handles one line from smtpd: reads it, calls the handler, writes the
-- answer. A malformed line is logged and skipped (a filter request that
-- cannot be read cannot be answered; smtpd sends none such).
-- @return true; or nil and an error writing the answer
function Filter:handle(line)
  util.checkself(self, Filter, "handle")
  checktype(line, 1, "handle", "string")
  local msg, err = M.parse(line)
  if not msg then
    self:_log("ignored a line from smtpd: ", err)
    return true
  end
  if msg.type == "config" then
    if msg.key == "ready" then
      self.ready = true
      return self:_write(self:registration())
    end
    self.config[msg.key] = msg.value
    return true
  end
  if msg.type == "report" then
    local fn = self.events[msg.event]
    if msg.event == "protocol-server" then
      if type(msg.response) ~= "string" then
        msg.err = "protocol-server event without a response"
      else
        local reply, rerr = self.replies:add(msg)
        if not reply and not rerr then return true end
        msg.reply, msg.err = reply, rerr
      end
    elseif msg.event == "link-disconnect" then
      self.replies:forget(msg.session)
    end
    if fn then
      local _, ferr = call(fn, msg)
      if ferr then self:_log(msg.event, " handler: ", ferr) end
    end
    return true
  end
  -- a filter request: always answered
  local fn = self.phases[msg.phase]
  setmetatable(msg, Request)
  if msg.phase == "data-line" then
    local out = msg.line
    if fn then
      local got, ferr = call(fn, msg)
      if ferr then self:_log("data-line handler: ", ferr) end
      if type(got) == "string" or type(got) == "table" then out = got end
    end
    if type(out) ~= "table" then out = { out } end
    local lines, last = {}, nil
    for _, l in ipairs(out) do
      local dl, derr = nil, "the handler gave a " .. type(l)
      if type(l) == "string" then dl, derr = M.dataline(msg.session, msg.token, l) end
      if dl then
        lines[#lines + 1], last = dl, l
      else
        self:_log("data-line: ", derr)
      end
    end
    -- the message ends with ".", whatever the handler gave for it
    if msg.line == "." and last ~= "." then
      lines[#lines + 1] = M.dataline(msg.session, msg.token, ".")
    end
    return self:_write(concat(lines))
  end
  local answer, why
  if fn then
    answer, why = call(fn, msg)
    if type(answer) ~= "string" or not find(answer, "^filter%-result|") then
      self:_log(msg.phase, " handler gave no answer", why and ": " .. why or "")
      answer = nil
    end
  end
  answer = answer or (fn and self:_fallback(msg)) or M.proceed(msg.session, msg.token)
  return self:_write(answer)
end

--- Runs the filter: reads smtpd's lines until the input ends, handling each.
-- @return true when the input ends; or nil and an error of the input or output
function Filter:run()
  util.checkself(self, Filter, "run")
  local input = self.input or io.stdin
  while true do
    local line, err = input:read("*l")
    if not line then
      if err then return nil, err end
      return true
    end
    local ok, werr = self:handle(line)
    if not ok then return nil, werr end
  end
end

return M
