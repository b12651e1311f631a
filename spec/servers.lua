-- Helpers of the specs that start servers on loopback: a free port, a
-- command started in the background, waiting for its port, stopping it.
local socket = require("socket")
local support = require("spec.support")

local M = {}

-- A TCP port of 127.0.0.1 that nothing listens on now.
function M.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return port
end

-- Starts a command in the background, its output in the file log; returns
-- its pid.
function M.spawn(cmd, log)
  local p = assert(io.popen(("%s >%s 2>&1 & echo $!"):format(cmd, log)))
  local pid = tonumber(p:read("*l"))
  p:close()
  return assert(pid, "no pid for: " .. cmd)
end

-- Waits until something listens on port (5 seconds at most); raises with
-- the log's text when nothing does.
function M.wait_port(port, log)
  for _ = 1, 100 do
    local c = socket.connect("127.0.0.1", port)
    if c then
      c:close()
      return
    end
    socket.sleep(0.05)
  end
  local h = io.open(log, "rb")
  error("server did not start on port " .. port .. ":\n" .. (h and h:read("*a") or "(no log)"))
end

-- Stops a server and waits until it is gone (smtpd's control socket is the
-- machine's: the next smtpd must not find this one still listening).
function M.stop(pid)
  if not pid then return end
  support.execute(("kill %d 2>/dev/null"):format(pid))
  for _ = 1, 60 do
    if not support.execute(("kill -0 %d 2>/dev/null"):format(pid)) then return end
    socket.sleep(0.05)
  end
  support.execute(("kill -9 %d 2>/dev/null"):format(pid))
end

return M
