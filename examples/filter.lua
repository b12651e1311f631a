-- examples/filter.lua --port N --dir DIR [--host ADDR] [--max-size BYTES]
--                     [--timeout SECONDS] [--max-clients N]
--
-- A small SMTP server on LuaSocket, in the shape of a Lua mail filter. It
-- answers every command with smtpcodes.format, and:
--   - refuses recipients whose local part starts with "unknown" (550 5.1.1),
--   - defers those whose local part starts with "full" (452 4.2.2),
--   - accepts the rest and stores each accepted message under DIR, as
--     NAME.eml (the message) and NAME.env (the envelope: "from ADDR", then
--     one "to ADDR" line per recipient),
--   - answers bad commands (500 5.5.2), bad arguments (501), bad sequences
--     (503 5.5.1), commands it does not implement (502 5.5.1) and over-long
--     lines (500 5.5.6) with the codes RFC 5321 and RFC 3463 give them.
-- It serves clients one after another and never lets one client's input
-- stop it. Lines are read with a bound: a client cannot make it buffer more
-- than a line's limit.
local socket = require("socket")
local smtpcodes = require("smtpcodes")

local format = smtpcodes.format

------------------------------------------------------------------ options

local function usage(msg)
  io.stderr:write("filter.lua: ", msg, "\n",
    "usage: lua5.4 examples/filter.lua --port N --dir DIR [--host ADDR] [--max-size BYTES]\n",
    "                                  [--timeout SECONDS] [--max-clients N]\n")
  os.exit(2)
end

local opts = { host = "127.0.0.1", max_size = 10 * 1024 * 1024, timeout = 300 }
do
  local i = 1
  while i <= #arg do
    local name, value = arg[i], arg[i + 1]
    local key = ({ ["--port"] = "port", ["--dir"] = "dir", ["--host"] = "host",
      ["--max-size"] = "max_size", ["--timeout"] = "timeout",
      ["--max-clients"] = "max_clients" })[name]
    if not key then usage("unknown option " .. tostring(name)) end
    if value == nil then usage(name .. " needs a value") end
    if key ~= "dir" and key ~= "host" then
      value = tonumber(value)
      value = value and value == math.floor(value) and value or nil
      if not value or value < 0 then usage(name .. " needs a whole number") end
    end
    opts[key] = value
    i = i + 2
  end
  if not opts.port then usage("--port is required") end
  if not opts.dir then usage("--dir is required") end
end

local HOSTNAME = "filter.example"
local COMMAND_LINE = 512 -- RFC 5321 4.5.3.1.4, with CRLF
local TEXT_LINE = 1000   -- RFC 5321 4.5.3.1.6, with CRLF
local MAX_RECIPIENTS = 100

---------------------------------------------------------- bounded reading

-- A connection: the socket and the bytes read but not yet used.
local function connection(sock)
  sock:settimeout(0)
  return { sock = sock, buf = "", open = true }
end

-- Reads more bytes into conn.buf; nil and "timeout" or "closed" when none come.
local function fill(conn)
  local ready = socket.select({ conn.sock }, nil, opts.timeout)
  if #ready == 0 then return nil, "timeout" end
  local data, err, partial = conn.sock:receive(4096)
  data = data or partial
  if data and data ~= "" then
    conn.buf = conn.buf .. data
    return true
  end
  return nil, err or "closed"
end

-- The next line without its line end; or nil, "too long" when it exceeds
-- `limit` octets with its CRLF (the rest of it is read and dropped); or nil
-- and the socket's error.
local function read_line(conn, limit)
  local dropping = false
  while true do
    local nl = conn.buf:find("\n", 1, true)
    if nl then
      local line = conn.buf:sub(1, nl - 1)
      conn.buf = conn.buf:sub(nl + 1)
      if dropping or #line + 1 > limit then return nil, "too long" end
      return (line:gsub("\r$", ""))
    end
    if #conn.buf > limit then
      conn.buf = ""
      dropping = true
    end
    local ok, err = fill(conn)
    if not ok then return nil, err end
  end
end

local function send(conn, wire)
  local ok, err = conn.sock:send(wire)
  if not ok then conn.open = false end
  return ok, err
end

------------------------------------------------------------------ commands

local counter = 0

-- Stores a message and its envelope; returns the name it was stored under.
local function store(from, recipients, lines)
  counter = counter + 1
  local ms = math.floor(socket.gettime() * 1000 % 1000)
  local name = ("msg-%d-%d-%d"):format(os.time(), ms, counter)
  local base = opts.dir .. "/" .. name
  local f = assert(io.open(base .. ".eml", "wb"))
  for _, line in ipairs(lines) do f:write(line, "\r\n") end
  f:close()
  f = assert(io.open(base .. ".env", "wb"))
  f:write("from ", from, "\n")
  for _, to in ipairs(recipients) do f:write("to ", to, "\n") end
  f:close()
  return name
end

-- The address of "MAIL FROM:<addr> params" or "RCPT TO:<addr> params", and
-- the parameters; nil when the syntax is wrong.
local function path_of(args, keyword)
  local rest = args:match("^" .. keyword .. ":%s*(.*)$")
  if not rest then return nil end
  local addr, params = rest:match("^<([^<>%s]*)>%s*(.*)$")
  if not addr then return nil end
  if addr ~= "" and not addr:find("^[^@]+@[^@]+$") and not addr:find("^[%w._%-+]+$") then
    return nil
  end
  return addr, params
end

