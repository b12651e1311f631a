-- examples/policy.lua --port N [--host ADDR]
--
-- A Postfix policy service (SMTPD_POLICY_README) on LuaSocket:
--
--   smtpd_recipient_restrictions = ..., reject_unauth_destination,
--       check_policy_service inet:127.0.0.1:N
--
-- For each request it
--   - rejects a recipient whose local part starts with "unknown" (550 5.1.1);
--   - defers one whose local part starts with "full" (452 4.2.2);
--   - answers DUNNO to anything else (the next restriction decides).
-- It serves many requests on one connection and many connections at once
-- (Postfix keeps one per smtpd process), each read with a bound. A
-- malformed request is logged and its connection closed without an answer,
-- as the protocol asks (Postfix then retries); the service goes on.
local socket = require("socket")
local postfix = require("smtpcodes.postfix")

local host, port = "127.0.0.1", nil
do
  local i = 1
  while i <= #arg do
    local name, value = arg[i], arg[i + 1]
    if name == "--port" and tonumber(value) then
      port = tonumber(value)
    elseif name == "--host" and value then
      host = value
    else
      io.stderr:write("usage: policy.lua --port N [--host ADDR]\n")
      os.exit(2)
    end
    i = i + 2
  end
  if not port then
    io.stderr:write("usage: policy.lua --port N [--host ADDR]\n")
    os.exit(2)
  end
end

local MAX_CLIENTS = 100
local IDLE = 300 -- seconds: Postfix closes an idle policy connection after 300 s

local function log(...)
  io.stderr:write(table.concat({ ... }, " "), "\n")
  io.stderr:flush()
end

-- The answer to one request.
local function answer(request)
  local recipient = request.recipient or ""
  local user = (recipient:match("^(.-)@") or recipient):lower()
  if request.protocol_state == "RCPT" or request.protocol_state == nil then
    -- (Postfix puts "<recipient>: Recipient address rejected: " before the text)
    if user:find("^unknown") then
      return postfix.reply(550, "5.1.1", "User unknown")
    elseif user:find("^full") then
      return postfix.reply(452, "4.2.2", "Mailbox full, please try again later")
    end
  end
  return postfix.dunno()
end

local server = assert(socket.bind(host, port))
server:settimeout(0)
local clients = {} -- socket --> { reader =, seen = }
local watch = { server }

local function drop(c, why)
  if why then log("closing a connection:", why) end
  c:close()
  clients[c] = nil
  for i, s in ipairs(watch) do
    if s == c then
      table.remove(watch, i)
      break
    end
  end
end

log("policy service on " .. host .. ":" .. port)
while true do
  local readable = socket.select(watch, nil, 1)
  for _, s in ipairs(readable) do
    if s == server then
      local c = server:accept()
      if c then
        if #watch > MAX_CLIENTS then
          c:close()
        else
          c:settimeout(0)
          clients[c] = { reader = postfix.reader(), seen = os.time() }
          watch[#watch + 1] = c
        end
      end
    elseif clients[s] then
      local state = clients[s]
      local data, err, partial = s:receive(4096)
      data = data or partial
      if data and data ~= "" then
        state.seen = os.time()
        -- on a malformed request: the ones before it are answered, then the
        -- connection is closed
        local requests, rerr, before = state.reader:feed(data)
        local out = {}
        for _, request in ipairs(requests or before) do out[#out + 1] = answer(request) end
        if #out > 0 then
          s:settimeout(5)
          local ok, werr = s:send(table.concat(out))
          s:settimeout(0)
          if not ok then drop(s, "send: " .. tostring(werr)) end
        end
        if rerr and clients[s] then drop(s, rerr) end
      end
      if clients[s] and err == "closed" then drop(s) end
    end
  end
  local now = os.time()
  for c, state in pairs(clients) do
    if now - state.seen > IDLE then drop(c, "idle") end
  end
end
