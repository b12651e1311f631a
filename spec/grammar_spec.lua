-- One input grammar across the API: decide, reason, policy and format read
-- codes as lookup does; command names are verbs; the command cache cannot be
-- made to grow; Replies with codes that only lenient parsing takes are
-- accepted everywhere a Reply is.
local support = require("spec.support")
local sc = require("smtpcodes")

describe("codes", function()
  it("are read by decide, reason and format exactly as lookup reads them", function()
    -- (reason reads any string but three digits as a reply's text)
    for _, bad in ipairs { "0x226", " 5.5e2 ", "5.5e2", "550.0", "+550", "550 ", "1e3", "" } do
      assert.is_nil((sc.lookup(bad)), bad)
      assert.has_error(function() sc.decide("RCPT", bad) end, nil, bad)
      -- reason takes any other string as a reply's text, never as a code
      local r, err = sc.reason(bad)
      local parsed = sc.parse((bad:gsub("^%s+", ""):gsub("%s+$", "")))
      if parsed then
        assert.are.equal((sc.reason(parsed)), r, bad)
      else
        assert.is_nil(r, bad)
        assert.is_string(err, bad)
      end
      assert.has_error(function() sc.format(bad) end, nil, bad)
      assert.has_error(function() sc.decide("RCPT", { code = bad }) end, nil, bad)
    end
    for _, good in ipairs { 550, "550", 550.0 } do
      assert.are.equal("fail", (sc.decide("RCPT", good)))
      assert.is_string((sc.reason(good)))
    end
    local ok, err = pcall(sc.decide, "RCPT", "0x226")
    assert.is_false(ok)
    assert.matches("bad argument #2 to 'decide' (invalid code '0x226'", err, 1, true)
  end)

  it("that lookup refuses are, as strings of three digits, a reply's text to reason", function()
    -- a three-digit line of a log or a bounce is untrusted: it never raises
    for _, digits in ipairs { "000", "003", "099", "600", "999", "270", "571" } do
      assert.is_nil((sc.lookup(digits)), digits)
      assert.has_error(function() sc.decide("RCPT", digits) end, nil, digits)
      local ok, r, err, rule = pcall(sc.reason, digits, "RCPT")
      assert.is_true(ok, r)
      local parsed = sc.parse(digits)
      if parsed then
        assert.are.same({ sc.reason(parsed, "RCPT") }, { r, err, rule }, digits)
      else
        assert.is_nil(r, digits)
        assert.matches("no SMTP reply in the text", err, 1, true)
      end
      ok, r = pcall(sc.policy({}).reason, sc.policy({}), digits)
      assert.is_true(ok, r)
    end
    -- "571" is read as parse reads it: a reply, by its first digit
    assert.are.equal("soft", select(2, sc.reason("571")))
  end)

  it("given as a table with a malformed enhanced code give an argument error", function()
    for _, bad in ipairs { "5.1", "5", "X.1.1", "5.01.1", 5, {}, "9.1.1" } do
      local ok, err = pcall(sc.decide, "RCPT", { code = 550, enhanced = bad })
      assert.is_false(ok)
      assert.matches("bad argument #2 to 'decide' (reply.enhanced: enhanced status code", err, 1,
        true)
      ok, err = pcall(sc.reason, { code = 550, enhanced = bad })
      assert.is_false(ok)
      assert.matches("bad argument #1 to 'reason' (reply.enhanced:", err, 1, true)
    end
    assert.are.equal("mailbox_full",
      select(2, sc.decide("RCPT", { code = 452, enhanced = "4.2.2", text = "full" })).reason)
  end)
end)

describe("command names", function()
  it("that no table lists are decided by the first digit and flagged unexpected", function()
    assert.are.same({ nil, "unknown command 'XCLIENT' in profile rfc5321" },
      { sc.command("XCLIENT") })
    for _, verb in ipairs { "XCLIENT", "xforward NAME=x", "X-SITE", "XEXCH50" } do
      local action, info = sc.decide(verb, 250)
      assert.are.equal("ok", action)
      assert.is_true(info.unexpected)
      assert.are.equal("session", info.scope)
      assert.matches("no table lists", info.rule, 1, true)
      assert.are.equal("retry", (sc.decide(verb, 451)))
      assert.are.equal("fail", (sc.decide(verb, 550)))
      assert.is_string((sc.reason(550, verb)))
    end
  end)

  it("that are no verb at all raise", function()
    for _, bad in ipairs { "", " ", "<a@b>", "123", ":RCPT", "RCPT<", "\0" } do
      assert.has_error(function() sc.decide(bad, 250) end, nil, bad)
      assert.has_error(function() sc.reason(550, bad) end, nil, bad)
      assert.has_error(function() sc.command(bad) end, nil, bad)
    end
  end)

  it("are cached as verbs only: a million distinct command lines leave the heap flat",
    function()
      local decide = sc.decide
      decide("RCPT TO:<warm@example.org>", 250)
      collectgarbage("collect")
      collectgarbage("collect")
      local before = collectgarbage("count")
      for i = 1, support.cases(1000000) do
        decide("RCPT TO:<user" .. i .. "@example.org>", 250)
      end
      collectgarbage("collect")
      collectgarbage("collect")
      local grew = collectgarbage("count") - before
      assert.is_true(grew < 1024, ("the heap grew by %.0f KiB"):format(grew))
    end)
end)

describe("Replies that only lenient parsing takes", function()
  it("are accepted by decide, reason and capabilities, by their first digit", function()
    local r = assert(sc.parse("571 No PTR Record found\r\n"))
    assert.is_nil(r.category)
    assert.are.equal("permanent", r.class)
    local action, info = sc.decide("RCPT", r)
    assert.are.equal("fail", action)
    assert.is_true(info.unexpected)
    assert.is_string((sc.reason(r)))
    assert.is_string((sc.reason(r, "RCPT")))
    assert.are.same({ nil, "not a successful EHLO reply: code '571'" },
      { sc.capabilities(r) })
    local p = sc.policy { RCPT = { [550] = "retry" } }
    assert.are.equal("fail", (p:decide("RCPT", r)))
    -- the number alone is no code
    assert.is_nil((sc.lookup(571)))
    assert.has_error(function() sc.decide("RCPT", 571) end)
  end)

  it("every Reply that parse or a reader returns is accepted without raising", function()
    math.randomseed(30)
    local pieces = { "250", "571", "199", "250-", "571-", "150 x", "5.1.1", "4.2.2 x", "ok", " ",
      "\r\n", "\n" }
    for _ = 1, support.cases(2000) do
      local t = {}
      for i = 1, math.random(1, 6) do t[i] = pieces[math.random(#pieces)] end
      local s = table.concat(t)
      local r = sc.parse(s)
      if r then
        for _, cmd in ipairs { "RCPT", "EHLO", "DATA_END", "XCLIENT" } do
          sc.decide(cmd, r)
          sc.reason(r, cmd)
        end
        sc.capabilities(r)
        tostring(r)
        r:status()
      end
    end
  end)
end)

describe("Code objects", function()
  it("list each command once", function()
    for _, c in ipairs(sc.codes()) do
      local seen = {}
      for _, name in ipairs(c.commands) do
        assert.is_nil(seen[name], c.code .. " lists " .. name .. " twice")
        seen[name] = true
      end
    end
    local bdat = 0
    for _, name in ipairs(sc.lookup(421).commands) do
      if name == "BDAT" then bdat = bdat + 1 end
    end
    assert.are.equal(1, bdat)
  end)

  it("have no text where the standards give none, as the README says", function()
    for _, code in ipairs { 200, 334, 422, 430, 524, 533, 559 } do
      assert.is_nil(sc.lookup(code).text, code)
    end
    assert.matches("| `text` | the standard text; nil for a code no standard defines, and for "
      .. "the codes the standards give no text (200, 334, 422, 430, 524, 533) |",
      support.read("README.md"), 1, true)
  end)
end)
