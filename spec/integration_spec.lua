-- Real SMTP conversations on loopback: examples/send.lua against OpenSMTPD,
-- Dovecot's LMTP server and Postfix; swaks (and a raw socket client) against
-- examples/filter.lua; examples/opensmtpd-filter.lua inside OpenSMTPD and
-- examples/policy.lua behind Postfix, with swaks as the client. Every server
-- is started here on a free port and stopped after its block.
local socket = require("socket")
local sc = require("smtpcodes")
local support = require("spec.support")

local ENV = support.ENV

local servers = require("spec.servers")
local free_port, spawn, wait_port, stop = servers.free_port, servers.spawn, servers.wait_port,
  servers.stop

-- Starts OpenSMTPD in the foreground with a private smtpd.conf in dir:
-- `before` is written before its listen line, `filter` after it (` filter
-- "name"`), and it stores mail for local users in dir/inbox. Returns its pid
-- and its log.
local function start_smtpd(dir, port, before, filter)
  local log, conf = dir .. "/smtpd.log", dir .. "/smtpd.conf"
  local h = assert(io.open(conf, "w"))
  h:write(before, ("listen on 127.0.0.1 port %d hostname opensmtpd.example%s\n"
    .. "action \"store\" mda \"cat >> %s/inbox\"\n"
    .. "match from any for local action \"store\"\n"
    .. "match from any for any reject\n"):format(port, filter or "", dir))
  h:close()
  support.execute("chmod 644 " .. conf)
  local pid = spawn("exec smtpd -d -f " .. conf, log)
  wait_port(port, log)
  return pid, log
end

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(support.execute("mkdir -p " .. dir))
  return dir
end

local function send_lua(port, from, to, message, options)
  local f = os.tmpname()
  local h = assert(io.open(f, "wb"))
  h:write(message)
  h:close()
  local out, err, status = support.run(("%s %s examples/send.lua %s127.0.0.1 %d %s %s < %s")
    :format(ENV, support.LUA, options or "", port, from, table.concat(to, " "), f))
  os.remove(f)
  return out, err, status
end

local MESSAGE = "Subject: integration\r\n\r\nHello from send.lua.\r\n.leading dot\r\n"

-- send.lua refuses a message over the server's advertised SIZE (10 KiB in
-- both configurations) before sending it, and exits 1.
local function refuses_over_size(port, rcpt)
  local big = "Subject: big\r\n\r\n" .. (("x"):rep(78) .. "\r\n"):rep(200)
  local out, _, status = send_lua(port, "sender@example.org", { rcpt }, big)
  assert.are.equal(1, status)
  assert.are.equal(rcpt .. " fail - - message_too_big\n", out)
end

describe("examples/send.lua against OpenSMTPD", function()
  local port, pid, dir

  lazy_setup(function()
    port, dir = free_port(), tmpdir()
    -- OpenSMTPD delivers as the recipient (it never delivers to root): the
    -- local user "nobody" gets the mail, so it must be able to write here
    support.execute("chmod 777 " .. dir)
    pid = start_smtpd(dir, port, "smtp max-message-size 10K\n")
  end)

  lazy_teardown(function()
    stop(pid)
    support.execute("rm -rf " .. dir)
  end)

  it("delivers to a known recipient and exits 0", function()
    local out, err, status = send_lua(port, "sender@example.org", { "nobody@localhost" }, MESSAGE)
    assert.are.equal(0, status, out .. err)
    assert.matches("^nobody@localhost ok 250 2%.0%.0 %-\n$", out)
    local inbox
    for _ = 1, 100 do
      local h = io.open(dir .. "/inbox", "rb")
      inbox = h and h:read("*a")
      if h then h:close() end
      if inbox and inbox:find("Hello from send.lua.", 1, true) then break end
      socket.sleep(0.05)
    end
    assert.matches("Hello from send.lua.", inbox, 1, true)
    assert.matches("\n.leading dot", inbox, 1, true)
    assert.is_nil(inbox:find("\n..leading dot", 1, true))
  end)

  it("reports an unknown recipient and exits 67", function()
    local out, _, status = send_lua(port, "sender@example.org",
      { "nobody@localhost", "nobody-here@localhost" }, MESSAGE)
    assert.are.equal(67, status)
    assert.matches("nobody@localhost ok 250 2.0.0 -\n", out, 1, true)
    assert.matches("nobody-here@localhost fail 550 - user_unknown\n", out, 1, true)
  end)

  it("refuses a message over the advertised SIZE before sending it, and exits 1", function()
    refuses_over_size(port, "nobody@localhost")
  end)
end)

