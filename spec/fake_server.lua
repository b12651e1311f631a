-- spec/fake_server.lua PORTFILE: a tiny scripted SMTP server for the README
-- examples. Listens on a free loopback port (written to PORTFILE), serves
-- one client, then exits. Recipients whose local part starts with
-- "unknown" are refused with 550 5.1.1.
local socket = require("socket")

local server = assert(socket.bind("127.0.0.1", 0))
local _, port = server:getsockname()
local f = assert(io.open(arg[1], "w"))
f:write(port, "\n")
f:close()
server:settimeout(10)
local c = server:accept()
if not c then os.exit(1) end
c:settimeout(10)
local function send(s) c:send(s) end
send("220 fake.example ESMTP ready\r\n")
while true do
  local line = c:receive()
  if not line then break end
  local verb = line:match("^(%a+)") or ""
  verb = verb:upper()
  if verb == "EHLO" then
    send("250-fake.example greets you\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n"
      .. "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n")
  elseif verb == "MAIL" then
    send("250 2.1.0 Sender ok\r\n")
  elseif verb == "RCPT" then
    if line:find("<unknown", 1, true) then
      send("550-5.1.1 No such user here.\r\n550 5.1.1 Check the address.\r\n")
    else
      send("250 2.1.5 Recipient ok\r\n")
    end
  elseif verb == "DATA" then
    send("354 End data with <CR><LF>.<CR><LF>\r\n")
    repeat line = c:receive() until line == "." or line == nil
    send("250 2.0.0 Ok: queued\r\n")
  elseif verb == "QUIT" then
    send("221 2.0.0 Bye\r\n")
    break
  else
    send("502 5.5.1 Command not implemented\r\n")
  end
end
c:close()
