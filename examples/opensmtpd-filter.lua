-- examples/opensmtpd-filter.lua [--delay SECONDS]
--
-- An OpenSMTPD filter (smtpd-filters(7)), run by smtpd itself:
--
--   filter "lua" proc-exec "/usr/bin/lua5.4 /path/to/examples/opensmtpd-filter.lua"
--   listen on 0.0.0.0 filter "lua"
--
-- It
--   - rejects a recipient whose local part starts with "unknown" (550 5.1.1);
--   - greylists a sender whose local part starts with "grey": the first
--     RCPT of a (client, sender, recipient) gets 451 4.7.1, and the same one
--     is accepted when it comes back after --delay seconds (default 60);
--   - writes every reply that smtpd sends its clients, with its bounce
--     reason, to standard error (smtpd writes that to its log).
-- Every reply it sends is built by smtpcodes (one line, never a CR or LF
-- from a client's address), and no line from smtpd can stop it.
local opensmtpd = require("smtpcodes.opensmtpd")
local smtpcodes = require("smtpcodes")

local delay = 60
do
  local i = 1
  while i <= #arg do
    if arg[i] == "--delay" and tonumber(arg[i + 1]) and tonumber(arg[i + 1]) >= 0 then
      delay = tonumber(arg[i + 1])
      i = i + 2
    else
      io.stderr:write("usage: opensmtpd-filter.lua [--delay SECONDS]\n")
      os.exit(2)
    end
  end
end

local clients, senders = {}, {} -- by session: the client's address, the sender
local first_seen, pending = {}, 0 -- greylist: triplet --> time of its first try
local MAX_PENDING = 100000

-- The local part of an address as the client wrote it ("<a@b> SIZE=10").
local function local_part(address)
  local addr = (address or ""):match("^%s*<?([^>%s]*)") or ""
  return (addr:match("^(.-)@") or addr):lower(), addr
end

local function log(...)
  io.stderr:write(table.concat({ ... }, " "), "\n")
end

local filter = opensmtpd.filter()

filter:report("link-connect", function(event)
  -- src: "192.0.2.1:54321", "[2001:db8::1]:54321" or "unix:/path"
  clients[event.session] = (event.src or ""):match("^(.*):%d+$") or event.src
end)

filter:report("link-disconnect", function(event)
  clients[event.session], senders[event.session] = nil, nil
end)

filter:on("mail-from", function(request)
  local _, addr = local_part(request.address)
  senders[request.session] = addr
  return request:proceed()
end)

filter:on("rcpt-to", function(request)
  local user, rcpt = local_part(request.address)
  if user:find("^unknown") then
    -- the address is the client's text: if it cannot go in a reply, the
    -- reply goes without it
    return request:reject(550, "5.1.1", "<" .. rcpt .. ">: Recipient address rejected: "
      .. "User unknown") or request:reject(550, "5.1.1", "Recipient address rejected: User unknown")
  end
  local sender = senders[request.session] or ""
  if local_part(sender):find("^grey") then
    local key = table.concat({ clients[request.session] or "?", sender, rcpt }, "\0")
    local now = os.time()
    if not first_seen[key] then
      if pending >= MAX_PENDING then first_seen, pending = {}, 0 end
      first_seen[key], pending = now, pending + 1
    end
    if now - first_seen[key] < delay then
      return request:reject(451, "4.7.1", ("Greylisted, please try again in %d seconds")
        :format(delay - (now - first_seen[key])))
    end
  end
  return request:proceed()
end)

filter:report("protocol-server", function(event)
  local reply = event.reply
  if not reply then
    log(event.session, "unreadable reply:", event.err)
    return
  end
  local reason, kind = smtpcodes.reason(reply)
  log(event.session, "reply", reply.code, reply.enhanced or "-", reason or "-", kind or "-",
    (reply.text:gsub("\n", " / ")))
end)

local ok, err = filter:run()
if not ok then
  log("stopped:", err)
  os.exit(1)
end
