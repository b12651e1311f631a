local support = require("spec.support")

local function cli(args)
  return support.run(support.ENV .. support.LUA .. " bin/smtpcodes " .. args)
end

describe("bin/smtpcodes", function()
  it("explains a basic code", function()
    local out, err, status = cli("550")
    assert.are.equal(0, status, err)
    assert.matches("^550  Requested action not taken: mailbox unavailable\n", out)
    assert.matches("permanent negative", out)
    assert.matches("References: RFC 5321 §4.2.2", out, 1, true)
    assert.are.equal("", err)
  end)

  it("explains an enhanced code and a class-free one", function()
    local out, _, status = cli("5.7.1")
    assert.are.equal(0, status)
    assert.matches("^5%.7%.1  Delivery not authorized, message refused\n", out)
    assert.matches("class 5: Permanent Failure; subject 7: Security or Policy Status", out, 1, true)
    out, _, status = cli("X.1.1")
    assert.are.equal(0, status)
    assert.matches("^X%.1%.1  Bad destination mailbox address\n", out)
    assert.matches("Usual basic codes: 451 550", out, 1, true)
  end)

  it("explains a whole reply line, code and enhanced code", function()
    local out, _, status = cli("'451 4.7.1 Greylisted, try again later'")
    assert.are.equal(0, status)
    assert.matches("^451  Requested action aborted", out)
    assert.matches("\n4%.7%.1  Delivery not authorized", out)
  end)

  it("says what to do about a reply line, or a code with --command", function()
    local out = cli("'451 4.7.1 Greylisted, try later'")
    assert.matches("\nWhat to do: retry later; bounce reason greylisted %(soft%)\n$", out)
    out = cli("--command rcpt '552 5.5.3 Too many recipients'")
    assert.matches("\nWhat to do: retry later; bounce reason too_many_recipients %(soft%)\n$", out)
    out = cli("--command=quit '354 go ahead'")
    assert.matches("not a reply QUIT may get\n$", out)
    local err, status
    out, err, status = cli("--command xclient 550")
    assert.are.equal(0, status, err)
    assert.matches("no table of profile rfc5321 lists XCLIENT: decided by the first digit", out, 1,
      true)
    out, err, status = cli("--command '<frob>' 550")
    assert.are.equal(1, status)
    assert.are.equal("", out)
    assert.are.equal("smtpcodes: '<frob>' is no command name\n", err)
    out = cli("-p rfc2033 --command data_end '452 4.2.2 Mailbox full'")
    assert.matches("What to do: retry later", out, 1, true)
  end)

  it("shows a command's reply table, in either profile", function()
    local out, _, status = cli("rcpt")
    assert.are.equal(0, status)
    assert.matches("^RCPT %(profile rfc5321%)\n", out)
    assert.matches("\n  556  failure  Domain does not accept mail\n", out, 1, true)
    local old = cli("rcpt --profile rfc821")
    assert.matches("^RCPT %(profile rfc821%)\n", old)
    assert.matches("521  failure", old, 1, true)
    assert.is_nil(old:find("556", 1, true))
    assert.are.equal(old, (cli("--profile=rfc821 RCPT")))
  end)

  it("searches the texts", function()
    local out, _, status = cli("--search mailbox full")
    assert.are.equal(0, status)
    assert.are.equal("X.2.2 Mailbox full (mailbox status)\n", out)
    local _, err, status2 = cli("--search zebra")
    assert.are.equal(1, status2)
    assert.are.equal("smtpcodes: nothing matches 'zebra'\n", err)
  end)

  it("lists the commands", function()
    local out, _, status = cli("--commands --profile rfc821")
    assert.are.equal(0, status)
    assert.matches("^CONNECT DATA DATA_END EHLO EXPN HELO HELP MAIL NOOP QUIT RCPT RSET SAML"
      .. " SEND SOML TURN VRFY\n$", out)
  end)

  it("prints help and the version", function()
    local out, _, status = cli("--help")
    assert.are.equal(0, status)
    assert.matches("^usage: smtpcodes", out)
    for _, opt in ipairs { "--profile", "--command", "--search", "--commands", "--help",
      "--version" } do
      assert.matches(opt, out, 1, true)
    end
    out = cli("--version")
    assert.matches("^smtpcodes %d+%.%d+%.%d+\n$", out)
  end)

  it("fails with one clear line for malformed or unknown input", function()
    local cases = {
      { "5.1", "smtpcodes: invalid code '5.1': an enhanced code has three parts" },
      { "abc", "smtpcodes: unknown command 'ABC' in profile rfc5321" },
      { "turn", "smtpcodes: unknown command 'TURN' in profile rfc5321 (profile rfc821 has it: "
        .. "try -p rfc821)" },
      { "lhlo", "smtpcodes: unknown command 'LHLO' in profile rfc5321 (profile rfc2033 has it: "
        .. "try -p rfc2033)" },
      { "'<a>'", "smtpcodes: '<a>' is no code, reply or command name" },
      { "99", "smtpcodes: invalid code '99': a reply code has three digits" },
      { "--profile rfc2821 rcpt", "smtpcodes: unknown profile 'rfc2821'" },
      { "'550 ok\n221 bye'", "smtpcodes: no SMTP reply in the text: line 2: more text after the "
        .. "final line: '221 bye'" },
    }
    for _, case in ipairs(cases) do
      local out, err, status = cli(case[1])
      assert.are.equal(1, status, case[1])
      assert.are.equal("", out, case[1])
      assert.matches("^" .. case[2]:gsub("%p", "%%%0"), err)
      assert.matches("^[^\n]*\n$", err)
    end
  end)

  it("explains a code no standard defines by its digits, and exits 1", function()
    local out, err, status = cli("559")
    assert.are.equal(1, status)
    assert.matches("No standard defines 559", out)
    assert.are.equal("smtpcodes: 559: not defined by any standard (explained by its digits)\n", err)
  end)

  it("refuses unknown options and missing arguments as usage errors", function()
    local _, err, status = cli("--frobnicate")
    assert.are.equal(2, status)
    assert.matches("unknown option %-%-frobnicate", err)
    _, _, status = cli("")
    assert.are.equal(2, status)
    for _, opt in ipairs { "--profile", "-p", "--command" } do
      _, err, status = cli(opt)
      assert.are.equal(2, status, opt)
      assert.matches("^smtpcodes: " .. opt:gsub("%-", "%%-") .. " needs a", err)
    end
  end)

  it("keeps every line within 80 columns", function()
    for _, args in ipairs { "550", "5.7.1", "rcpt", "bdat", "X.6.8", "421" } do
      local out = cli(args)
      for line in out:gmatch("[^\n]+") do
        assert.is_true(support.ulen(line) <= 80, args .. ": " .. line)
      end
    end
  end)
end)

