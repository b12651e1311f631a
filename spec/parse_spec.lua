-- smtpcodes.parse: table-driven cases. Each case: the bytes, then what the
-- reply must be (code, enhanced, lines, warnings matched as patterns), or
-- the error it must give.
local support = require("spec.support")
local sc = require("smtpcodes")

local OK = {
  -- RFC 5321 4.2.1: multi-line, text beginning with numbers
  { "250-First line\r\n250-Second line\r\n250-234 Text beginning with numbers\r\n"
    .. "250 The last line\r\n",
    250, nil, { "First line", "Second line", "234 Text beginning with numbers", "The last line" } },
  { "220 foo.com Simple Mail Transfer Service Ready\r\n", 220, nil,
    { "foo.com Simple Mail Transfer Service Ready" } },
  -- RFC 5321 4.2: a bare code is a complete final line
  { "250\r\n", 250, nil, { "" } },
  { "334 \r\n", 334, nil, { "" } },
  { "354 Start mail input; end with <CRLF>.<CRLF>\r\n", 354, nil,
    { "Start mail input; end with <CRLF>.<CRLF>" } },
  -- RFC 2034: the enhanced code on every line is taken off every line
  { "550-5.1.1 The email account that you tried to reach does not exist.\r\n"
    .. "550 5.1.1 Please try again.\r\n",
    550, "5.1.1", { "The email account that you tried to reach does not exist.",
      "Please try again." } },
  { "250 2.0.0 Ok: queued as 4F2D11\r\n", 250, "2.0.0", { "Ok: queued as 4F2D11" } },
  { "250 2.0.0\r\n", 250, "2.0.0", { "" } },
  { "452 4.5.3   Too many recipients\r\n", 452, "4.5.3", { "Too many recipients" } },
  -- a syntactically valid but unassigned enhanced code still counts
  { "550 5.9.9 odd\r\n", 550, "5.9.9", { "odd" } },
  { "550 5.123.456 odd\r\n", 550, "5.123.456", { "odd" } },
  -- codes elsewhere in the text are text
  { "550 sorry, no mailbox here by that name. (#5.1.1)\r\n", 550, nil,
    { "sorry, no mailbox here by that name. (#5.1.1)" } },
  { "550-550-Recipient address rejected\r\n550 550 really\r\n", 550, nil,
    { "550-Recipient address rejected", "550 really" } },
  { "250 2.0.0.1 not enhanced\r\n", 250, nil, { "2.0.0.1 not enhanced" } },
  { "250 2.01.0 leading zero\r\n", 250, nil, { "2.01.0 leading zero" } },
  { "250 2.1.0x\r\n", 250, nil, { "2.1.0x" } },
  -- trailing white space is not part of a line's text
  { "250 ok  \t\r\n", 250, nil, { "ok" } },
  -- control characters and NUL in the text are kept, as data
  { "250 a\0b\1c\r\n", 250, nil, { "a\0b\1c" } },
  -- 512 octets exactly is within RFC 5321 4.5.3.1.5
  { "250 " .. ("x"):rep(506) .. "\r\n", 250, nil, { ("x"):rep(506) } },
}