describe("examples/send.lua --lmtp against Dovecot's LMTP server", function()
  local port, pid, dir, log

  lazy_setup(function()
    port, dir = free_port(), tmpdir()
    log = dir .. "/dovecot.log"
    assert(support.execute(("mkdir -p %s/run %s/state %s/mail && chmod 755 %s && chmod 777 "
      .. "%s/mail"):format(dir, dir, dir, dir, dir)))
    -- two mailboxes; bob's quota is 10 bytes, so his copy fails after DATA
    local users = assert(io.open(dir .. "/users", "w"))
    users:write("ann@localhost:{PLAIN}x::::::\n",
      "bob@localhost:{PLAIN}x::::::userdb_quota_rule=*:storage=10B\n")
    users:close()
    local conf = assert(io.open(dir .. "/dovecot.conf", "w"))
    conf:write((table.concat({
      "base_dir = DIR/run", "state_dir = DIR/state", "log_path = DIR/dovecot.log",
      "protocols = lmtp", "listen = 127.0.0.1", "ssl = no", "first_valid_uid = 1",
      "default_internal_user = dovecot", "default_login_user = dovenull",
      "mail_location = maildir:DIR/mail/%u", "mail_plugins = quota",
      "plugin {", "  quota = maildir:User quota", "}",
      "service lmtp {", "  inet_listener lmtp {", "    address = 127.0.0.1", "    port = PORT",
      "  }", "  unix_listener lmtp {", "    mode = 0", "  }", "}",
      "passdb {", "  driver = passwd-file", "  args = DIR/users", "}",
      "userdb {", "  driver = passwd-file", "  args = DIR/users",
      "  default_fields = uid=nobody gid=nogroup home=DIR/mail/%u", "}", "",
    }, "\n"):gsub("DIR", dir):gsub("PORT", tostring(port))))
    conf:close()
    -- (dovecot limits its processes' memory: a sanitizer runtime preloaded
    -- into this run cannot start in them)
    pid = spawn(("exec env -u LD_PRELOAD dovecot -F -c %s/dovecot.conf"):format(dir),
      dir .. "/master.log")
    wait_port(port, dir .. "/master.log")
  end)

  lazy_teardown(function()
    stop(pid)
    support.execute("rm -rf " .. dir)
  end)

  it("reports each recipient: one reply per accepted recipient after the final dot", function()
    local out, err, status = send_lua(port, "sender@example.org",
      { "ann@localhost", "nobody@localhost", "bob@localhost" }, MESSAGE, "--lmtp ")
    assert.are.equal("ann@localhost ok 250 2.0.0 -\n"
      .. "nobody@localhost fail 550 5.1.1 user_unknown\n"
      .. "bob@localhost fail 552 5.2.2 mailbox_full\n", out, err .. support.read(log))
    assert.are.equal(67, status)
    -- ann's copy is in her maildir, dot-stuffing undone by the server
    local found = support.run(("cat %s/mail/ann@localhost/new/*"):format(dir))
    assert.matches("Hello from send.lua.\r?\n.leading dot", found)
  end)

  it("delivers to every recipient and exits 0", function()
    local out, err, status = send_lua(port, "sender@example.org", { "ann@localhost" }, MESSAGE,
      "--lmtp ")
    assert.are.equal("ann@localhost ok 250 2.0.0 -\n", out, err)
    assert.are.equal(0, status)
  end)
end)

