local support = require("spec.support")
local sc = require("smtpcodes")

describe("smtpcodes.lookup", function()
  it("describes a basic code given as integer, float or string", function()
    local c = sc.lookup(550)
    assert.are.equal(550, c.code)
    assert.are.equal("Requested action not taken: mailbox unavailable", c.text)
    assert.are.equal("permanent", c.class)
    assert.are.equal("mail system", c.category)
    assert.is_true(c.known)
    assert.are.equal(c, sc.lookup("550"))
    assert.are.equal(c, sc.lookup(550.0))
    assert.are.equal(c, sc[550])
    assert.are.equal(c, sc["550"])
  end)

  it("names class and category from the digits (RFC 5321 4.2.1)", function()
    local want = {
      [211] = { "completion", "information" }, [220] = { "completion", "connections" },
      [250] = { "completion", "mail system" }, [334] = { "intermediate", "unspecified" },
      [354] = { "intermediate", "mail system" }, [421] = { "transient", "connections" },
      [500] = { "permanent", "syntax" }, [530] = { "permanent", "unspecified" },
      [145] = { "preliminary", "unspecified" },
    }
    for code, cc in pairs(want) do
      assert.are.same(cc, { sc.lookup(code).class, sc.lookup(code).category })
    end
  end)

  it("gives references, the commands that may return the code and an explanation", function()
    local c = sc.lookup(354)
    assert.are.equal("RFC 5321 §4.2.2", c.references[1])
    assert.are.same({ "DATA" }, { support.unpack(c.commands) })
    assert.matches("message", c.explanation)
  end)

  it("builds an unknown but well-formed code from its digits (RFC 5321 4.2)", function()
    local c = sc.lookup(559)
    assert.is_false(c.known)
    assert.is_nil(c.text)
    assert.are.equal("permanent", c.class)
    assert.are.equal("mail system", c.category)
    assert.matches("first digit", c.explanation)
    assert.are.equal(c, sc.lookup("559"))
  end)

  it("describes an enhanced code with its class, subject and detail", function()
    local s = sc.lookup("5.1.1")
    assert.are.equal("5.1.1", s.code)
    assert.are.same({ 5, 1, 1 }, { s.class, s.subject, s.detail })
    assert.are.equal("Bad destination mailbox address", s.title)
    assert.are.equal("Addressing Status", s.subject_title)
    assert.are.equal("Permanent Failure", s.class_title)
    assert.are.same({ 550 }, { support.unpack(s.basic) })
    assert.are.equal("RFC 3463 §3.2", s.references[1])
    assert.is_true(s.known)
    assert.are.equal(s, sc["5.1.1"])
  end)

  it("describes a class-free enhanced code X.s.d", function()
    local s = sc.lookup("X.1.1")
    assert.is_nil(s.class)
    assert.are.same({ 451, 550 }, { support.unpack(s.basic) })
    assert.are.equal(s, sc.lookup("x.1.1"))
  end)

  it("falls back to subject and class for an unassigned code (RFC 3463 2)", function()
    local s = sc.lookup("4.9.9")
    assert.is_false(s.known)
    assert.is_nil(s.title)
    assert.is_nil(s.subject_title)
    assert.are.equal("Persistent Transient Failure", s.class_title)
    local t = sc.lookup("5.1.99")
    assert.is_false(t.known)
    assert.are.equal("Addressing Status", t.subject_title)
    assert.matches("Not in the IANA registry", t.description)
  end)

  describe("returns nil and a message naming the problem for a malformed key:", function()
    local cases = {
      { "5.1", "three parts" }, { "abc", "expected a reply code" }, { "", "empty" },
      { 99, "three digits" }, { 1000, "three digits" }, { "5..1", "empty subject" },
      { " 550", "white space" }, { "550 ", "white space" }, { "55", "three digits" },
      { "5500", "three digits" }, { 600, "first digit" }, { 260, "second digit" },
      { "3.1.1", "class must be" }, { "5.01.1", "leading zero" }, { "5.1.1000", "three digits" },
      { "5.1.x", "not a number" }, { 550.5, "not an integer" }, { 0 / 0, "not an integer" },
      { math.huge, "not an integer" }, { -support.MAXINT, "three digits" },
      { "5.1.1.1", "three parts" }, { "550\0", "expected" },
    }
    for _, case in ipairs(cases) do
      it(("%q"):format(tostring(case[1])), function()
        local obj, err = sc.lookup(case[1])
        assert.is_nil(obj)
        assert.is_string(err)
        assert.matches(case[2], err, 1, true)
        assert.is_nil(sc[case[1]])
      end)
    end
  end)

  it("quotes a malformed key safely", function()
    local _, err = sc.lookup("5\n\27[31m")
    assert.is_nil(err:find("[%c]"))
  end)

  it("raises naming the argument for a wrong type", function()
    for _, bad in ipairs { {}, true, false, print, coroutine.create(function() end) } do
      assert.has_error(function() sc.lookup(bad) end,
        ("bad argument #1 to 'lookup' (number or string expected, got %s)"):format(type(bad)))
    end
    assert.has_error(function() sc.lookup(nil) end,
      "bad argument #1 to 'lookup' (number or string expected, got nil)")
  end)

  it("returns the same shared object every time, a plain table", function()
    for _, key in ipairs { 250, "5.7.1", "X.2.2", 559 } do
      local obj = sc.lookup(key)
      assert.are.equal(obj, sc.lookup(key))
      assert.are.equal(#obj.references, select("#", support.unpack(obj.references)))
      assert.is_not_nil(next(obj))
    end
    assert.are.equal("Requested mail action okay, completed", sc.lookup(250).text)
  end)

  it("lets pairs and ipairs see the fields", function()
    local fields = {}
    for k in pairs(sc.lookup(550)) do fields[k] = true end
    for _, k in ipairs { "code", "text", "class", "category", "known", "references",
      "commands", "explanation" } do
      assert.is_true(fields[k], k)
    end
    local n = 0
    for _ in ipairs(sc.lookup(550).references) do n = n + 1 end
    assert.are.equal(#sc.lookup(550).references, n)
  end)

  it("allocates nothing for a repeated lookup", function()
    local keys = { 550, "550", "5.1.1", "X.7.1", "x.7.1", 250, "4.4.1", 559 }
    for _, k in ipairs(keys) do sc.lookup(k) end
    -- LuaJIT's compiler keeps its traces in the counted heap: measure the
    -- interpreter alone
    local jit = rawget(_G, "jit")
    if jit then
      jit.off()
      jit.flush()
    end
    collectgarbage("collect")
    collectgarbage("stop")
    local before = collectgarbage("count")
    for _ = 1, 1000 do
      for _, k in ipairs(keys) do sc.lookup(k) end
    end
    local after = collectgarbage("count")
    collectgarbage("restart")
    if jit then jit.on() end
    assert.are.equal(before, after)
  end)

  it("prints a one-line summary", function()
    assert.are.equal(
      "550 Requested action not taken: mailbox unavailable (permanent negative; mail system)",
      tostring(sc[550]))
    assert.are.equal("5.7.1 Delivery not authorized, message refused " ..
      "(permanent failure; security or policy status)", tostring(sc["5.7.1"]))
    assert.are.equal("559 (not a standard code; permanent negative; mail system)",
      tostring(sc[559]))
    assert.is_nil(tostring(sc["X.2.2"]):find("\n"))
  end)

  it("leaves other keys of the module alone", function()
    assert.is_nil(sc.no_such_function)
    assert.is_nil(sc[true])
    assert.is_string(sc._VERSION)
  end)
end)

describe("smtpcodes.codes and smtpcodes.statuses", function()
  it("list every known code and registry entry as fresh lists", function()
    local codes = sc.codes()
    assert.are.equal(46, #codes)
    codes[1] = nil
    assert.are.equal(46, #sc.codes())
    local statuses = sc.statuses()
    assert.are.equal(81, #statuses)
    assert.are.equal("X.0.0", statuses[1].code)
    assert.are.equal("X.7.30", statuses[#statuses].code)
  end)
end)

describe("smtpcodes.search", function()
  it("finds codes and statuses whose texts hold every word", function()
    local found = sc.search("mailbox full")
    assert.are.equal(1, #found)
    assert.are.equal("X.2.2", found[1].code)
    local codes = {}
    for _, obj in ipairs(sc.search({ "AUTHENTICATION" })) do codes[#codes + 1] = obj.code end
    assert.truthy(table.concat(codes, " "):find("235", 1, true))
    assert.truthy(table.concat(codes, " "):find("X.7.8", 1, true))
  end)

  it("matches words as plain text, not as patterns", function()
    assert.are.same({}, sc.search("(.*"))
    assert.are.equal(1, #sc.search("<CRLF>.<CRLF>"))
  end)

  it("returns an empty list when nothing matches", function()
    assert.are.same({}, sc.search("zebra"))
  end)

  it("raises for a bad argument", function()
    assert.has_error(function() sc.search() end,
      "bad argument #1 to 'search' (string or table expected, got nil)")
    assert.has_error(function() sc.search("  ") end,
      "bad argument #1 to 'search' (no words to search for)")
    assert.has_error(function() sc.search({ 1 }) end,
      "bad argument #1 to 'search' (word 1 is a number, not a string)")
  end)
end)