-- Deviations lenient mode forgives, each with its warning; strict refuses.
local LENIENT = {
  { "LF-only line ends", "250-a\n250 b\n", 250, nil, { "a", "b" }, "line 1: line ends in LF" },
  { "no final line end", "250 ok", 250, nil, { "ok" }, "line 1: the final line has no line end" },
  { "codes that disagree (the final line decides)",
    "220-mail.example.com ESMTP\r\n421 Service not available\r\n", 421, nil,
    { "mail.example.com ESMTP", "Service not available" }, "line 2: reply code differs" },
  { "an enhanced code on some lines only", "250-2.1.0 a\r\n250 b\r\n", 250, "2.1.0", { "a", "b" },
    "line 2: enhanced code missing" },
  { "enhanced codes that differ", "550-5.1.1 a\r\n550 5.7.1 b\r\n", 550, "5.7.1", { "a", "b" },
    "line 2: enhanced code differs" },
  { "an enhanced code of another class", "550 4.1.1 x\r\n", 550, nil, { "4.1.1 x" },
    "line 1: enhanced code's class disagrees" },
  { "a stray empty line after the reply", "250 ok\r\n\r\n", 250, nil, { "ok" },
    "line 2: empty line outside a reply" },
  { "a stray empty line before the reply", "\r\n250 ok\r\n", 250, nil, { "ok" },
    "line 1: empty line outside a reply" },
  { "a line over 512 octets", "250 " .. ("x"):rep(507) .. "\r\n", 250, nil, { ("x"):rep(507) },
    "line 1: longer than 512 octets" },
  { "a bare code before the final line", "250\r\n250 last\r\n", 250, nil, { "", "last" },
    "line 1: code without separator before the final line" },
  { "a second digit outside RFC 5321's grammar (571 No PTR)", "571 No PTR Record found\r\n", 571,
    nil, { "No PTR Record found" }, "line 1: second digit of the reply code is not 0-5" },
  { "final lines that repeat the code (old Exchange EHLO)",
    "250-mail.example.com Hello\r\n250 DSN\r\n250 AUTH=LOGIN\r\n250 TLS\r\n", 250, nil,
    { "mail.example.com Hello", "DSN", "AUTH=LOGIN", "TLS" },
    "line 3: a line after the final line repeats its code (kept in the reply)" },
  { "a CR alone at the end (the text of CRLF)", "250 ok\r", 250, nil, { "ok" },
    "line 1: the final line has no line end" },
}

-- Malformed input: nil and an error naming the line and the fault, in
-- either mode.
local BAD = {
  { "", "incomplete reply: no reply line" },
  { "\r\n", "incomplete reply: no reply line" },
  { "hello\r\n", "line 1: no reply code: 'hello'" },
  { "25 ok\r\n", "line 1: reply code is not three digits: '25 ok'" },
  { "2500 ok\r\n", "line 1: reply code is not three digits" },
  { "25x ok\r\n", "line 1: reply code is not three digits" },
  { "650 ok\r\n", "line 1: reply code out of range" },
  { "650 ok\r\n", "line 1: reply code out of range (first digit 1-5): '650 ok'" },
  { "050 ok\r\n", "line 1: reply code out of range" },
  { "250_ok\r\n", "line 1: bad separator after the reply code: '250_ok'" },
  { "250\tok\r\n", "line 1: bad separator after the reply code: '250\\x09ok'" },
  { "250-a\r\n", "line 1: incomplete reply: no final line after this one" },
  { "250-a\r\n250-b", "line 2: incomplete reply" },
  { "250-a\r\n\r\n250 b\r\n", "line 2: empty line inside a multi-line reply" },
  { "250-a\r\nxyz\r\n", "line 2: no reply code: 'xyz'" },
  { "250 a\r\n251 b\r\n", "line 2: more text after the final line: '251 b\\x0d\\x0a'" },
  { "250 a\r\n2500 b\r\n", "line 2: more text after the final line" },
  { "250 a\r\nnoise", "line 2: more text after the final line" },
  { "\27[31m250 red\r\n", "line 1: no reply code: '\\x1b[31m250 red'" },
  { ("x"):rep(100), "line 1: no reply code: '" .. ("x"):rep(48) .. "...'" },
}

local function check(r, code, enhanced, lines)
  assert.are.equal(code, r.code)
  assert.are.equal(enhanced, r.enhanced)
  assert.are.same(lines, r.lines)
  assert.are.equal(table.concat(lines, "\n"), r.text)
  local known = sc.lookup(code)
  assert.are.equal(known and known.class or "permanent", r.class)
  assert.are.equal(known and known.category, r.category)
end