-- Starts the unpacked Postfix on a free port, with a private configuration
-- (`extra` is added to its main.cf); returns the port and a function that
-- stops it.
local function start_postfix(extra)
  assert(io.open("build/postfix/usr/sbin/postfix"), "Postfix is not unpacked under build/: "
    .. "make test unpacks it")
  local root = assert(support.run("cd build/postfix && pwd"):match("^(%S+)"))
  local port, dir = free_port(), tmpdir()
  local log = dir .. "/start.log"
  assert(support.execute(("mkdir -p %s/conf %s/queue %s/data && chown nobody %s/data")
    :format(dir, dir, dir, dir)))
  local cf = ([[
compatibility_level = 3.6
queue_directory = DIR/queue
data_directory = DIR/data
command_directory = ROOT/usr/sbin
daemon_directory = ROOT/usr/lib/postfix/sbin
meta_directory = ROOT/etc/postfix
shlib_directory = ROOT/usr/lib/postfix
import_environment = MAIL_CONFIG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH=ROOT/usr/lib/postfix
mail_owner = nobody
default_privs = daemon
setgid_group = mail
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks =
myhostname = postfix.example
mydestination = localhost, postfix.example
alias_maps =
alias_database =
message_size_limit = 10240
mailbox_command = /bin/cat > /dev/null
maillog_file_prefixes = DIR
maillog_file = DIR/maillog
]]):gsub("DIR", dir):gsub("ROOT", root) .. (extra or "")
  local main = assert(io.open(dir .. "/conf/main.cf", "w"))
  main:write(cf)
  main:close()
  local master = assert(io.open(dir .. "/conf/master.cf", "w"))
  master:write(("127.0.0.1:%d inet n - n - - smtpd\n"):format(port), [[
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
error unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
]])
  master:close()
  local env = ("LD_LIBRARY_PATH=%s/usr/lib/postfix "):format(root)
  spawn(("exec env %s %s/usr/sbin/postfix -c %s/conf start-fg"):format(env, root, dir), log)
  wait_port(port, log)
  return port, function()
    support.execute(("env %s %s/usr/sbin/postfix -c %s/conf stop >/dev/null 2>&1"):format(env,
      root, dir))
    support.execute("sleep 0.3; rm -rf " .. dir)
  end
end

-- One Postfix serves both blocks below: it asks examples/policy.lua, which
-- answers DUNNO to every address send.lua uses.
describe("Postfix on loopback", function()
  local port, stop_postfix, policy_pid, policy_log

  lazy_setup(function()
    local policy_port = free_port()
    policy_log = os.tmpname()
    policy_pid = spawn(("exec env %s %s examples/policy.lua --port %d"):format(ENV, support.LUA,
      policy_port), policy_log)
    wait_port(policy_port, policy_log)
    port, stop_postfix = start_postfix(("smtpd_recipient_restrictions = "
      .. "check_policy_service inet:127.0.0.1:%d\n"):format(policy_port))
  end)

  lazy_teardown(function()
    if stop_postfix then stop_postfix() end
    stop(policy_pid)
    os.remove(policy_log)
  end)

  describe("examples/send.lua against Postfix", function()
    it("pipelines to Postfix and delivers to a known recipient", function()
      local out, err, status = send_lua(port, "sender@example.org", { "root@localhost" }, MESSAGE)
      assert.are.equal(0, status, out .. err)
      assert.matches("^root@localhost ok 250 2%.0%.0 %-\n$", out)
    end)

    it("reads Postfix's rich refusals: unknown user, relay denied", function()
      local out, _, status = send_lua(port, "sender@example.org", { "root@localhost",
        "nobody-here@localhost", "someone@elsewhere.example" }, MESSAGE)
      assert.are.equal(67, status)
      assert.are.equal("root@localhost ok 250 2.0.0 -\n"
        .. "nobody-here@localhost fail 550 5.1.1 user_unknown\n"
        .. "someone@elsewhere.example retry 454 4.7.1 relay_denied\n", out)
    end)

    it("defers, exit 75, when the only refusal is temporary", function()
      local out, _, status = send_lua(port, "sender@example.org", { "root@localhost",
        "someone@elsewhere.example" }, MESSAGE)
      assert.are.equal(75, status, out)
    end)

    it("refuses a message over the advertised SIZE before sending it, and exits 1", function()
      refuses_over_size(port, "root@localhost")
    end)
  end)

  describe("examples/policy.lua behind it", function()
    local function swaks(to)
      return support.run(("swaks --server 127.0.0.1:%d --helo client.example --from "
        .. "sender@example.org --to %s"):format(port, to))
    end

    it("rejects, defers or lets Postfix decide, recipient by recipient", function()
      local out = swaks("unknown-1@localhost")
      assert.matches("\n<%*%* 550 5%.1%.1 <unknown%-1@localhost>: Recipient address rejected: "
        .. "User unknown\r?\n", out)
      out = swaks("full-box@localhost")
      assert.matches("\n<%*%* 452 4%.2%.2 <full%-box@localhost>: Recipient address rejected: "
        .. "Mailbox full, please try again later\r?\n", out)
      out = swaks("root@localhost")
      assert.matches("\n<%-  250 2%.0%.0 Ok: queued as", out)
    end)

    it("serves several smtpd processes at once", function()
      local procs = {}
      for i = 1, 4 do
        procs[i] = io.popen(("swaks --server 127.0.0.1:%d --helo c%d.example --from s@example.org "
          .. "--to unknown-%d@localhost,root@localhost 2>&1"):format(port, i, i))
      end
      for i, p in ipairs(procs) do
        local out = p:read("*a")
        p:close()
        assert.matches(("<%%*%%* 550 5%%.1%%.1 <unknown%%-%d@localhost>"):format(i), out)
        assert.matches("\n<%-  250 2%.0%.0 Ok: queued as", out)
      end
    end)
  end)
end)

