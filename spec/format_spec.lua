local sc = require("smtpcodes")
local support = require("spec.support")

describe("smtpcodes.format", function()
  it("builds a one-line reply", function()
    assert.are.equal("250 2.1.5 Recipient ok\r\n", sc.format(250, "2.1.5", "Recipient ok"))
    assert.are.equal("250 Ok\r\n", sc.format(250, "Ok"))
    assert.are.equal("250 Ok\r\n", sc.format(250, nil, "Ok"))
  end)

  it("builds a multi-line reply from a list or from text with newlines, "
    .. "the enhanced code on every line (RFC 2034 §4)", function()
    local want = "550-5.1.1 No such user\r\n550 5.1.1 Check the address\r\n"
    assert.are.equal(want, sc.format(550, "5.1.1", { "No such user", "Check the address" }))
    assert.are.equal(want, sc.format(550, "5.1.1", "No such user\nCheck the address"))
    assert.are.equal("250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 1000\r\n",
      sc.format(250, { "mx.example.com", "PIPELINING", "SIZE 1000" }))
  end)

  it("uses the standard text when none is given", function()
    assert.are.equal("250 Requested mail action okay, completed\r\n", sc.format(250))
    assert.are.equal("354 Start mail input; end with <CRLF>.<CRLF>\r\n", sc.format(354))
    assert.are.equal("250 2.0.0 Requested mail action okay, completed\r\n",
      sc.format(250, "2.0.0"))
    assert.are.equal("220 Service ready\r\n", sc.format(220))
    assert.are.equal("220 mx.example.com Service ready\r\n",
      sc.format(220, nil, nil, { domain = "mx.example.com" }))
    assert.are.equal("334 \r\n", sc.format(334))
    assert.are.equal("559 \r\n", sc.format(559))
    assert.are.equal("250 Requested mail action okay, completed\r\n", sc.format(250, {}))
  end)

  it("wraps at word boundaries so that every line fits 512 octets with CRLF "
    .. "(RFC 5321 §4.5.3.1.5)", function()
    local text = ("lorem ipsum dolor "):rep(100)
    local wire = sc.format(550, "5.7.1", text)
    local n = 0
    for line in wire:gmatch("(.-)\r\n") do
      n = n + 1
      assert.is_true(#line + 2 <= 512, #line)
      assert.matches("^550[ -]5%.7%.1 %S", line)
      assert.is_nil(line:find(" $"))
    end
    assert.is_true(n >= 4)
    local r = assert(sc.parse(wire, { strict = true }))
    assert.are.equal(text:gsub("%s+$", ""), (r.text:gsub("\n", " ")))
  end)

  it("cuts a word longer than a line, never inside a UTF-8 character", function()
    local word = ("é"):rep(600)
    local wire = sc.format(250, word)
    for line in wire:gmatch("(.-)\r\n") do
      assert.is_true(#line + 2 <= 512)
      assert.is_truthy(support.ulen(line))
    end
    assert.are.equal(word, (assert(sc.parse(wire)).text:gsub("\n", "")))
  end)

  it("honours opts.max_line", function()
    local wire = sc.format(250, ("abc "):rep(30), { max_line = 40 })
    for line in wire:gmatch("(.-)\r\n") do assert.is_true(#line <= 40) end
  end)

  it("never emits a CR, LF or NUL of the caller's text: it raises", function()
    local cases = {
      { "ok\r\nRCPT TO:<victim@example.org>", "control character ('\\x0d') at byte 3" },
      { "ok\0", "control character ('\\x00') at byte 3" },
      { "bell\7", "control character ('\\x07')" },
      { "esc\27[2J", "control character ('\\x1b')" },
      { "del\127", "control character ('\\x7f')" },
      { "\255\254", "not valid UTF-8" },
    }
    for _, case in ipairs(cases) do
      local ok, err = pcall(sc.format, 250, case[1])
      assert.is_false(ok)
      assert.matches("bad argument #2 to 'format' (the text ", err, 1, true)
      assert.matches(case[2], err, 1, true)
    end
    assert.has_error(function() sc.format(250, { "a", "b\r" }) end)
    assert.has_error(function() sc.format(220, nil, nil, { domain = "x\r\n250 y" }) end)
    assert.are.equal("250 tab\tok\r\n", sc.format(250, "tab\tok"))
  end)

  it("raises for an enhanced code whose class disagrees with the code (RFC 3463)", function()
    assert.has_error(function() sc.format(550, "4.1.1", "x") end,
      "bad argument #2 to 'format' (enhanced code 4.1.1 does not match the class of 550 "
      .. "(RFC 3463, RFC 2034))")
    assert.has_error(function() sc.format(354, "2.0.0", "x") end)
    assert.has_error(function() sc.format(250, "2.01.0", "x") end,
      "bad argument #2 to 'format' (malformed enhanced status code '2.01.0')")
    assert.has_error(function() sc.format(250, "3.0.0", "x") end)
  end)

  it("raises for a code outside 200 to 599", function()
    for _, bad in ipairs { 199, 600, 1000, -1, 250.5, 260, "0x226", " 5.5e2 ", "5.1.1", true } do
      assert.has_error(function() sc.format(bad, "x") end)
    end
    assert.has_error(function() sc.format(100) end,
      "bad argument #1 to 'format' (reply code 200 to 599 expected, got '100')")
    assert.has_error(function() sc.format(250, 5) end,
      "bad argument #2 to 'format' (string or list of lines expected, got number)")
    assert.has_error(function() sc.format(250, "ok", 5) end,
      "bad argument #3 to 'format' (table expected, got number)")
    assert.has_error(function() sc.format(250, "ok", { max_line = 10 }) end)
  end)

  it("round-trips through parse over many random inputs", function()
    math.randomseed(2034)
    local chars = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ0123456789.,;:<>@[]()#-=_/\t"
    for _ = 1, 1000 do
      local class = ({ 2, 4, 5 })[math.random(3)]
      local code = class * 100 + math.random(0, 5) * 10 + math.random(0, 9)
      local enhanced = math.random() < 0.6 and
        ("%d.%d.%d"):format(class, math.random(0, 7), math.random(0, 30)) or nil
      local lines = {}
      for l = 1, math.random(1, 4) do
        local line = support.random_text(chars, 1, 80)
        lines[l] = line == "" and "x" or line
      end
      local wire = sc.format(code, enhanced, lines)
      local r = assert(sc.parse(wire, { strict = true }))
      assert.are.equal(code, r.code)
      assert.are.equal(enhanced, r.enhanced)
      assert.are.same(lines, r.lines)
      assert.are.equal(table.concat(lines, "\n"), r.text)
    end
  end)
end)

describe("smtpcodes.format and enhanced codes in the text", function()
  it("refuses a text that begins with an enhanced code beside a given one, naming the text",
    function()
      assert.has_error(function() sc.format(554, "5.7.1", "5.3.1 Go away") end,
        "bad argument #3 to 'format' (the text begins with an enhanced code (5.3.1) and the "
        .. "reply has one (5.7.1): give it once)")
      assert.has_error(function() sc.format(554, "5.7.1", { "first", "5.7.1 again" }) end)
      assert.are.equal("554 5.3.1 x\r\n", sc.format(554, nil, "5.3.1 x", {}))
    end)

  it("takes the enhanced code a text begins with when none is given, checked against the code",
    function()
      assert.are.equal("554 5.3.1 Go away\r\n", sc.format(554, "5.3.1 Go away"))
      assert.are.equal("550-5.1.1 No such user\r\n550 5.1.1 here\r\n",
        sc.format(550, "5.1.1 No such user\n5.1.1 here"))
      assert.are.equal("550-5.1.1 a\r\n550 5.1.1 b\r\n", sc.format(550, { "5.1.1 a", "b" }))
      assert.has_error(function() sc.format(250, "5.3.1 x") end,
        "bad argument #2 to 'format' (enhanced code 5.3.1 does not match the class of 250 "
        .. "(RFC 3463, RFC 2034))")
      assert.has_error(function() sc.format(550, { "5.1.1 a", "5.7.1 b" }) end)
      -- not an enhanced code: text
      assert.are.equal("250 5.01.1 x\r\n", sc.format(250, "5.01.1 x"))
      assert.are.equal("250 2.0.0x\r\n", sc.format(250, "2.0.0x"))
    end)

  it("names the argument of each error, with and without the enhanced slot", function()
    assert.has_error(function() sc.format(550, nil, 5) end,
      "bad argument #3 to 'format' (string or list of lines expected, got number)")
    assert.has_error(function() sc.format(550, "5.1.1", 5) end,
      "bad argument #3 to 'format' (string or list of lines expected, got number)")
    assert.has_error(function() sc.format(550, 5) end,
      "bad argument #2 to 'format' (string or list of lines expected, got number)")
    assert.has_error(function() sc.format(550, "x", "y") end,
      "bad argument #3 to 'format' (table expected, got string)")
    assert.has_error(function() sc.format(550, nil, "x", "y") end,
      "bad argument #4 to 'format' (table expected, got string)")
    assert.has_error(function() sc.format(550, "4.1.1", "x") end,
      "bad argument #2 to 'format' (enhanced code 4.1.1 does not match the class of 550 "
      .. "(RFC 3463, RFC 2034))")
  end)

  it("takes the code in the spellings lookup takes", function()
    assert.are.equal(sc.format(550, "x"), sc.format("550", "x"))
    assert.are.equal(sc.format(550, "x"), sc.format(550.0, "x"))
  end)
end)
