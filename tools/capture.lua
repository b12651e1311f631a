-- tools/capture.lua HOST PORT OUT [COMMAND ...]
--
-- Records the raw bytes an SMTP server sends, for spec fixtures: connects,
-- waits for the greeting, then sends each COMMAND (with CRLF) and waits for
-- the answer. A COMMAND of "." sends a small message body ending with the
-- final dot, ".big" a body of about 20 KB. Bytes are read until the server
-- stays quiet for a moment, so the file holds exactly what came over the
-- wire, pipelined or not.
-- Needs LuaSocket (Debian: lua-socket).
local socket = require("socket")

local host, port, out = arg[1], tonumber(arg[2]), arg[3]
if not (host and port and out) then
  io.stderr:write("usage: lua5.4 tools/capture.lua HOST PORT OUT [COMMAND ...]\n")
  os.exit(2)
end

local sock = assert(socket.connect(host, port))
local bytes = {}

local function drain()
  local deadline = socket.gettime() + 5
  local got_any = false
  while socket.gettime() < deadline do
    sock:settimeout(got_any and 0.3 or 5)
    local data, err, partial = sock:receive(8192)
    data = data or partial
    if data and data ~= "" then
      bytes[#bytes + 1] = data
      got_any = true
    end
    if err == "closed" then return false end
    if err == "timeout" and got_any then return true end
  end
  return true
end

local open = drain()
for i = 4, #arg do
  if not open then break end
  local cmd = arg[i]
  if cmd == "." then
    sock:send("Subject: fixture\r\n\r\nA message for a fixture.\r\n.\r\n")
  elseif cmd == ".big" then
    sock:send("Subject: big fixture\r\n\r\n" .. (("x"):rep(78) .. "\r\n"):rep(256) .. ".\r\n")
  else
    sock:send(cmd .. "\r\n")
  end
  open = drain()
end
sock:close()
local f = assert(io.open(out, "wb"))
f:write(table.concat(bytes))
f:close()