describe("examples/filter.lua", function()
  local port, pid, dir, log

  lazy_setup(function()
    port, dir = free_port(), tmpdir()
    log = dir .. "/filter.log"
    pid = spawn(("exec env %s %s examples/filter.lua --port %d --dir %s --max-size 20000")
      :format(ENV, support.LUA, port, dir), log)
    wait_port(port, log)
  end)

  lazy_teardown(function()
    stop(pid)
    support.execute("rm -rf " .. dir)
  end)

  local function stored()
    local out = support.run("ls " .. dir .. " | grep '\\.env$' | sort")
    local list = {}
    for name in out:gmatch("(%S+)%.env") do list[#list + 1] = name end
    return list
  end

  local function swaks(args)
    return support.run(("swaks --server 127.0.0.1:%d --helo client.example %s"):format(port, args))
  end

  describe("with swaks as the client", function()
    it("accepts a whole message and stores it with its envelope", function()
      local before = #stored()
      local out, err, status = swaks("--from sender@example.org --to ann@example.net "
        .. "--header 'Subject: from swaks' --body 'Hello, filter.'")
      assert.are.equal(0, status, out .. err)
      assert.matches("<%-  250 2%.1%.5 Recipient ok", out)
      assert.matches("<%-  250 2%.0%.0 Ok: queued as msg%-", out)
      local names = stored()
      assert.are.equal(before + 1, #names)
      local name = out:match("queued as (msg%-[%d%-]+)")
      assert.are.equal("from sender@example.org\nto ann@example.net\n",
        support.read(dir .. "/" .. name .. ".env"))
      local eml = support.read(dir .. "/" .. name .. ".eml")
      assert.matches("Subject: from swaks\r\n", eml, 1, true)
      assert.matches("Hello, filter.", eml, 1, true)
    end)

    it("refuses a recipient whose local part starts with 'unknown' with 550 5.1.1", function()
      local out, _, status = swaks("--from sender@example.org --to unknown-x@example.net")
      assert.are.equal(24, status)
      assert.matches("<%*%* 550 5%.1%.1 <unknown%-x@example%.net>: No such user here", out)
    end)

    it("defers a recipient whose local part starts with 'full' with 452 4.2.2", function()
      local out, _, status = swaks("--from sender@example.org --to full-box@example.net")
      assert.are.equal(24, status)
      assert.matches("<%*%* 452 4%.2%.2 <full%-box@example%.net>: Mailbox full", out)
    end)

    it("delivers to the accepted recipients of a mixed list", function()
      local out, _, status = swaks("--from sender@example.org "
        .. "--to ann@example.net,unknown@example.net,full@example.net,bob@example.net")
      assert.are.equal(0, status)
      local name = out:match("queued as (msg%-[%d%-]+)")
      assert.are.equal("from sender@example.org\nto ann@example.net\nto bob@example.net\n",
        support.read(dir .. "/" .. name .. ".env"))
    end)

    it("refuses a message over its SIZE with 552 5.3.4", function()
      local body = dir .. "/big-body"
      local h = assert(io.open(body, "w"))
      h:write((("x"):rep(70) .. "\n"):rep(400))
      h:close()
      local out, _, status = swaks("--from sender@example.org --to ann@example.net --body "
        .. body)
      assert.are.equal(26, status)
      assert.matches("<%*%* 552 5%.3%.4 Message size exceeds the limit of 20000 octets", out)
    end)
  end)

  describe("with a raw client", function()
    -- Sends each line and returns the parsed replies, in order.
    local function converse(lines)
      local c = assert(socket.connect("127.0.0.1", port))
      c:settimeout(10)
      local reader = sc.reader()
      local replies = { assert(reader:receive(c)) }
      for _, line in ipairs(lines) do
        assert(c:send(line .. "\r\n"))
        local r, err = reader:receive(c)
        if not r then
          replies[#replies + 1] = err
          break
        end
        replies[#replies + 1] = r
      end
      c:close()
      return replies
    end

    local function codes(replies)
      local list = {}
      for i, r in ipairs(replies) do
        list[i] = type(r) == "table" and (r.code .. (r.enhanced and " " .. r.enhanced or "")) or r
      end
      return list
    end

    it("greets with 220 and advertises its extensions", function()
      local r = converse { "EHLO client.example" }
      assert.are.equal(220, r[1].code)
      local caps = assert(sc.capabilities(r[2]))
      assert.is_true(caps.PIPELINING)
      assert.is_true(caps.ENHANCEDSTATUSCODES)
      assert.are.equal(20000, caps.SIZE)
    end)

    it("answers bad commands, bad arguments and bad sequences (RFC 5321 §4.2.2)", function()
      local r = converse {
        "FROB", "", "MAIL FROM:<a@example.org>", "EHLO", "HELO client.example",
        "RCPT TO:<a@example.org>", "DATA", "MAIL FROM:bad", "MAIL FROM:<a@example.org>",
        "MAIL FROM:<b@example.org>", "DATA", "RCPT TO:<>", "DATA now", "EXPN list",
        "RSET", "QUIT",
      }
      assert.are.same({ "220", "500 5.5.2", "500 5.5.2", "503 5.5.1", "501 5.5.4", "250",
        "503 5.5.1", "503 5.5.1", "501 5.1.7", "250 2.1.0", "503 5.5.1", "554 5.5.1",
        "501 5.1.3", "501 5.5.4", "502 5.5.1", "250 2.0.0", "221 2.0.0" }, codes(r))
      for _, reply in ipairs(r) do
        assert.are.same({}, { support.unpack(reply.warnings) })
        assert.is_false(sc.decide("NOOP", reply) == nil)
      end
    end)

    it("answers an over-long line with 500 5.5.6 and goes on", function()
      local r = converse { "NOOP " .. ("x"):rep(600), "NOOP" }
      assert.are.same({ "220", "500 5.5.6", "250 2.0.0" }, codes(r))
    end)

    it("survives binary junk and a client that leaves mid-message", function()
      local c = assert(socket.connect("127.0.0.1", port))
      c:settimeout(5)
      c:receive()
      c:send("\0\1\2\255\254 junk\r\nEHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
        .. "half a messa")
      c:close()
      local r = converse { "NOOP", "QUIT" }
      assert.are.same({ "220", "250 2.0.0", "221 2.0.0" }, codes(r))
    end)

    it("closes the connection after QUIT", function()
      local c = assert(socket.connect("127.0.0.1", port))
      c:settimeout(5)
      local reader = sc.reader()
      assert.are.equal(220, reader:receive(c).code)
      c:send("QUIT\r\n")
      assert.are.equal(221, reader:receive(c).code)
      assert.are.same({ nil, "closed" }, { reader:receive(c) })
      c:close()
    end)

    it("is the server send.lua pipelines to, with 67, 75 and 0", function()
      local out, _, status = send_lua(port, "me@example.org", { "ann@example.net",
        "full@example.net" }, MESSAGE)
      assert.are.equal(75, status)
      assert.matches("ann@example.net ok 250 2.0.0 -\nfull@example.net retry 452 4.2.2 "
        .. "mailbox_full\n", out, 1, true)
      _, _, status = send_lua(port, "me@example.org", { "unknown@example.net" }, MESSAGE)
      assert.are.equal(67, status)
      _, _, status = send_lua(port, "me@example.org", { "ann@example.net" }, MESSAGE)
      assert.are.equal(0, status)
    end)
  end)
end)

-- The examples' modules, core and script copied where smtpd's filter user
-- can read them whatever the permissions of the checkout: a wrapper runs
-- the example with this run's interpreter and core.
local function filter_tree(dir, script, args)
  local core = "build/" .. support.LUANAME .. "/smtpcodes/core.so"
  assert(support.execute(("mkdir -p %s/lua %s/cpath/smtpcodes && cp -r lua/smtpcodes %s/lua/ "
    .. "&& cp %s %s/ && (test ! -f %s || cp %s %s/cpath/smtpcodes/)"):format(dir, dir, dir,
    script, dir, core, core, dir)))
  local lua = assert(support.run("command -v " .. support.LUA):match("^(%S+)"))
  local backend = os.getenv("SMTPCODES_BACKEND")
  local run = dir .. "/run.sh"
  local h = assert(io.open(run, "w"))
  h:write(("#!/bin/sh\nexec env LUA_PATH='%s/lua/?.lua;%s/lua/?/init.lua' "
    .. "LUA_CPATH='%s/cpath/?.so' %s %s %s/%s %s\n"):format(dir, dir, dir,
    backend and "SMTPCODES_BACKEND=" .. backend or "", lua, dir, script:match("[^/]+$"), args))
  h:close()
  assert(support.execute("chmod -R a+rX " .. dir .. " && chmod 755 " .. run))
  return run
end

describe("examples/opensmtpd-filter.lua inside OpenSMTPD", function()
  local port, pid, dir, log
  local DELAY = 1

  lazy_setup(function()
    port, dir = free_port(), tmpdir()
    support.execute("chmod 777 " .. dir)
    local run = filter_tree(dir, "examples/opensmtpd-filter.lua", "--delay " .. DELAY)
    pid, log = start_smtpd(dir, port, ("filter \"lua\" proc-exec \"%s\"\n"):format(run),
      " filter \"lua\"")
  end)

  lazy_teardown(function()
    stop(pid)
    support.execute("rm -rf " .. dir)
  end)

  local function swaks(from, to)
    return support.run(("swaks --server 127.0.0.1:%d --helo client.example --from %s --to %s")
      :format(port, from, to))
  end

  it("rejects an unknown recipient with the reply the filter built", function()
    local out = swaks("sender@example.org", "unknown-1@localhost")
    assert.matches("\n<%*%* 550 5%.1%.1 <unknown%-1@localhost>: Recipient address rejected: "
      .. "User unknown\r?\n", out)
  end)

  it("greylists a grey sender, then accepts the same retry after the delay", function()
    local out = swaks("grey-1@example.org", "nobody@localhost")
    assert.matches("\n<%*%* 451 4%.7%.1 Greylisted, please try again in %d+ seconds\r?\n", out)
    socket.sleep(DELAY + 1)
    out = swaks("grey-1@example.org", "nobody@localhost")
    assert.matches("\n<%-  250 2%.1%.5 Destination address valid", out)
    assert.matches("\n<%-  250 2%.0%.0 %x+ Message accepted for delivery", out)
    -- another recipient is a new triplet: greylisted again
    out = swaks("grey-1@example.org", "root@localhost")
    assert.matches("\n<%*%* 451 4%.7%.1 Greylisted", out)
  end)

  it("writes every reply smtpd sent, with its reason, to smtpd's log", function()
    swaks("sender@example.org", "unknown-2@localhost")
    -- the filter's line, not smtpd's own about the same command (which
    -- smtpd may write first)
    local mine = "lua: %x+ reply 550 5%.1%.1 user_unknown hard <unknown%-2@localhost>"
    local text
    for _ = 1, 50 do
      text = support.read(log)
      if text:find(mine) then break end
      socket.sleep(0.1)
    end
    assert.matches(mine, text)
    assert.matches("lua: %x+ reply 451 4%.7%.1 greylisted soft Greylisted", text)
    -- the multi-line EHLO reply, put back together from its lines
    assert.matches("lua: %x+ reply 250 %- %- %- opensmtpd%.example Hello [^\n]* / 8BITMIME / ",
      text)
  end)
end)
