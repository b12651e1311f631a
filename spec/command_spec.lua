local support = require("spec.support")
local sc = require("smtpcodes")

describe("smtpcodes.command", function()
  it("gives the RFC 5321 4.3.2 table by default, sorted", function()
    local rcpt = sc.command("RCPT")
    assert.are.equal("RCPT", rcpt.name)
    assert.are.equal("rfc5321", rcpt.profile)
    assert.are.same({ 250, 251 }, { support.unpack(rcpt.success) })
    assert.are.same({}, { support.unpack(rcpt.intermediate) })
    local failure = { support.unpack(rcpt.failure) }
    for i = 2, #failure do assert.is_true(failure[i - 1] < failure[i]) end
    assert.are.equal(rcpt, sc.command("rcpt"))
    assert.are.equal(rcpt, sc.command("Rcpt", "rfc5321"))
  end)

  it("reads the verb of a whole command line", function()
    assert.are.equal(sc.command("RCPT"), sc.command("RCPT TO:<someone@example.org>"))
    assert.are.equal(sc.command("MAIL"), sc.command("mail from:<>"))
  end)

  it("has the pseudo-commands CONNECT and DATA_END", function()
    assert.is_true(sc.command("connect"):allows(220))
    assert.is_true(sc.command("CONNECT"):allows(554))
    assert.is_true(sc.command("data_end"):allows(250))
    assert.is_false(sc.command("DATA_END"):allows(354))
  end)

  it("lets any command but the greeting get 500, 501 and 421 (RFC 5321 4.3.2)", function()
    for _, name in ipairs(sc.commands()) do
      local cmd = sc.command(name)
      assert.is_true(cmd:allows(421), name)
      if name ~= "CONNECT" then
        assert.is_true(cmd:allows(500), name)
        assert.is_true(cmd:allows(501), name)
      end
    end
  end)

  it("has the extension commands of the default profile", function()
    for name, code in pairs { AUTH = 334, STARTTLS = 220, ETRN = 253, BDAT = 250, BURL = 250,
      ATRN = 453 } do
      assert.is_true(sc.command(name):allows(code), name)
    end
    assert.is_true(sc.command("AUTH"):allows(235))
    assert.is_true(sc.command("DATA"):allows(355))
    assert.is_true(sc.command("RCPT"):allows(556))
    assert.is_true(sc.command("CONNECT"):allows(521))
  end)

  it("allows every 4yz and 5yz to BDAT (RFC 3030 2)", function()
    local bdat = sc.command("BDAT")
    assert.are.same({ 4, 5 }, { support.unpack(bdat.any) })
    assert.is_true(bdat:allows(459))
    assert.is_true(bdat:allows(599))
    assert.is_false(bdat:allows(354))
    assert.are.equal("RFC 3030 §2", bdat:reference(459))
  end)

  it("tells which references list a code", function()
    local rcpt = sc.command("RCPT")
    assert.matches("RFC 5321 §4.3.2", rcpt:reference(550), 1, true)
    assert.matches("RFC 5321 §4.5.3.1.10", rcpt:reference(452), 1, true)
    assert.is_nil(rcpt:reference(354))
    assert.is_true(#rcpt.references > 3)
  end)

  it("accepts Code and Reply objects in allows()", function()
    assert.is_true(sc.command("DATA"):allows(sc.lookup(354)))
    assert.is_true(sc.command("DATA"):allows(sc.parse("354 go ahead\r\n")))
    assert.is_false(sc.command("QUIT"):allows(sc.lookup(354)))
  end)

  it("keeps the classic table in profile rfc821", function()
    local turn = sc.command("TURN", "rfc821")
    assert.are.same({ 250 }, { support.unpack(turn.success) })
    assert.are.same({ 500, 502, 503 }, { support.unpack(turn.failure) })
    assert.is_true(sc.command("NOOP", "rfc821"):allows(200))
    assert.is_nil(sc.command("TURN"))
    assert.is_nil(sc.command("AUTH", "rfc821"))
  end)

  it("returns nil and a message for an unknown command", function()
    local cmd, err = sc.command("FROB")
    assert.is_nil(cmd)
    assert.are.equal("unknown command 'FROB' in profile rfc5321", err)
    assert.are.same({ nil, "unknown command 'XCLIENT' in profile rfc5321" },
      { sc.command("xclient ADDR=192.0.2.1") })
    assert.has_error(function() sc.command("") end,
      "bad argument #1 to 'command' (command name expected, got '')")
    assert.has_error(function() sc.command("\0\1") end)
  end)

  it("raises for a wrong type or an unknown profile", function()
    assert.has_error(function() sc.command(1) end,
      "bad argument #1 to 'command' (string expected, got number)")
    assert.has_error(function() sc.command("RCPT", 5321) end,
      "bad argument #2 to 'command' (string expected, got number)")
    assert.has_error(function() sc.command("RCPT", "rfc2821") end,
      "bad argument #2 to 'command' " ..
      "(unknown profile 'rfc2821'; the profiles are rfc5321, rfc2033, rfc821)")
    assert.has_error(function() sc.command("RCPT"):allows("x") end)
  end)

  it("is cached and shared, a plain table whose fields pairs sees", function()
    local mail = sc.command("MAIL")
    assert.are.equal(mail, sc.command("MAIL"))
    local fields = {}
    for k in pairs(mail) do fields[k] = true end
    for _, k in ipairs { "name", "profile", "success", "intermediate", "failure", "any",
      "any_references", "references" } do
      assert.is_true(fields[k], k)
    end
    assert.are.equal(#mail.failure, select("#", support.unpack(mail.failure)))
    assert.are.equal(getmetatable(mail), sc.command("RCPT") and getmetatable(sc.command("RCPT")))
  end)

  it("prints a one-line summary", function()
    assert.are.equal("QUIT (rfc5321): success 221; intermediate -; failure 421 500 501",
      tostring(sc.command("QUIT")))
  end)
end)

describe("smtpcodes.commands and smtpcodes.profiles", function()
  it("list the commands of a profile and the profiles", function()
    assert.are.same({ "rfc5321", "rfc2033", "rfc821" }, sc.profiles())
    local names = sc.commands()
    assert.are.same(names, sc.commands("rfc5321"))
    local have = {}
    for _, n in ipairs(names) do have[n] = true end
    for _, want in ipairs { "CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "DATA_END",
      "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT", "AUTH", "STARTTLS", "ETRN", "BDAT", "BURL",
      "ATRN" } do
      assert.is_true(have[want], want)
    end
    assert.are.equal(17, #sc.commands("rfc821"))
    assert.has_error(function() sc.commands("x") end)
  end)
end)
