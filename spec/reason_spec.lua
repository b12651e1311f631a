local sc = require("smtpcodes")
local support = require("spec.support")

local VOCABULARY = { "user_unknown", "mailbox_full", "mailbox_disabled", "message_too_big",
  "relay_denied", "sender_rejected", "spam", "virus", "policy", "blocklisted", "auth_required",
  "auth_failed", "sender_auth", "tls_required", "rate_limited", "too_many_connections",
  "greylisted",
  "host_unknown", "routing", "network", "system", "syntax", "expired", "content", "unknown" }

local function reason(text, command)
  local name, kind = sc.reason(assert(sc.parse(text)), command)
  return name, kind
end

describe("smtpcodes.reason", function()
  it("has the documented vocabulary", function()
    local names = {}
    for _, r in ipairs(sc.reasons()) do
      names[r.name] = true
      assert.truthy(r.kind == "hard" or r.kind == "soft", r.name)
      assert.is_string(r.description)
    end
    for _, name in ipairs(VOCABULARY) do assert.is_true(names[name], name) end
  end)

  it("maps every detail code of the registry to a reason", function()
    local names = support.set {}
    for _, r in ipairs(sc.reasons()) do names[r.name] = true end
    for _, st in ipairs(sc.statuses()) do
      for _, class in ipairs { "4", "5" } do
        local code = class == "4" and 451 or 550
        local name = sc.reason(sc.parse(("%d %s x\r\n"):format(code, class .. st.code:sub(2))))
        assert.is_true(names[name], st.code)
      end
    end
  end)

  it("reads the enhanced code first", function()
    assert.are.same({ "user_unknown", "hard" }, { reason("550 5.1.1 whatever\r\n") })
    assert.are.same({ "mailbox_full", "soft" }, { reason("552 5.2.2 over quota\r\n") })
    assert.are.same({ "message_too_big", "soft" }, { reason("552 5.3.4 too big\r\n") })
    assert.are.same({ "tls_required", "soft" }, { reason("530 5.7.11 TLS please\r\n") })
    assert.are.same({ "greylisted", "soft" }, { reason("451 4.7.1 Greylisted, retry\r\n") })
  end)

  it("falls back on the subject of an unassigned detail (RFC 3463 §2)", function()
    -- X.1.0 says only "addressing": no evidence that the address is bad
    assert.are.equal("unknown", (reason("550 5.1.99 odd\r\n")))
    assert.are.equal("mailbox_disabled", (reason("550 5.2.99 odd\r\n")))
    assert.are.equal("network", (reason("451 4.4.99 odd\r\n")))
  end)

  it("then reads the basic code with the command", function()
    assert.are.equal("unknown", (sc.reason(550, "RCPT")))
    assert.are.equal("sender_rejected", (sc.reason(550, "MAIL")))
    assert.are.equal("policy", (sc.reason(550)))
    assert.are.equal("too_many_recipients", (sc.reason(452, "RCPT")))
    assert.are.equal("system", (sc.reason(452, "MAIL")))
    assert.are.equal("message_too_big", (sc.reason(552, "DATA_END")))
    assert.are.equal("auth_required", (sc.reason(530)))
  end)

  it("then reads well-known phrases of servers that send no enhanced code", function()
    local cases = {
      { "550 <x@example.org>: Recipient address rejected: User unknown\r\n", "user_unknown" },
      { "552 Mailbox full\r\n", "mailbox_full" },
      { "450 Greylisted, please try again in 300 seconds\r\n", "greylisted" },
      { "421 Too many connections from your IP\r\n", "too_many_connections" },
      { "554 Service unavailable; client host blocked using zen.spamhaus.org\r\n",
        "blocklisted" },
      { "554 Relay access denied\r\n", "relay_denied" },
      { "550 Message rejected as spam\r\n", "spam" },
      { "554 Virus found in attachment\r\n", "virus" },
      { "451 Rate limit exceeded, slow down\r\n", "rate_limited" },
      { "530 Must issue a STARTTLS command first\r\n", "tls_required" },
    }
    for _, case in ipairs(cases) do
      assert.are.equal(case[2], (reason(case[1])), case[1])
    end
  end)

  it("lets a strong phrase beat a weak generic code", function()
    assert.are.equal("blocklisted",
      (reason("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using "
        .. "zen.spamhaus.org\r\n")))
    assert.are.equal("user_unknown", (reason("550 5.0.0 User unknown\r\n", "RCPT")))
  end)

  it("decides hard or soft by the reason, never by the digit", function()
    assert.are.same({ "user_unknown", "hard" }, { reason("450 4.1.1 User unknown\r\n") })
    assert.are.same({ "greylisted", "soft" }, { reason("550 greylisted\r\n") })
    assert.are.same({ "policy", "soft" }, { reason("451 4.7.1 policy\r\n") })
    assert.are.same({ "policy", "soft" }, { reason("550 5.7.1 policy\r\n") })
  end)

  it("answers unknown when nothing says more than the code", function()
    assert.are.same({ "unknown", "soft" }, { reason("559 what\r\n") })
    local name, kind, rule = sc.reason(459)
    assert.are.same({ "policy", "soft", "RFC 1985 §5.1" }, { name, kind, rule })
    name, kind = sc.reason(449)
    assert.are.same({ "unknown", "soft" }, { name, kind })
  end)

  it("gives nil for a reply that is no failure", function()
    assert.is_nil(sc.reason(250))
    assert.is_nil(sc.reason(sc.parse("354 go ahead\r\n")))
  end)

  it("matches phrases as plain text, fast on hostile text", function()
    local text = "550 " .. ("(((%a%a%a*.-" ):rep(300) .. "\r\n"
    local r = assert(sc.parse(text))
    assert.are.equal("policy", (sc.reason(r)))
  end)

  -- the reason and the kind (not the rule)
  local function rk(name, kind) return { name, kind } end

  describe("reads a rule with the command it answers", function()
    it("in reply to MAIL, an unknown address or a quota is the sender's", function()
      assert.are.same({ "sender_rejected", "soft" },
        rk(sc.reason("550 5.1.1 <a@example.net>... User unknown", "MAIL")))
      assert.are.same({ "sender_rejected", "soft" }, rk(sc.reason("553 5.1.8 <a@example.net>... "
        .. "Domain of sender address a@example.net does not exist")))
      assert.are.same({ "rate_limited", "soft" }, rk(sc.reason("550 5.7.1 Email quota exceeded.",
        "MAIL")))
      assert.are.same({ "mailbox_full", "soft" }, rk(sc.reason("550 5.7.1 Email quota exceeded.",
        "RCPT")))
    end)

    it("after DATA an unknown user is a filter's verdict: soft", function()
      assert.are.same({ "user_unknown", "soft" },
        rk(sc.reason("550 5.1.1 <a@example.net>: User unknown", "DATA_END")))
      assert.are.same({ "user_unknown", "hard" },
        rk(sc.reason("550 5.1.1 <a@example.net>: User unknown", "RCPT")))
      local _, info = sc.decide("DATA_END", sc.parse("550 5.1.1 User unknown\r\n"))
      assert.are.same({ "user_unknown", "soft" }, { info.reason, info.kind })
    end)

    it("after DATA a provider's documented wording still says what it says", function()
      -- Yahoo checks its accounts only after DATA, and says so in its own words
      local yahoo = "554 delivery error: dd This user doesn't have a yahoo.com account "
        .. "(someone@yahoo.com) [0] - mta1061.mail.ne1.yahoo.com"
      for _, cmd in ipairs { "RCPT", "DATA", "DATA_END" } do
        assert.are.same({ "user_unknown", "hard" }, rk(sc.reason(yahoo, cmd)), cmd)
        local _, info = sc.decide(cmd, sc.parse(yahoo))
        assert.are.same({ "user_unknown", "hard" }, { info.reason, info.kind }, cmd)
      end
      -- generic wording stays a filter's verdict there
      assert.are.same({ "user_unknown", "soft" },
        rk(sc.reason("554 delivery error: This user doesn't exist", "DATA")))
    end)

    it("a refusal of AUTH that no wording explains is an authentication failure", function()
      assert.are.equal("auth_failed",
        (sc.reason("535 5.7.1 Username and Password not accepted.", "AUTH")))
      assert.are.equal("auth_failed", (sc.reason("504 5.7.4 Unrecognized Authentication Type.",
        "AUTH")))
      assert.are.equal("policy", (sc.reason("504 5.7.4 Unrecognized Authentication Type.")))
      assert.are.equal("tls_required", (sc.reason("530 5.7.0 Must issue a STARTTLS command first.",
        "AUTH")))
    end)
  end)

  describe("finds the reply in raw text as logs and DSNs have it", function()
    it("after other words, with the command they name", function()
      local text = "host mx.example.net[192.0.2.1] said: 550 5.1.1 <a@example.net>: User "
        .. "unknown (in reply to RCPT TO command)"
      assert.are.same({ "user_unknown", "hard" }, rk(sc.reason(text)))
      text = text:gsub("RCPT TO", "end of DATA")
      assert.are.same({ "user_unknown", "soft" }, rk(sc.reason(text)))
      assert.are.same({ "spam", "soft" }, rk(sc.reason("5.3.0 - Other mail system problem "
        .. "550-'Message rejected as spam' (delivery attempts: 0)")))
    end)

    it("cut after the first line of a multi-line reply", function()
      assert.are.same({ "sender_auth", "soft" }, rk(sc.reason("550-5.7.26 The MAIL FROM domain "
        .. "[example.org] has an SPF record with a hard fail")))
    end)

    it("but a text that starts with a reply is that reply or none", function()
      local r, err = sc.reason("550 ok\n221 bye")
      assert.is_nil(r)
      assert.matches("more text after the final line", err)
    end)

    it("with qmail's enhanced code at the end: (#5.7.1)", function()
      local text = "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"
      assert.are.equal("policy", (sc.reason(text)))
      assert.are.equal("unknown", (sc.reason((text:gsub(" %(#5%.7%.1%)", "")))))
      -- a hint of another class, or no registry code, is not taken
      assert.are.equal("unknown", (sc.reason((text:gsub("#5", "#4")))))
    end)
  end)

  it("takes several unknown recipients for the sender's behaviour, not a bad address", function()
    assert.are.same({ "policy", "soft" },
      rk(sc.reason("451 VS1-IP Excessive unknown recipients - possible Open Relay (#4.1.8)",
        "RCPT")))
  end)

  it("knows providers' codes from their references", function()
    local cases = {
      { "554 5.7.0 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1", "blocklisted" },
      { "554 cmsmtp blocked. Refer to Error Codes section at "
        .. "https://www.cox.com/internet/support/email-error-codes.html for more information. "
        .. "AUP#CXBL", "blocklisted" },
      { "421 cmsmtp blocked. AUP#CXCNCT", "too_many_connections" },
      { "421 mwinf5c77 ME Service refuse. Veuillez essayer plus tard. Service refused, please "
        .. "try later. OFR_999 [999]", "blocklisted" },
      { "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]",
        "mailbox_full" },
      { "451 Internal resource temporarily unavailable", "greylisted" },
      { "432 4.3.2 STOREDRV.Deliver; recipient thread limit exceeded", "rate_limited" },
      { "554 30 Sorry, your message to a@aol.example cannot be delivered. This mailbox is "
        .. "disabled (554.30)", "mailbox_disabled" },
    }
    for _, c in ipairs(cases) do
      assert.are.equal(c[2], (sc.reason(c[1])), c[1])
    end
  end)

  it("reads the common wordings of unknown users, quotas, volume and sender authentication",
    function()
      local cases = {
        { "550 No such recipient here", "user_unknown", "hard" },
        { "550 5.1.1 Invalid mailbox: a@example.org", "user_unknown", "hard" },
        { "552 Requested mail action aborted: exceeded storage allocation", "mailbox_full",
          "soft" },
        { "421 4.7.1 Messages to a@example.org deferred due to excessive volume.",
          "rate_limited", "soft" },
        { "550 5.7.26 The sender is unauthenticated.", "sender_auth", "soft" },
        { "554 5.7.0 Too Many Unauthenticated commands.", "auth_required", "soft" },
        { "554 Service currently unavailable", "system", "soft" },
      }
      for _, c in ipairs(cases) do
        assert.are.same({ c[2], c[3] }, rk(sc.reason(c[1])), c[1])
      end
    end)

  it("prefers any wording to a bare basic code", function()
    assert.are.equal("policy", (sc.reason("550 Denied by policy", "RCPT")))
    assert.are.equal("unknown", (sc.reason("550 Denied", "RCPT")))
  end)

  it("raises for bad arguments", function()
    assert.has_error(function() sc.reason(nil) end,
      "bad argument #1 to 'reason' (Reply, Code or reply code expected, got nil)")
    assert.has_error(function() sc.reason(550, "<FROB>") end,
      "bad argument #2 to 'reason' (command name expected, got '<FROB>')")
    assert.are.equal((sc.reason(550)), (sc.reason(550, "XFROB")))
  end)
end)
