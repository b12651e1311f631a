-- smtpcodes.opensmtpd: OpenSMTPD's filter protocol (smtpd-filters(7)), the
-- lines of protocol versions 0.6 (OpenSMTPD 6.8) and 0.7 (7.x), the
-- answers, and the filter runner, fed by scripted input.
local opensmtpd = require("smtpcodes.opensmtpd")
local support = require("spec.support")

local SID, TOKEN = "7641df9771b4ed00", "1ef1c203cc576e5d"
local T = "1576146008.006099"

-- (by concatenation: Lua 5.1's string.format stops a %s at a NUL)
local function filter_line(version, phase, params)
  return table.concat({ "filter", version, T, "smtp-in", phase, SID, TOKEN, params }, "|")
end

local function report_line(version, event, params)
  return table.concat({ "report", version, T, "smtp-in", event, SID }, "|")
    .. (params and "|" .. params or "")
end

-- A scripted input (read("*l") gives each line, then nil) and an output
-- and a log that keep what is written.
local function script(lines)
  local i = 0
  return { read = function() i = i + 1 return lines[i] end }
end
local function sink()
  local s = { parts = {} }
  function s.write(self, ...)
    for _, p in ipairs({ ... }) do self.parts[#self.parts + 1] = p end
    return self
  end
  function s.flush() return true end
  function s.text(self) return table.concat(self.parts) end
  return s
end

describe("smtpcodes.opensmtpd.parse", function()
  it("reads the handshake's config lines", function()
    assert.are.same({ type = "config", key = "smtpd-version", value = "6.8.0p2" },
      opensmtpd.parse("config|smtpd-version|6.8.0p2"))
    assert.are.same({ type = "config", key = "protocol", value = "0.7" },
      opensmtpd.parse("config|protocol|0.7\n"))
    assert.are.same({ type = "config", key = "ready" }, opensmtpd.parse("config|ready"))
  end)

  for _, version in ipairs({ "0.6", "0.7" }) do
    it("reads filter requests of version " .. version .. " with their named parameters", function()
      local m = assert(opensmtpd.parse(filter_line(version, "connect",
        "mail.example.org|192.0.2.1")))
      assert.are.same({ "filter", version, T, "smtp-in", "connect", SID, TOKEN,
        "mail.example.org", "192.0.2.1" }, { m.type, m.version, m.timestamp, m.subsystem, m.phase,
        m.session, m.token, m.rdns, m.src })
      m = assert(opensmtpd.parse(filter_line(version, "rcpt-to", "<a|b@example.org>")))
      assert.are.equal("<a|b@example.org>", m.address) -- "|" in the last field
      m = assert(opensmtpd.parse(filter_line(version, "data-line", "a | b")))
      assert.are.equal("a | b", m.line)
      m = assert(opensmtpd.parse(filter_line(version, "commit", "")))
      assert.are.same({}, { m.address, m.line })
    end)

    it("reads report events of version " .. version, function()
      local m = assert(opensmtpd.parse(report_line(version, "link-connect",
        "mx.example.org|pass|192.0.2.1:33174|198.51.100.25:25")))
      assert.are.same({ "report", "link-connect", "mx.example.org", "pass", "192.0.2.1:33174",
        "198.51.100.25:25" }, { m.type, m.event, m.rdns, m.fcrdns, m.src, m.dest })
      m = assert(opensmtpd.parse(report_line(version, "protocol-server", "250-a|b")))
      assert.are.equal("250-a|b", m.response)
      m = assert(opensmtpd.parse(report_line(version, "tx-rcpt", "0000000a|ok|a@example.org")))
      assert.are.same({ "0000000a", "ok", "a@example.org" }, { m.message_id, m.result, m.address })
      m = assert(opensmtpd.parse(report_line(version, "link-disconnect")))
      assert.are.equal("link-disconnect", m.event)
    end)
  end

  it("reads link-auth in the order of each version (0.6: username|result, 0.7: the reverse)",
    function()
      local m = assert(opensmtpd.parse(report_line("0.6", "link-auth", "us|er|pass")))
      assert.are.same({ "us|er", "pass" }, { m.username, m.result })
      m = assert(opensmtpd.parse(report_line("0.7", "link-auth", "pass|us|er")))
      assert.are.same({ "us|er", "pass" }, { m.username, m.result })
    end)

  it("keeps an unknown event's or phase's parameters as one string", function()
    local m = assert(opensmtpd.parse(report_line("0.7", "link-frobnicate", "a|b|c")))
    assert.are.same({ "a|b|c" }, m.params)
    m = assert(opensmtpd.parse(filter_line("0.7", "frob", "x|y")))
    assert.are.same({ "frob", { "x|y" } }, { m.phase, m.params })
  end)

  it("refuses other protocol versions, naming them", function()
    assert.are.same({ nil, "unsupported protocol version '0.5' (this module knows 0.6 and 0.7)" },
      { opensmtpd.parse(filter_line("0.5", "helo", "x")) })
  end)

  it("gives nil and a message for malformed lines, never an error", function()
    local cases = {
      { "", "not a config, filter or report line" },
      { "garbage", "not a config, filter or report line" },
      { "filter|0.6", "bad timestamp" },
      { "filter|0.6|" .. T .. "|smtp-in|rcpt-to", "without a session id" },
      { "filter|0.6|" .. T .. "|smtp-in|rcpt-to|" .. SID, "without a token" },
      { "filter|0.6|" .. T .. "|smtp-in|rcpt-to|zz|" .. TOKEN .. "|x", "without a session id" },
      { "report|0.7|now|smtp-in|tx-begin|" .. SID .. "|1", "bad timestamp" },
      { "report|0.7|" .. T .. "|smtp in|tx-begin|" .. SID, "bad subsystem" },
      { "config|", "config line without a key" },
      { filter_line("0.6", "helo", "a\0b"), "control character" },
      { filter_line("0.6", "helo", ("x"):rep(opensmtpd.MAX_LINE)), "line longer than" },
    }
    for _, c in ipairs(cases) do
      local m, err = opensmtpd.parse(c[1])
      assert.is_nil(m, c[1])
      assert.matches(c[2], err, 1, true)
    end
    assert.has_error(function() opensmtpd.parse(nil) end,
      "bad argument #1 to 'parse' (string expected, got nil)")
  end)

  it("never raises on mutated or truncated lines", function()
    local valid = {
      filter_line("0.6", "rcpt-to", "<a@example.org>"),
      filter_line("0.7", "connect", "mx|192.0.2.1"),
      report_line("0.6", "link-auth", "user|pass"),
      report_line("0.7", "protocol-server", "250-mx.example.org"),
      "config|smtpd-version|6.8.0",
    }
    math.randomseed(13)
    for n = 1, support.cases(3000) do
      local s = valid[n % #valid + 1]
      local cut = math.random(0, #s)
      local mutated = s:sub(1, cut)
      if n % 3 == 0 then
        mutated = mutated .. string.char(math.random(0, 255)) .. s:sub(cut + 2)
      end
      local ok, m, err = pcall(opensmtpd.parse, mutated)
      assert.is_true(ok, mutated)
      assert.is_true(type(m) == "table" or type(err) == "string", mutated)
    end
  end)
end)

describe("smtpcodes.opensmtpd answers", function()
  it("proceed, junk, rewrite and dataline", function()
    assert.are.equal("filter-result|" .. SID .. "|" .. TOKEN .. "|proceed\n",
      opensmtpd.proceed(SID, TOKEN))
    assert.are.equal("filter-result|" .. SID .. "|" .. TOKEN .. "|junk\n",
      opensmtpd.junk(SID, TOKEN))
    assert.are.equal("filter-result|" .. SID .. "|" .. TOKEN .. "|rewrite|<b@example.org>\n",
      opensmtpd.rewrite(SID, TOKEN, "<b@example.org>"))
    assert.are.equal("filter-dataline|" .. SID .. "|" .. TOKEN .. "|Subject: hi\n",
      opensmtpd.dataline(SID, TOKEN, "Subject: hi"))
    assert.are.same({ nil, "rewrite: refused: the parameter holds a control character ('\\x0a') "
      .. "at byte 2" }, { opensmtpd.rewrite(SID, TOKEN, "<\n>") })
    assert.is_nil((opensmtpd.rewrite(SID, TOKEN, "")))
    assert.is_nil((opensmtpd.dataline(SID, TOKEN, "a\rb")))
  end)

  it("builds reject and disconnect replies with format, on one line", function()
    assert.are.equal("filter-result|" .. SID .. "|" .. TOKEN .. "|reject|550 5.1.1 No such user\n",
      opensmtpd.reject(SID, TOKEN, 550, "5.1.1", "No such user"))
    assert.are.equal("filter-result|" .. SID .. "|" .. TOKEN .. "|reject|451 4.7.1 Try later\n",
      opensmtpd.reject(SID, TOKEN, 451, "4.7.1 Try later"))
    -- the code's standard text when none is given: smtpd wants text after the code
    local tail = "|reject|550 Requested action not taken: mailbox unavailable\n"
    local line = opensmtpd.reject(SID, TOKEN, 550)
    assert.are.equal(tail, line:sub(-#tail))
    assert.are.equal("filter-result|" .. SID .. "|" .. TOKEN .. "|disconnect|421 4.7.0 Bye\n",
      opensmtpd.disconnect(SID, TOKEN, 421, "4.7.0", "Bye"))
  end)

  it("refuses a reply the protocol or RFC 5321 would refuse, with nil and a message", function()
    local cases = {
      { { 250, "ok" }, "reject needs 4yz or 5yz, not 250" },
      { { 999 }, "reply code 200 to 599 expected" },
      { { 550, "5.7.1", "5.3.1 Go away" }, "the text begins with an enhanced code (5.3.1)" },
      { { 550, "4.1.1", "x" }, "does not match the class of 550" },
      { { 550, "5.1.1", "<a@b>\r\n250 ok" }, "control character" },
      { { 550, "5.1.1", "<a@b>\n250 ok" }, "line break" },
      { { 550, "5.1.1", "a\0b" }, "control character" },
      { { 550, ("x"):rep(600) }, "does not fit one line" },
    }
    for _, c in ipairs(cases) do
      local line, err = opensmtpd.reject(SID, TOKEN, support.unpack(c[1]))
      assert.is_nil(line)
      assert.matches(c[2], err, 1, true)
    end
    assert.matches("disconnect needs 421 or 5yz, not 451",
      select(2, opensmtpd.disconnect(SID, TOKEN, 451, "later")), 1, true)
  end)

  it("raises for a session id or token that is no id", function()
    assert.has_error(function() opensmtpd.proceed(nil, TOKEN) end,
      "bad argument #1 to 'proceed' (string expected, got nil)")
    assert.has_error(function() opensmtpd.reject(SID, "x|y", 550) end,
      "bad argument #2 to 'reject' (token (hexadecimal) expected, got 'x|y')")
  end)

  it("registers filter phases and report events, then ready", function()
    assert.are.equal("register|filter|smtp-in|rcpt-to\nregister|report|smtp-in|tx-mail\n"
      .. "register|ready\n",
      opensmtpd.register({ filters = { "rcpt-to" }, reports = { "tx-mail" } }))
    assert.are.equal("register|report|smtp-out|protocol-server\nregister|ready\n",
      opensmtpd.register({ reports = { "protocol-server" }, subsystem = "smtp-out" }))
    assert.has_error(function() opensmtpd.register({ filters = { "rcpt" } }) end,
      "bad argument #1 to 'register' (filters[1]: unknown phase 'rcpt')")
  end)
end)

describe("smtpcodes.opensmtpd.replies", function()
  local function event(session, response)
    return { type = "report", event = "protocol-server", session = session, response = response }
  end

  it("puts each session's reply lines back together", function()
    local r = opensmtpd.replies()
    assert.is_nil(r:add(event("a", "250-mx.example.org Hello")))
    assert.is_nil(r:add(event("b", "354 go ahead")) and nil)
    assert.is_nil(r:add(event("a", "250-PIPELINING")))
    local reply = assert(r:add(event("a", "250 8BITMIME")))
    assert.are.same({ 250, "mx.example.org Hello\nPIPELINING\n8BITMIME" },
      { reply.code, reply.text })
    assert.are.equal(0, r.count)
  end)

  it("bounds what a session holds, and reports lines that are no reply", function()
    local r = opensmtpd.replies()
    local got, err
    for _ = 1, opensmtpd.MAX_REPLY_LINES do got, err = r:add(event("a", "250-x")) end
    assert.is_nil(got)
    assert.matches("a reply of more than", err)
    assert.are.equal(0, r.count)
    got, err = r:add(event("a", "hello"))
    assert.is_nil(got)
    assert.matches("session a: line 1: no reply code", err, 1, true)
    r:add(event("c", "250-x"))
    r:forget("c")
    assert.are.equal(0, r.count)
  end)
end)

describe("smtpcodes.opensmtpd.filter", function()
  local HANDSHAKE = { "config|smtpd-version|6.8.0p2", "config|smtp-session-timeout|300",
    "config|subsystem|smtp-in", "config|ready" }

  local function run(lines, setup, opts)
    local all = {}
    for _, l in ipairs(HANDSHAKE) do all[#all + 1] = l end
    for _, l in ipairs(lines) do all[#all + 1] = l end
    local out, log = sink(), sink()
    opts = opts or {}
    opts.input, opts.output, opts.log = script(all), out, log
    local f = opensmtpd.filter(opts)
    setup(f)
    assert.is_true(f:run())
    return out:text(), log:text(), f
  end

  it("registers its handlers after config|ready and answers each request", function()
    local out, _, f = run({ filter_line("0.6", "rcpt-to", "<unknown@example.org>"),
      filter_line("0.6", "rcpt-to", "<ann@example.org>") }, function(f)
        f:on("rcpt-to", function(req)
          if req.address:find("unknown") then return req:reject(550, "5.1.1", "No such user") end
          return req:proceed()
        end)
        f:report("protocol-server", function() end)
      end)
    assert.are.equal("register|filter|smtp-in|rcpt-to\n"
      .. "register|report|smtp-in|link-disconnect\nregister|report|smtp-in|protocol-server\n"
      .. "register|ready\n"
      .. "filter-result|" .. SID .. "|" .. TOKEN .. "|reject|550 5.1.1 No such user\n"
      .. "filter-result|" .. SID .. "|" .. TOKEN .. "|proceed\n", out)
    assert.are.equal("6.8.0p2", f.config["smtpd-version"])
  end)

  it("answers 451 4.3.0 (or proceeds, if asked) when a handler fails, and logs why", function()
    local lines = { filter_line("0.7", "mail-from", "<a@example.org>"),
      filter_line("0.7", "rcpt-to", "<b@example.org>") }
    local function setup(f)
      f:on("mail-from", function() error("oops") end)
      f:on("rcpt-to", function(req) return req:reject(550, "5.1.1", "bad\r\ntext") end)
    end
    local out, log = run(lines, setup)
    local tempfail = "filter-result|" .. SID .. "|" .. TOKEN
      .. "|reject|451 4.3.0 Filter error, try again later\n"
    assert.are.equal(tempfail .. tempfail, out:match("register|ready\n(.*)$"))
    assert.matches("mail%-from handler gave no answer: .*oops", log)
    assert.matches("rcpt-to handler gave no answer: reject: reply refused", log, 1, true)
    out = run(lines, setup, { on_error = "proceed" })
    assert.are.equal(("filter-result|" .. SID .. "|" .. TOKEN .. "|proceed\n"):rep(2),
      out:match("register|ready\n(.*)$"))
  end)

  it("keeps serving past garbage, truncated lines and unknown events", function()
    local out, log = run({ "garbage", "filter|0.6|" .. T .. "|smtp-in|rcpt-to|" .. SID,
      report_line("0.6", "link-frobnicate", "x"), report_line("0.6", "protocol-server"),
      filter_line("0.6", "frobnicate", "x"), ("z"):rep(opensmtpd.MAX_LINE + 1),
      filter_line("0.6", "rcpt-to", "<a@example.org>") }, function(f)
        f:on("rcpt-to", function(req) return req:proceed() end)
        f:report("protocol-server", function(ev) assert(ev.err) end)
      end)
    -- the unknown phase is passed on; the rcpt-to answered
    assert.are.equal(("filter-result|" .. SID .. "|" .. TOKEN .. "|proceed\n"):rep(2),
      out:match("register|ready\n(.*)$"))
    assert.matches("ignored a line from smtpd: not a config, filter or report line", log)
    assert.matches("ignored a line from smtpd: filter line without a token", log, 1, true)
    assert.matches("ignored a line from smtpd: line longer than", log, 1, true)
  end)

  it("never raises on random lines, and answers the next request", function()
    math.randomseed(7)
    local lines = {}
    local pieces = { "filter", "report", "config", "|", "0.6", "0.7", T, SID, TOKEN, "smtp-in",
      "rcpt-to", "protocol-server", "link-auth", "250-", "550 ", "ready", "\r", "", "x" }
    for n = 1, support.cases(2000) do
      local parts = {}
      for k = 1, math.random(1, 12) do
        parts[k] = n % 5 == 0 and string.char(math.random(0, 255)) or
          pieces[math.random(#pieces)]
      end
      lines[#lines + 1] = table.concat(parts, math.random(2) == 1 and "|" or "")
    end
    lines[#lines + 1] = filter_line("0.7", "rcpt-to", "<a@example.org>")
    local out = run(lines, function(f)
      f:on("rcpt-to", function(req) return req:proceed() end)
      f:report("protocol-server", function() end)
      f:report("link-auth", function() end)
    end)
    local tail = "filter-result|" .. SID .. "|" .. TOKEN .. "|proceed\n"
    assert.are.equal(tail, out:sub(-#tail))
  end)

  it("passes data lines on, or what the handler puts in their place", function()
    local out = run({ filter_line("0.6", "data-line", "Subject: hi"),
      filter_line("0.6", "data-line", "secret"), filter_line("0.6", "data-line", ".") },
      function(f)
        f:on("data-line", function(req)
          if req.line == "secret" then return {} end
          if req.line:find("^Subject:") then return { "X-Filtered: yes", req.line } end
        end)
      end)
    local prefix = "filter-dataline|" .. SID .. "|" .. TOKEN .. "|"
    assert.are.equal(prefix .. "X-Filtered: yes\n" .. prefix .. "Subject: hi\n" .. prefix .. ".\n",
      out:match("register|ready\n(.*)$"))
  end)

  it("gives a protocol-server handler each reply whole, once", function()
    local got = {}
    run({ report_line("0.6", "protocol-server", "220 mx.example.org ESMTP"),
      report_line("0.6", "protocol-server", "250-mx.example.org Hello"),
      report_line("0.6", "protocol-server", "250 PIPELINING"),
      report_line("0.6", "link-disconnect") }, function(f)
        f:report("protocol-server", function(ev) got[#got + 1] = ev.reply end)
      end)
    assert.are.equal(2, #got)
    assert.are.same({ 250, "mx.example.org Hello\nPIPELINING" }, { got[2].code, got[2].text })
  end)

  it("raises for unknown phases and events, and bad options", function()
    local f = opensmtpd.filter()
    assert.has_error(function() f:on("rcpt", print) end,
      "bad argument #1 to 'on' (unknown filter phase 'rcpt')")
    assert.has_error(function() f:report("tx-frob", print) end,
      "bad argument #1 to 'report' (unknown report event 'tx-frob')")
    assert.has_error(function() opensmtpd.filter({ on_error = "ignore" }) end,
      "bad argument #1 to 'filter' (opts.on_error must be \"tempfail\" or \"proceed\")")
  end)
end)

describe("examples/opensmtpd-filter.lua, fed by a script", function()
  local function run_example(lines, args)
    local f = os.tmpname()
    local h = assert(io.open(f, "wb"))
    h:write(table.concat(lines, "\n"), "\n")
    h:close()
    local out, err, status = support.run(("%s %s examples/opensmtpd-filter.lua %s < %s"):format(
      support.ENV, support.LUA, args or "", f))
    os.remove(f)
    return out, err, status
  end

  it("rejects unknown recipients, greylists grey senders, logs replies, and keeps going",
    function()
      local out, err, status = run_example({ "config|smtpd-version|6.8.0p2", "config|ready",
        report_line("0.6", "link-connect", "mx|pass|192.0.2.1:4000|198.51.100.1:25"),
        filter_line("0.6", "mail-from", "<grey@example.org> SIZE=10"),
        "garbage|with|bars", "filter|0.6|" .. T .. "|smtp-in|rcpt-to",
        report_line("0.6", "link-frobnicate", "x|y"), ("y"):rep(70000),
        report_line("0.6", "protocol-server", ("z"):rep(5000)),
        filter_line("0.6", "rcpt-to", "<unknown-1@example.net>"),
        filter_line("0.6", "rcpt-to", "<unknown\1@example.net>"),
        filter_line("0.6", "rcpt-to", "<ann@example.net>"),
        report_line("0.6", "protocol-server",
          "451 4.7.1 Greylisted, please try again in 60 seconds"),
        report_line("0.6", "protocol-server", "250-mx Hello"),
        report_line("0.6", "protocol-server", "250 PIPELINING"),
        report_line("0.6", "link-disconnect"),
        filter_line("0.6", "rcpt-to", "<ann@example.net>") })
      assert.are.equal(0, status, err)
      local answers = {}
      for l in out:gmatch("filter%-result|[^\n]*") do
        answers[#answers + 1] = l:gsub("^filter%-result|%x+|%x+|", "")
      end
      assert.are.same({
        "proceed",
        "reject|550 5.1.1 <unknown-1@example.net>: Recipient address rejected: User unknown",
        -- (a control character: the reply goes without the client's address)
        "reject|550 5.1.1 Recipient address rejected: User unknown",
        "reject|451 4.7.1 Greylisted, please try again in 60 seconds",
        "proceed",
      }, answers)
      assert.matches("reply 451 4.7.1 greylisted soft", err, 1, true)
      assert.matches("reply 250 - - - mx Hello / PIPELINING", err, 1, true)
    end)
end)
