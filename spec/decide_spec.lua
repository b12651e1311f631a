local sc = require("smtpcodes")

local function decide(...)
  local action, info = sc.decide(...)
  return action, info
end

describe("smtpcodes.decide", function()
  it("2yz is ok (RFC 5321 §4.2.1)", function()
    for _, case in ipairs { { "RCPT", 250 }, { "RCPT", 251 }, { "MAIL", 250 }, { "QUIT", 221 },
      { "CONNECT", 220 }, { "DATA_END", 250 }, { "AUTH", 235 }, { "VRFY", 252 } } do
      local action, info = decide(case[1], case[2])
      assert.are.equal("ok", action, case[1])
      assert.is_false(info.unexpected)
      assert.is_nil(info.reason)
    end
  end)

  it("3yz continues where the command expects it: 354 to DATA (RFC 5321 §3.3)", function()
    local action, info = decide("DATA", 354)
    assert.are.equal("continue", action)
    assert.is_false(info.unexpected)
    assert.matches("RFC 5321 §3.3", info.rule, 1, true)
  end)

  it("3yz continues where the command expects it: 334 to AUTH (RFC 4954 §4)", function()
    local action, info = decide("AUTH", sc.parse("334 VXNlcm5hbWU6\r\n"))
    assert.are.equal("continue", action)
    assert.are.equal("session", info.scope)
    assert.matches("RFC 4954 §4", info.rule, 1, true)
  end)

  it("4yz retries and 5yz fails (RFC 5321 §4.2.1)", function()
    assert.are.equal("retry", (decide("MAIL", 451)))
    assert.are.equal("retry", (decide("RCPT", 450)))
    assert.are.equal("fail", (decide("MAIL", 553)))
    assert.are.equal("fail", (decide("DATA_END", 554)))
    local _, info = decide("RCPT", 550)
    assert.matches("5yz", info.rule, 1, true)
  end)

  it("421 to anything closes the session (RFC 5321 §3.8)", function()
    for _, name in ipairs(sc.commands()) do
      local action, info = decide(name, 421)
      assert.are.equal("close", action, name)
      assert.are.equal("session", info.scope)
      assert.matches("RFC 5321 §3.8", info.rule, 1, true)
      assert.are.equal("soft", info.kind)
    end
  end)

  it("552 to RCPT for too many recipients is retried like 452 (RFC 5321 §4.5.3.1.10)", function()
    for _, text in ipairs { "552 5.5.3 Too many recipients\r\n", "552 Too many recipients\r\n",
      "552 recipient limit reached\r\n" } do
      local action, info = decide("RCPT", sc.parse(text))
      assert.are.equal("retry", action, text)
      assert.matches("RFC 5321 §4.5.3.1.10", info.rule, 1, true)
    end
    local _, info = decide("RCPT", sc.parse("552 5.5.3 Too many recipients\r\n"))
    assert.are.equal("too_many_recipients", info.reason)
    assert.are.equal("fail", (decide("DATA_END", 552)))
    assert.are.equal("fail", (decide("MAIL", 552)))
  end)

  it("552 5.2.2 to RCPT is a full mailbox, and fails (only X.5.3 or recipient text is 452)",
    function()
      local action, info = decide("RCPT", sc.parse("552 5.2.2 Mailbox full\r\n"))
      assert.are.equal("fail", action)
      assert.are.equal("mailbox_full", info.reason)
      assert.are.equal("fail", (decide("RCPT", 552)))
      assert.are.equal("fail", (decide("RCPT", sc.parse("552 Message size exceeds limit\r\n"))))
    end)

  it("552 to RCPT is retried exactly when its reason is too many recipients", function()
    -- a bare 552 says nothing of recipients: RFC 5321's text for it is
    -- "exceeded storage allocation", the recipient's mailbox
    local action, info = decide("RCPT", 552)
    assert.are.equal("fail", action)
    assert.are.equal("mailbox_full", info.reason)
    assert.are.equal("mailbox_full", (sc.reason(552, "RCPT")))
    for _, text in ipairs { "552", "552 ", "552 5.5.3 Too many recipients",
      "552 Too many recipients", "552 recipient limit reached", "552 5.2.2 Mailbox full",
      "552 Message size exceeds limit", "552 5.3.4 Message too big", "552 5.0.0 Error",
      "552 Requested mail action aborted: exceeded storage allocation", "552 5.7.1 Refused" } do
      local r = sc.parse(text)
      action, info = decide("RCPT", r)
      assert.are.equal(action == "retry", info.reason == "too_many_recipients", text)
      assert.are.equal(info.reason, (sc.reason(r, "RCPT")), text)
    end
  end)

  it("EHLO refused with 500 or 502 falls back to HELO (RFC 5321 §4.3.2, §3.2)", function()
    for _, code in ipairs { 500, 502 } do
      local action, info = decide("EHLO", code)
      assert.are.equal("fail", action)
      assert.are.equal("HELO", info.fallback)
      assert.matches("fall back to HELO", info.rule, 1, true)
    end
    local _, info = decide("EHLO", 550)
    assert.is_nil(info.fallback)
    _, info = decide("HELO", 502)
    assert.is_nil(info.fallback)
  end)

  it("never falls back to HELO when the caller requires TLS (RFC 5321 §4.3.2)", function()
    local action, info = decide("EHLO", 502, sc.policy { require_tls = true })
    assert.are.equal("fail", action)
    assert.is_nil(info.fallback)
    assert.matches("TLS is required", info.rule, 1, true)
  end)

  it("a 5yz greeting closes the session (RFC 5321 §3.1, RFC 7504)", function()
    local action, info = decide("CONNECT", 554)
    assert.are.equal("close", action)
    assert.matches("RFC 5321 §3.1", info.rule, 1, true)
    assert.are.equal("soft", info.kind) -- the recipient may be fine
    action, info = decide("CONNECT", 521)
    assert.are.equal("close", action)
    assert.matches("RFC 7504", info.rule, 1, true)
    assert.are.equal("retry", (decide("CONNECT", 450)))
  end)

  it("a first digit of 1 is fatal (RFC 5321 §4.2)", function()
    local action, info = decide("MAIL", 150)
    assert.are.equal("close", action)
    assert.is_true(info.unexpected)
  end)

  it("an unknown code is decided by its first digit and flagged (RFC 5321 §4.2)", function()
    for code, want in pairs { [259] = "ok", [359] = "continue", [449] = "retry", [559] = "fail" } do
      local action, info = decide("MAIL", code)
      assert.are.equal(want, action, code)
      assert.is_true(info.unexpected)
      assert.matches("decided by its first digit, RFC 5321 §4.2", info.rule, 1, true)
    end
  end)

  it("an unexpected code is decided by its first digit and flagged (RFC 5321 §4.2)", function()
    local action, info = decide("RCPT", 354)
    assert.are.equal("continue", action)
    assert.is_true(info.unexpected)
    action, info = decide("QUIT", 250)
    assert.are.equal("ok", action)
    assert.is_true(info.unexpected)
    action, info = decide("BDAT", 459)
    assert.are.equal("retry", action)
    assert.is_false(info.unexpected)
  end)

  it("gives the scope of each command", function()
    local want = { RCPT = "recipient", MAIL = "message", DATA = "message", DATA_END = "message",
      BDAT = "message", BURL = "message", CONNECT = "session", EHLO = "session",
      HELO = "session", STARTTLS = "session", AUTH = "session", QUIT = "session" }
    for name, scope in pairs(want) do
      local _, info = decide(name, 451)
      assert.are.equal(scope, info.scope, name)
    end
  end)

  it("takes a Reply, a Code, an integer or a numeric string", function()
    local reply = sc.parse("550-5.1.1 No such user\r\n550 5.1.1 here\r\n")
    local _, info = decide("rcpt", reply)
    assert.are.equal("user_unknown", info.reason)
    assert.are.equal("5.1.1", info.enhanced)
    assert.are.equal(550, info.code)
    assert.are.equal("RCPT", info.command)
    assert.are.equal("fail", (decide("RCPT", sc.lookup(550))))
    assert.are.equal("fail", (decide("RCPT", "550")))
    assert.are.equal("fail", (decide(sc.command("RCPT"), 550)))
  end)

  it("says whether a failure is hard or soft, by its reason", function()
    local _, info = decide("RCPT", sc.parse("450 4.1.1 <x@example.org>: User unknown\r\n"))
    assert.are.equal("user_unknown", info.reason)
    assert.are.equal("hard", info.kind)
    _, info = decide("RCPT", sc.parse("452 4.2.2 Mailbox full\r\n"))
    assert.are.equal("mailbox_full", info.reason)
    assert.are.equal("soft", info.kind)
  end)

  it("raises for what is not a command name, or a bad argument", function()
    assert.has_error(function() sc.decide("<a@b>", 250) end,
      "bad argument #1 to 'decide' (command name expected, got '<a@b>')")
    assert.has_error(function() sc.decide("", 250) end,
      "bad argument #1 to 'decide' (command name expected, got '')")
    assert.has_error(function() sc.decide(nil, 250) end,
      "bad argument #1 to 'decide' (string expected, got nil)")
    assert.has_error(function() sc.decide("RCPT", "abc") end, "bad argument #2 to 'decide' "
      .. "(invalid code 'abc': expected a reply code (550) or an enhanced code (5.1.1 or X.1.1))")
    assert.has_error(function() sc.decide("RCPT", 599) end)
    assert.has_error(function() sc.decide("RCPT", 1000) end)
    assert.has_error(function() sc.decide("RCPT", true) end,
      "bad argument #2 to 'decide' (Reply, Code or reply code expected, got boolean)")
    assert.has_error(function() sc.decide("RCPT", 250, {}) end,
      "bad argument #3 to 'decide' (Policy expected, got table)")
  end)
end)