describe("smtpcodes.parse", function()
  describe("reads", function()
    for i, case in ipairs(OK) do
      it(("case %d: %q"):format(i, case[1]:sub(1, 40)), function()
        local r, err = sc.parse(case[1])
        assert.is_table(r, err)
        check(r, case[2], case[3], case[4])
        assert.are.same({}, { support.unpack(r.warnings) })
        local s = assert(sc.parse(case[1], { strict = true }))
        check(s, case[2], case[3], case[4])
      end)
    end
  end)

  describe("forgives in lenient mode, with a warning, and refuses in strict mode:", function()
    for _, case in ipairs(LENIENT) do
      it(case[1], function()
        local r, err = sc.parse(case[2])
        assert.is_table(r, err)
        check(r, case[3], case[4], case[5])
        assert.are.equal(1, #r.warnings, table.concat(r.warnings, "; "))
        assert.matches(case[6], r.warnings[1], 1, true)
        local s, serr = sc.parse(case[2], { strict = true })
        assert.is_nil(s)
        assert.matches(case[6], serr, 1, true)
      end)
    end

    it("several deviations at once, each listed once", function()
      local r = assert(sc.parse("220-a\n220-b\n421 4.2.1 c"))
      assert.are.equal(421, r.code)
      assert.are.same({ "line 1: line ends in LF without CR",
        "line 3: the final line has no line end",
        "line 3: reply code differs from line 1 (the final line's code is used)",
        "line 1: enhanced code missing on this line but present on others" },
        { support.unpack(r.warnings) })
    end)
  end)

  describe("refuses malformed input with the line and the fault:", function()
    for _, case in ipairs(BAD) do
      it(("%q"):format(case[1]:sub(1, 30)), function()
        for _, opts in ipairs { {}, { strict = true } } do
          local r, err = sc.parse(case[1], opts)
          assert.is_nil(r)
          assert.matches(case[2], err, 1, true)
          assert.is_nil(err:find("[%c\128-\255]"), "control character in: " .. err)
        end
      end)
    end
  end)

  describe("is bounded", function()
    it("by max_line", function()
      local line = "250 " .. ("x"):rep(5000) .. "\r\n"
      local r, err = sc.parse(line)
      assert.is_nil(r)
      assert.are.equal("line 1: line longer than 4096 octets (max_line)", err)
      assert.is_table(sc.parse(line, { max_line = 6000 }))
      assert.is_nil(sc.parse("250 abcdef\r\n", { max_line = 8 }))
    end)

    it("by max_lines", function()
      local text = ("250-x\r\n"):rep(300) .. "250 end\r\n"
      local r, err = sc.parse(text)
      assert.is_nil(r)
      assert.are.equal("line 257: more than 256 lines in one reply (max_lines)", err)
      assert.are.equal(301, #assert(sc.parse(text, { max_lines = 301 })).lines)
      assert.is_nil(sc.parse("250-a\r\n250 b\r\n", { max_lines = 1 }))
    end)

    it("and a megabyte of junk costs one error", function()
      local r, err = sc.parse(("\255"):rep(2 ^ 20))
      assert.is_nil(r)
      assert.matches("^line 1: line longer than", err)
    end)
  end)

  it("raises for a wrong argument type or a bad option", function()
    assert.has_error(function() sc.parse(nil) end,
      "bad argument #1 to 'parse' (string expected, got nil)")
    assert.has_error(function() sc.parse(250) end,
      "bad argument #1 to 'parse' (string expected, got number)")
    assert.has_error(function() sc.parse("250 ok", "strict") end,
      "bad argument #2 to 'parse' (table expected, got string)")
    assert.has_error(function() sc.parse("250 ok", { max_line = 0 }) end,
      "bad argument #2 to 'parse' (opts.max_line must be a positive integer)")
    assert.has_error(function() sc.parse("250 ok", { max_lines = 1.5 }) end,
      "bad argument #2 to 'parse' (opts.max_lines must be a positive integer)")
  end)
end)

describe("a Reply", function()
  it("gives the Status of its enhanced code", function()
    local r = sc.parse("550 5.7.1 Relaying denied\r\n")
    assert.are.equal(sc.lookup("5.7.1"), r:status())
    assert.is_nil(sc.parse("250 ok\r\n"):status())
  end)

  it("prints a readable summary", function()
    assert.are.equal("550 5.7.1 Relaying denied",
      tostring(sc.parse("550 5.7.1 Relaying denied\r\n")))
    assert.are.equal("250 mail.example.com (+2 more lines)",
      tostring(sc.parse("250-mail.example.com\r\n250-SIZE\r\n250 HELP\r\n")))
    assert.are.equal("250 ok [1 warnings]", tostring(sc.parse("250 ok")))
  end)

  it("answers warnings with a new empty list when there are none, never stored", function()
    local a = sc.parse("250 a\r\n")
    assert.are.same({}, a.warnings)
    assert.are_not.equal(a.warnings, a.warnings)
    a.warnings[1] = "x"
    assert.are.same({}, a.warnings)
    assert.is_nil(rawget(a, "warnings"))
  end)
end)