describe("bin/smtpcodes with several things to explain", function()
  it("goes on past a malformed one, reports each error, and exits 1 at the end", function()
    local out, err, status = cli("550 5.1 turn 4.7.1 '550 ok\n221 bye' 221")
    assert.are.equal(1, status)
    assert.matches("^550  Requested action not taken", out)
    assert.matches("\n\n4%.7%.1  Delivery not authorized", out)
    assert.matches("\n\n221  <domain> Service closing", out)
    assert.is_nil(out:find("\n\n\n", 1, true))
    local lines = {}
    for l in err:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.are.same({
      "smtpcodes: invalid code '5.1': an enhanced code has three parts (class.subject.detail, "
        .. "as in 5.1.1)",
      "smtpcodes: unknown command 'TURN' in profile rfc5321 (profile rfc821 has it: try -p "
        .. "rfc821)",
      "smtpcodes: no SMTP reply in the text: line 2: more text after the final line: '221 bye'",
    }, lines)
    out, err, status = cli("550 221")
    assert.are.equal(0, status, err .. out)
  end)

  it("reads them from standard input with -", function()
    local f = os.tmpname()
    local h = assert(io.open(f, "wb"))
    h:write("550\r\n\n451 4.7.1 Greylisted, try later\nnonsense<\n")
    h:close()
    local out, err, status = cli("- < " .. f)
    os.remove(f)
    assert.are.equal(1, status)
    assert.matches("^550  Requested action not taken", out)
    assert.matches("What to do: retry later; bounce reason greylisted", out, 1, true)
    assert.are.equal("smtpcodes: 'nonsense<' is no code, reply or command name\n", err)
  end)

  it("finds the relay-denied codes with --search relay", function()
    local out, _, status = cli("--search relay")
    assert.are.equal(0, status)
    for _, code in ipairs { "550", "551", "554", "454" } do
      assert.matches("\n" .. code .. " ", "\n" .. out)
    end
  end)
end)