describe("smtpcodes.policy", function()
  it("overrides by basic code, per command", function()
    local p = sc.policy { RCPT = { [550] = "retry" } }
    local action, info = p:decide("RCPT", 550)
    assert.are.equal("retry", action)
    assert.is_true(info.policy)
    assert.are.equal("policy overrides['RCPT'][550]", info.rule)
    assert.are.equal("fail", (p:decide("MAIL", 550)))
  end)

  it("lets an enhanced key beat a basic one, and X.s.d match any class", function()
    local p = sc.policy { RCPT = { [550] = "fail", ["5.7.1"] = "retry", ["X.2.2"] = "retry" } }
    assert.are.equal("retry", (p:decide("RCPT", sc.parse("550 5.7.1 policy\r\n"))))
    assert.are.equal("fail", (p:decide("RCPT", sc.parse("550 5.1.1 unknown\r\n"))))
    assert.are.equal("retry", (p:decide("RCPT", sc.parse("552 5.2.2 full\r\n"))))
    assert.are.equal("retry", (p:decide("RCPT", sc.parse("452 4.2.2 full\r\n"))))
  end)

  it("matches phrases as plain case-insensitive text", function()
    local p = sc.policy { ["*"] = { ["try again later"] = "retry", ["(.*"] = "close" } }
    assert.are.equal("retry", (p:decide("RCPT", sc.parse("550 Please TRY AGAIN LATER\r\n"))))
    assert.are.equal("close", (p:decide("MAIL", sc.parse("550 oops (.*\r\n"))))
    assert.are.equal("fail", (p:decide("MAIL", sc.parse("550 oops .*\r\n"))))
  end)

  it("takes a function that returns action and reason, or nil to pass", function()
    local seen
    local p = sc.policy { DATA_END = {
      [554] = function(reply, command)
        seen = { reply.code, command }
        if reply.text and reply.text:find("spam") then return "fail", "spam" end
      end,
    } }
    local action, info = p:decide("DATA_END", sc.parse("554 5.7.1 looks like spam\r\n"))
    assert.are.equal("fail", action)
    assert.are.equal("spam", info.reason)
    assert.are.same({ 554, "DATA_END" }, seen)
    action, info = p:decide("DATA_END", sc.parse("554 5.7.1 denied\r\n"))
    assert.are.equal("fail", action)
    assert.is_nil(info.policy)
    assert.has_error(function()
      sc.policy({ RCPT = { [550] = function() return "maybe" end } }):decide("RCPT", 550)
    end, "policy function at overrides['RCPT'][550] returned 'maybe', not an action")
  end)

  it("gives a reason of the policy's own the kind soft, whatever the code", function()
    local p = sc.policy { RCPT = { ["X.7.1"] = function() return "fail", "local_rule" end } }
    local _, info = p:decide("RCPT", sc.parse("550 5.7.1 no\r\n"))
    assert.are.same({ "local_rule", "soft" }, { info.reason, info.kind })
    _, info = p:decide("RCPT", sc.parse("450 4.7.1 no\r\n"))
    assert.are.same({ "local_rule", "soft" }, { info.reason, info.kind })
  end)

  it("tries the command's own table before '*'", function()
    local p = sc.policy { ["*"] = { [550] = "close" }, RCPT = { [550] = "retry" } }
    assert.are.equal("retry", (p:decide("RCPT", 550)))
    assert.are.equal("close", (p:decide("MAIL", 550)))
  end)

  it("falls back to the built-in rules for what it does not name", function()
    local p = sc.policy { RCPT = { [550] = "retry" } }
    assert.are.equal("close", (p:decide("RCPT", 421)))
    assert.are.equal("retry", (p:decide("RCPT", sc.parse("552 5.5.3 Too many recipients"))))
    assert.are.equal("ok", (sc.decide("RCPT", 250, p)))
  end)

  it("refuses a malformed override table, naming the bad key", function()
    local cases = {
      { { ["<a@b>"] = {} }, "key '<a@b>' is not a command name" },
      { { rcpt = {}, RCPT = {} }, "overrides['RCPT'] and overrides['rcpt'] both name RCPT" },
      { { ["rcpt to"] = {}, Rcpt = {} },
        "overrides['Rcpt'] and overrides['rcpt to'] both name RCPT" },
      { { RCPT = 5 }, "overrides['RCPT'] must be a table" },
      { { RCPT = { [999] = "fail" } }, "overrides['RCPT'][999]: not a reply code" },
      { { RCPT = { ["5.1"] = "fail" } }, "overrides['RCPT']['5.1']: not an enhanced status code" },
      { { RCPT = { [550] = "retyr" } }, "overrides['RCPT'][550]: 'retyr' is not an action" },
      { { RCPT = { [550] = true } }, "overrides['RCPT'][550]: boolean is not an action" },
      { { RCPT = { ["  "] = "fail" } }, "overrides['RCPT']['  ']: an empty phrase" },
      { { RCPT = { [true] = "fail" } }, "overrides['RCPT'][true]: a key is a code or a string" },
      { { [1] = {} }, "key 1 is not a command name" },
      { { require_tls = "yes" }, "require_tls must be a boolean" },
    }
    for _, case in ipairs(cases) do
      local ok, err = pcall(sc.policy, case[1])
      assert.is_false(ok)
      assert.matches("bad argument #1 to 'policy' (" .. case[2], err, 1, true)
    end
    assert.has_error(function() sc.policy("x") end,
      "bad argument #1 to 'policy' (table expected, got string)")
  end)
end)
