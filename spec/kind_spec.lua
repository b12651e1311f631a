-- What "hard" means: the recipient address itself is bad (unknown user,
-- unknown or mail-less domain, an address that moved), so a list should
-- stop mailing it. Everything else is "soft": a disabled or inactive
-- mailbox, and 5xx refusals for spam, policy, reputation, size or
-- authentication, where the address is fine and the sender or the message is
-- the problem (Sisimai's hardbounce; see shared reference bounce-reasons.md).
local sc = require("smtpcodes")

local function kind(text, command)
  local reason, k = sc.reason(assert(sc.parse(text)), command)
  return k, reason
end

describe("the kind of a bounce", function()
  it("is hard only for reasons that say the address is bad", function()
    local hard = {}
    for _, r in ipairs(sc.reasons()) do
      assert.truthy(r.kind == "hard" or r.kind == "soft", r.name .. " " .. r.kind)
      if r.kind == "hard" then hard[#hard + 1] = r.name end
    end
    table.sort(hard)
    assert.are.same({ "host_unknown", "user_unknown" }, hard)
  end)

  it("is hard for an unknown user, an unknown domain and an address that moved", function()
    assert.are.equal("hard", (kind("550 5.1.1 <x@example.org>: no such user\r\n", "RCPT")))
    assert.are.equal("hard", (kind("550 5.1.2 bad destination system\r\n", "RCPT")))
    assert.are.equal("hard", (kind("550 5.1.6 mailbox has moved\r\n", "RCPT")))
    assert.are.equal("hard", (kind("556 5.1.10 null MX\r\n", "RCPT")))
  end)

  it("is soft for spam, policy, reputation, size and authentication refusals", function()
    for _, text in ipairs {
      "550 5.7.1 Message rejected as spam\r\n",
      "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org\r\n",
      "550 5.7.26 Unauthenticated email from example.com is not accepted due to DMARC\r\n",
      "552 5.3.4 Message size exceeds fixed maximum message size\r\n",
      "550 5.7.0 Local policy violation\r\n",
      "554 5.7.9 Message not accepted for policy reasons\r\n",
      "530 5.7.0 Must issue a STARTTLS command first\r\n",
      "550 5.2.1 The email account that you tried to reach is disabled\r\n",
      "550 Administrative prohibition\r\n",
    } do
      assert.are.equal("soft", (kind(text, "RCPT")), text)
    end
  end)

  it("is soft for a disabled or inactive mailbox (it may come back)", function()
    assert.are.same({ "soft", "mailbox_disabled" }, { kind("550 5.2.1 mailbox disabled\r\n") })
  end)

  it("is what decide reports too", function()
    local _, info = sc.decide("DATA_END", sc.parse("550 5.7.1 Message rejected as spam\r\n"))
    assert.are.equal("soft", info.kind)
    _, info = sc.decide("RCPT", sc.parse("550 5.1.1 no such user\r\n"))
    assert.are.equal("hard", info.kind)
  end)
end)

describe("sender_auth", function()
  it("is the reason of SPF, DKIM and DMARC failures (X.7.20 to X.7.24, X.7.26)", function()
    for _, st in ipairs { "5.7.20", "5.7.21", "5.7.22", "5.7.23", "5.7.24", "5.7.26" } do
      local reason, k = sc.reason(sc.parse("550 " .. st .. " x\r\n"))
      assert.are.same({ "sender_auth", "soft" }, { reason, k }, st)
    end
  end)

  it("is distinct from auth_failed, which 5.7.8, 5.7.9 and 5.7.13 mean only to AUTH", function()
    assert.are.equal("auth_failed", (sc.reason(sc.parse("535 5.7.8 bad credentials\r\n"), "AUTH")))
    assert.are.equal("auth_failed", (sc.reason(sc.parse("534 5.7.9 too weak\r\n"), "AUTH")))
    assert.are_not.equal("auth_failed",
      (sc.reason(sc.parse("554 5.7.9 Message not accepted for policy reasons\r\n"), "DATA_END")))
    assert.are_not.equal("auth_failed",
      (sc.reason(sc.parse("550 5.7.13 user account disabled\r\n"), "RCPT")))
  end)
end)

describe("user_unknown", function()
  it("needs positive evidence: a bare 550 to RCPT is not an unknown user", function()
    assert.are_not.equal("user_unknown", (sc.reason(550, "RCPT")))
    assert.are_not.equal("user_unknown", (sc.reason(sc.parse("550 Administrative prohibition\r\n"),
      "RCPT")))
    assert.are.equal("user_unknown", (sc.reason(sc.parse("550 No such user here\r\n"), "RCPT")))
  end)
end)

describe("reasons on real providers' replies", function()
  -- the replies a trial with real providers' texts got wrong
  local CASES = {
    { "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
      .. "[BN1NAM02FT022.eop-nam02.prod.protection.outlook.com]", "user_unknown" },
    { "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
      "user_unknown" },
    { "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0]",
      "user_unknown" },
    { "550 Administrative prohibition", "policy" },
    { "550-5.2.1 The user you are trying to contact is receiving mail at a rate that "
      .. "550-5.2.1 prevents additional messages from being delivered. For more "
      .. "550 5.2.1 information, visit https://support.google.com/mail/?p=ReceivingRate - gsmtp",
      "rate_limited" },
    { "452 4.4.5 Insufficient disk space; try again later", "system" },
  }
  for _, case in ipairs(CASES) do
    it("reads " .. case[1]:sub(1, 50), function()
      assert.are.equal(case[2], (sc.reason(case[1], "RCPT")))
    end)
  end
end)

describe("smtpcodes.reason on raw text", function()
  it("takes a number or three digits as a code, and any other string as reply text", function()
    assert.are.equal((sc.reason(550)), (sc.reason("550")))
    assert.are.equal("user_unknown", (sc.reason("550 5.1.1 no such user")))
    assert.are.equal("user_unknown", (sc.reason("  550-5.1.1 first\r\n  550 5.1.1 second\r\n")))
  end)

  it("answers nil and a message for text that holds no reply, and never raises on it", function()
    for _, bad in ipairs { "", "hello", "55", "\0\1\2", ("x"):rep(10000), "5.1.1" } do
      local r, err = sc.reason(bad)
      assert.is_nil(r, bad)
      assert.is_string(err, bad)
    end
  end)
end)

describe("a policy's own reason rules", function()
  it("add or override reasons in a few lines, for policy:reason and decide", function()
    local p = sc.policy {
      reasons = {
        ["mailbox is frozen"] = "mailbox_disabled",
        ["5.7.1"] = "spam",
        [554] = "content",
        ["our own wording"] = "site_rule",
      },
    }
    local reason, k = p:reason("550 5.1.1 user unknown, mailbox is frozen", "RCPT")
    assert.are.same({ "mailbox_disabled", "soft" }, { reason, k })
    assert.are.equal("spam", (p:reason("550 5.7.1 refused")))
    assert.are.equal("content", (p:reason(554)))
    reason, k = p:reason("550 our own wording")
    assert.are.same({ "site_rule", "soft" }, { reason, k })
    -- the built-in rules for the rest, and the plain reason is unchanged
    assert.are.equal("user_unknown", (p:reason("550 5.1.1 no such user")))
    assert.are.equal("policy", (sc.reason("550 5.7.1 refused")))
    local _, info = p:decide("DATA_END", sc.parse("550 5.7.1 refused\r\n"))
    assert.are.equal("spam", info.reason)
  end)

  it("are refused, naming the key, when malformed", function()
    assert.has_error(function() sc.policy { reasons = 5 } end,
      "bad argument #1 to 'policy' (overrides.reasons must be a table)")
    assert.has_error(function() sc.policy { reasons = { [999] = "x" } } end,
      "bad argument #1 to 'policy' (overrides.reasons[999]: not a reply code)")
    assert.has_error(function() sc.policy { reasons = { ["5.7.1"] = "two words" } } end,
      "bad argument #1 to 'policy' (overrides.reasons['5.7.1']: a reason is a name (letters, "
      .. "digits, _), not 'two words')")
  end)
end)