describe("from a fresh checkout", function()
  it("bin/smtpcodes runs without an install and without LUA_PATH, on its own modules", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert.is_true(support.copy_source(dir))
    -- nothing built there: the pure-Lua core stands in
    local clean = "env -u LUA_PATH -u LUA_CPATH -u SMTPCODES_BACKEND "
    local out, err, status = support.run(("cd / && %s%s %s/bin/smtpcodes 4.7.1")
      :format(clean, support.LUA, dir))
    assert.are.equal(0, status, err)
    assert.matches("^4%.7%.1  Delivery not authorized", out)
    out, err, status = support.run(("cd %s && %s%s bin/smtpcodes 550")
      :format(dir, clean, support.LUA))
    assert.are.equal(0, status, err)
    assert.matches("^550  Requested action not taken", out)
    support.execute("rm -rf " .. dir)
  end)

  it("make repl starts an interpreter with smtpcodes loaded", function()
    local out, err, status = support.run("echo 'print(smtpcodes[550].code, smtpcodes.backend)' | "
      .. "make -s repl LUA=" .. support.LUANAME .. " 2>&1")
    assert.are.equal(0, status, err)
    assert.matches("550\t" .. (os.getenv("SMTPCODES_BACKEND") or "c"), out, 1, true)
  end)
end)

describe("bin/smtpcodes and bounces", function()
  it("explains a pasted log line as its delivery result", function()
    local line = support.read("spec/fixtures/bounces/logs-postfix.log"):match("^[^\n]+")
    local out, err, status = cli(support.shq(line))
    assert.are.equal(0, status, err)
    assert.are.equal("nobody@example.net fail 550 5.1.1 user_unknown hard RCPT mail.example.net "
      .. "postfix -\n", out)
  end)

  it("reads a bounce message or log file with --bounces, from a file or standard input", function()
    local out, err, status = cli("--bounces spec/fixtures/bounces/dsn-postfix-style.eml")
    assert.are.equal(0, status, err)
    assert.are.equal("nobody@example.net fail 550 5.1.1 user_unknown hard - mail.example.net "
      .. "dsn failed\nfull@example.net retry 452 4.2.2 mailbox_full soft - mail.example.net dsn "
      .. "delayed\nann@example.net ok - 2.0.0 - - - mx.example.org dsn delivered\n", out)
    local again = cli("-b - < spec/fixtures/bounces/dsn-postfix-style.eml")
    assert.are.equal(out, again)
    local _, err2, status2 = cli("--bounces spec/fixtures/replies/postfix-session.txt "
      .. "/nonexistent")
    assert.are.equal(1, status2)
    assert.matches("no delivery result found", err2, 1, true)
    assert.matches("/nonexistent", err2, 1, true)
  end)

  it("prints one JSON object per record per line with --json", function()
    local cjson = require("cjson")
    local out, err, status = cli("--bounces --json spec/fixtures/bounces/logs-others.log")
    assert.are.equal(0, status, err)
    local n = 0
    for line in out:gmatch("[^\n]+") do
      n = n + 1
      local r = cjson.decode(line)
      assert.is_string(r.recipient)
      assert.is_string(r.source)
    end
    assert.are.equal(6, n)
    local first = cjson.decode(out:match("^[^\n]+"))
    assert.are.same({ "nobody@example.net", 550, "user_unknown", "hard", "No such user here" },
      { first.recipient, first.code, first.reason, first.kind, first.text })
  end)
end)
