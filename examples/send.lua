-- examples/send.lua [--lmtp] HOST PORT FROM TO [TO ...] < message
--
-- A small SMTP (or, with --lmtp, LMTP: RFC 2033) client on LuaSocket that
-- delivers the message on standard input. Every reply is read with reader:receive and decided with
-- smtpcodes.decide. It uses the EHLO capabilities (checks SIZE before
-- sending, pipelines MAIL, RCPT and DATA when PIPELINING is offered), falls
-- back to HELO when EHLO is refused, dot-stuffs the body, and prints one line
-- per recipient. Over LMTP it greets with LHLO and reads, after the final
-- dot, one reply per accepted recipient, in order, each decided under the
-- rfc2033 profile:
--
--   RECIPIENT ACTION CODE ENHANCED REASON      ("-" where there is none)
--
-- Exit status: 0 when every recipient was accepted, 75 when some were
-- deferred and none failed, 67 when a recipient is unknown, 1 for any other
-- failure (as sysexits.h: EX_TEMPFAIL, EX_NOUSER).
local socket = require("socket")
local smtpcodes = require("smtpcodes")

local args = {}
local lmtp = false
for i = 1, #arg do
  if arg[i] == "--lmtp" then lmtp = true else args[#args + 1] = arg[i] end
end
local host, port, from = args[1], tonumber(args[2]), args[3]
local recipients = {}
for i = 4, #args do recipients[#recipients + 1] = args[i] end
if not (host and port and from and #recipients > 0) then
  io.stderr:write("usage: lua examples/send.lua [--lmtp] HOST PORT FROM TO [TO ...] < message\n")
  os.exit(64)
end
-- what each reply answers: a command of the LMTP profile, or a name (SMTP)
local function command(name)
  return lmtp and smtpcodes.command(name, "rfc2033") or name
end

local EX_OK, EX_FAIL, EX_NOUSER, EX_TEMPFAIL = 0, 1, 67, 75

-- The message, with CRLF line ends and dot-stuffing (RFC 5321 4.5.2).
local function message_data(text)
  local lines = {}
  for line in (text:gsub("\r\n", "\n"):gsub("\n$", "") .. "\n"):gmatch("(.-)\n") do
    if line:sub(1, 1) == "." then line = "." .. line end
    lines[#lines + 1] = line
  end
  return table.concat(lines, "\r\n") .. "\r\n.\r\n"
end

local body = io.read("*a")
local data = message_data(body)

-- The outcome of each recipient: { action, code, enhanced, reason }.
local outcome = {}
local function settle(to, action, info)
  outcome[to] = { action, info.code or "-", info.enhanced or "-", info.reason or "-" }
end
local function settle_all(action, info, only_open)
  for _, to in ipairs(recipients) do
    if not only_open or outcome[to] == nil or outcome[to][1] == "ok" then
      settle(to, action, info)
    end
  end
end

local function report()
  local status, deferred, failed, unknown = EX_OK, false, false, false
  for _, to in ipairs(recipients) do
    local o = outcome[to] or { "retry", "-", "-", "network" }
    print(("%s %s %s %s %s"):format(to, o[1], o[2], o[3], o[4]))
    local temporary = o[2] == "-" or tonumber(o[2]) < 500
    if o[1] == "retry" or (o[1] == "close" and temporary and o[4] ~= "user_unknown") then
      deferred = true
    elseif o[1] ~= "ok" then
      failed = true
      unknown = unknown or o[4] == "user_unknown"
    end
  end
  if unknown then
    status = EX_NOUSER
  elseif failed then
    status = EX_FAIL
  elseif deferred then
    status = EX_TEMPFAIL
  end
  os.exit(status)
end

local sock, err = socket.connect(host, port)
if not sock then
  io.stderr:write("send.lua: cannot connect to ", host, ":", port, ": ", err, "\n")
  settle_all("retry", { reason = "network" })
  report()
end
sock:settimeout(60)
local reader = smtpcodes.reader()

-- Reads the reply to `name` and decides it.
local function answer(name)
  local reply, rerr = reader:receive(sock)
  if not reply then
    -- RFC 5321 3.8: a connection lost mid-transaction counts as 451
    return "close", { code = "-", reason = "network", rule = rerr }
  end
  local action, info = smtpcodes.decide(command(name), reply)
  return action, info, reply
end

local function send(line)
  local ok, serr = sock:send(line)
  if not ok then io.stderr:write("send.lua: ", serr, "\n") end
  return ok
end

local function finish(quit)
  if quit then
    send("QUIT\r\n")
    answer("QUIT")
  end
  sock:close()
  report()
end

-- greeting, EHLO (or HELO)
local action, info = answer("CONNECT")
if action ~= "ok" then
  settle_all(action, info)
  finish(action ~= "close")
end
local greeting = lmtp and "LHLO" or "EHLO"
send(greeting .. " client.example\r\n")
local reply
action, info, reply = answer(greeting)
local caps = {}
if action == "fail" and info.fallback then
  send("HELO client.example\r\n")
  action, info = answer("HELO")
elseif action == "ok" then
  caps = smtpcodes.capabilities(reply) or {}
end
if action ~= "ok" then
  settle_all(action, info)
  finish(action ~= "close")
end

-- SIZE: refuse here what the server has said it will refuse (RFC 1870)
if caps.SIZE and caps.SIZE > 0 and #data > caps.SIZE then
  settle_all("fail", { code = "-", enhanced = "-", reason = "message_too_big" })
  finish(true)
end

local mail = ("MAIL FROM:<%s>%s\r\n"):format(from, caps.SIZE and " SIZE=" .. #data or "")
local rcpts = {}
for i, to in ipairs(recipients) do rcpts[i] = ("RCPT TO:<%s>\r\n"):format(to) end

local accepted, accepted_list = 0, {}
local function on_mail(a, i)
  if a ~= "ok" then settle_all(a, i) end
  return a == "ok"
end
local function on_rcpt(to, a, i)
  settle(to, a, i)
  if a == "ok" then
    accepted = accepted + 1
    accepted_list[accepted] = to
  end
  return a ~= "close"
end

local data_action, data_info
if caps.PIPELINING then
  -- RFC 2920: MAIL, every RCPT and DATA in one write, then the replies in order
  send(mail .. table.concat(rcpts) .. "DATA\r\n")
  local mail_ok = on_mail(answer("MAIL"))
  for _, to in ipairs(recipients) do
    local a, i = answer("RCPT")
    if mail_ok then on_rcpt(to, a, i) end
  end
  data_action, data_info = answer("DATA")
  if not mail_ok then finish(true) end
else
  send(mail)
  if not on_mail(answer("MAIL")) then finish(true) end
  for i, to in ipairs(recipients) do
    send(rcpts[i])
    local a, inf = answer("RCPT")
    if not on_rcpt(to, a, inf) then finish(false) end
  end
  if accepted == 0 then finish(true) end
  send("DATA\r\n")
  data_action, data_info = answer("DATA")
end

if data_action == "continue" then
  if accepted == 0 then
    -- RFC 2920: the server took DATA although no recipient was accepted
    send(".\r\n")
    answer("DATA_END")
    finish(true)
  end
  send(data)
  if lmtp then
    -- RFC 2033 4.2: one reply per accepted recipient, in RCPT order
    local open = true
    for _, to in ipairs(accepted_list) do
      local a, i = answer("DATA_END")
      settle(to, a, i)
      open = open and a ~= "close"
    end
    finish(open)
  end
  local a, i = answer("DATA_END")
  settle_all(a, i, true)
  finish(a ~= "close")
end
if accepted > 0 then settle_all(data_action, data_info, true) end
finish(data_action ~= "close")