-- Reads the message after 354; returns the reply to send.
local function receive_data(conn, state)
  local lines, size, too_long, too_big = {}, 0, false, false
  while true do
    local line, err = read_line(conn, TEXT_LINE)
    if not line then
      if err ~= "too long" then return nil, err end
      too_long = true
    elseif line == "." then
      break
    else
      if line:sub(1, 1) == "." then line = line:sub(2) end -- RFC 5321 4.5.2
      size = size + #line + 2
      if size > opts.max_size then too_big = true end
      if not too_big and not too_long then lines[#lines + 1] = line end
    end
  end
  if too_big then
    return format(552, "5.3.4", "Message size exceeds the limit of " .. opts.max_size .. " octets")
  end
  if too_long then
    return format(500, "5.5.6", "Message has a line over 1000 octets (RFC 5321 4.5.3.1.6)")
  end
  local name = store(state.from, state.recipients, lines)
  return format(250, "2.0.0", "Ok: queued as " .. name)
end

local NOT_IMPLEMENTED = { SEND = 1, SOML = 1, SAML = 1, TURN = 1, EXPN = 1, ETRN = 1, ATRN = 1,
  AUTH = 1, STARTTLS = 1, BDAT = 1, BURL = 1 }

-- One command line; returns the reply, and true when the session ends.
local function command(conn, state, line)
  local verb, args = line:match("^(%a+)%s?(.*)$")
  verb = verb and verb:upper()
  if not verb then
    return format(500, "5.5.2", "Syntax error, command unrecognized")
  end
  if verb == "EHLO" or verb == "HELO" then
    if not args:find("^%S+$") then
      return format(501, "5.5.4", "Syntax: " .. verb .. " hostname")
    end
    state.greeted, state.from, state.recipients = true, nil, {}
    if verb == "HELO" then return format(250, HOSTNAME) end
    return format(250, { HOSTNAME .. " greets " .. args, "PIPELINING", "SIZE " .. opts.max_size,
      "8BITMIME", "ENHANCEDSTATUSCODES" })
  elseif verb == "MAIL" then
    if not state.greeted then return format(503, "5.5.1", "Send EHLO or HELO first") end
    if state.from then return format(503, "5.5.1", "Nested MAIL command") end
    local addr, params = path_of(args, "[Ff][Rr][Oo][Mm]")
    if not addr then return format(501, "5.1.7", "Bad sender address syntax") end
    local size = params:match("[Ss][Ii][Zz][Ee]=(%d+)")
    if size and tonumber(size) > opts.max_size then
      return format(552, "5.3.4", "Message size exceeds fixed maximum message size")
    end
    state.from, state.recipients = addr, {}
    return format(250, "2.1.0", "Sender ok")
  elseif verb == "RCPT" then
    if not state.from then return format(503, "5.5.1", "Need MAIL before RCPT") end
    local addr = path_of(args, "[Tt][Oo]")
    if not addr or addr == "" then
      return format(501, "5.1.3", "Bad recipient address syntax")
    end
    local user = addr:match("^([^@]*)"):lower()
    if user:find("^unknown") then
      return format(550, "5.1.1", "<" .. addr .. ">: No such user here")
    elseif user:find("^full") then
      return format(452, "4.2.2", "<" .. addr .. ">: Mailbox full, try again later")
    elseif #state.recipients >= MAX_RECIPIENTS then
      return format(452, "4.5.3", "Too many recipients")
    end
    state.recipients[#state.recipients + 1] = addr
    return format(250, "2.1.5", "Recipient ok")
  elseif verb == "DATA" then
    if args ~= "" then return format(501, "5.5.4", "DATA takes no arguments") end
    if not state.from then return format(503, "5.5.1", "Need MAIL before DATA") end
    if #state.recipients == 0 then return format(554, "5.5.1", "No valid recipients") end
    if not send(conn, format(354, "End data with <CR><LF>.<CR><LF>")) then return nil, true end
    local reply, err = receive_data(conn, state)
    if not reply then return nil, true, err end
    state.from, state.recipients = nil, {}
    return reply
  elseif verb == "RSET" then
    if args ~= "" then return format(501, "5.5.4", "RSET takes no arguments") end
    state.from, state.recipients = nil, {}
    return format(250, "2.0.0", "Ok")
  elseif verb == "NOOP" then
    return format(250, "2.0.0", "Ok")
  elseif verb == "VRFY" then
    return format(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery")
  elseif verb == "HELP" then
    return format(214, "2.0.0", { "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT",
      "smtpcodes example filter" })
  elseif verb == "QUIT" then
    return format(221, "2.0.0", HOSTNAME .. " closing connection"), true
  elseif NOT_IMPLEMENTED[verb] then
    return format(502, "5.5.1", verb .. " not implemented")
  end
  return format(500, "5.5.2", "Syntax error, command unrecognized")
end

local function session(sock)
  local conn = connection(sock)
  local state = { greeted = false, recipients = {} }
  send(conn, format(220, HOSTNAME .. " ESMTP smtpcodes example filter"))
  while conn.open do
    local line, err = read_line(conn, COMMAND_LINE)
    local reply, done
    if line then
      reply, done = command(conn, state, line)
    elseif err == "too long" then
      reply = format(500, "5.5.6", "Line too long (RFC 5321 4.5.3.1.4)")
    elseif err == "timeout" then
      reply, done = format(421, "4.4.2", HOSTNAME .. " Timeout, closing connection"), true
    else
      break
    end
    if reply then send(conn, reply) end
    if done then break end
  end
  sock:close()
end

------------------------------------------------------------------- serve

local server = assert(socket.bind(opts.host, opts.port))
local served = 0
while not opts.max_clients or served < opts.max_clients do
  local sock = server:accept()
  if sock then
    served = served + 1
    local ok, err = pcall(session, sock)
    if not ok then
      io.stderr:write("filter.lua: client dropped: ", tostring(err), "\n")
      pcall(sock.close, sock)
    end
  end
end
server:close()
