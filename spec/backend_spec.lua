-- The two cores give the same answers: the C module smtpcodes.core and the
-- pure-Lua smtpcodes.luacore are compared table by table, and their scanners
-- are fed every fixture and thousands of random inputs, whole and as streams,
-- in every mode: every field of every reply and every error must agree.
local support = require("spec.support")
local util = require("smtpcodes.util")
local C = require("smtpcodes.core")
local L = require("smtpcodes.luacore")

local unpack = support.unpack

-- Both results of f(core, ...) as lists, for comparison.
local function both(f, ...)
  local c = { n = 0 }
  local l = { n = 0 }
  local function pack(t, ...)
    t.n = select("#", ...)
    for i = 1, t.n do t[i] = (select(i, ...)) end
    return t
  end
  pack(c, f(C, ...))
  pack(l, f(L, ...))
  return c, l
end

local function agree(what, f, ...)
  local c, l = both(f, ...)
  assert.are.same(c, l, what)
end

describe("the C and the pure-Lua core", function()
  it("have the same version and constants", function()
    for _, k in ipairs { "_VERSION", "STRICT", "MAX_LINE", "MAX_LINES" } do
      assert.are.equal(C[k], L[k], k)
    end
  end)

  it("have the same functions", function()
    local cf, lf = {}, {}
    for k, v in pairs(C) do if type(v) == "function" then cf[#cf + 1] = k end end
    for k, v in pairs(L) do if type(v) == "function" then lf[#lf + 1] = k end end
    table.sort(cf)
    table.sort(lf)
    assert.are.same(cf, lf)
  end)

  it("have the same tables: codes, statuses, classes, subjects, reasons, rules", function()
    agree("codes", function(core) return core.codes() end)
    agree("statuses", function(core) return core.statuses() end)
    agree("profiles", function(core) return core.profiles() end)
    agree("reasons", function(core) return core.reasons() end)
    agree("rules", function(core) return core.rules() end)
    for code = 0, 1000 do agree("reply " .. code, function(core) return core.reply(code) end) end
    for s = 0, 12 do
      for d = 0, 40 do agree(s .. "." .. d, function(core) return core.status(s, d) end) end
    end
    for digit = -1, 10 do
      agree("class " .. digit, function(core) return core.class(digit) end)
      agree("subject " .. digit, function(core) return core.subject(digit) end)
    end
  end)

  it("find the same phrase rules in every reply of the corpus and in random text", function()
    local texts = {}
    for _, name in ipairs({ "sisimai.tsv", "providers.tsv" }) do
      for _, f in ipairs(support.tsv("spec/fixtures/corpus/" .. name, true)) do
        texts[#texts + 1] = f[3]:lower()
      end
    end
    local found = 0
    for _, t in ipairs(texts) do
      for _, command in ipairs({ false, "MAIL", "RCPT", "AUTH" }) do
        local c, l = both(function(core) return core.phrases(t, command or nil) end)
        assert.are.same(c, l, t)
        if c[1] then found = found + 1 end
      end
    end
    assert.is_true(found > #texts) -- most replies have wording a rule knows
    math.randomseed(21)
    local words = { "user", "unknown", "spam", "quota", "rate", "limit", "policy", "relay", "dkim",
      "denied", "blocked", " ", "-", "#", "\0", "\255" }
    for _ = 1, support.cases(2000) do
      local parts = {}
      for k = 1, math.random(0, 12) do parts[k] = words[math.random(#words)] end
      local t = table.concat(parts, math.random(2) == 1 and " " or "")
      agree(t, function(core) return core.phrases(t) end)
    end
    assert.has_error(function() C.phrases(nil) end)
    assert.has_error(function() L.phrases(nil) end)
  end)

  it("have the same command tables in every profile", function()
    for _, profile in ipairs(C.profiles()) do
      agree("commands " .. profile, function(core) return core.commands(profile) end)
      local names = C.commands(profile)
      names[#names + 1] = "NOSUCH"
      names[#names + 1] = "rcpt"
      for _, name in ipairs(names) do
        agree(profile .. " " .. name, function(core) return core.command(profile, name) end)
      end
    end
  end)
end)

-- scanners ------------------------------------------------------------------

-- The same metatables for both, so that replies compare field by field and
-- both readers return the same shared empty list.
local MT = { __name = "spec.Reply" }
local READER = { __name = "spec.Reader", EMPTY = {} }
READER.__index = READER
local cparse = C.scanner(MT, util.CLASS, util.CATEGORY)
local lparse = L.scanner(MT, util.CLASS, util.CATEGORY)

-- A reader of each core: its methods and the maker of its state.
local function reader_of(core)
  local feed, finish, buffered, _, state = core.reader(READER, MT, util.CLASS, util.CATEGORY)
  return function(flags, max_line, max_lines)
    local r = setmetatable({ state = state(flags, max_line, max_lines) }, READER)
    return { feed = function(chunk) return feed(r, chunk) end,
      finish = function() return finish(r) end, buffered = function() return buffered(r) end }
  end
end
local creader, lreader = reader_of(C), reader_of(L)

-- Deep equality of two results, metatables included: cheap enough to run on
-- every feed of a byte-by-byte stream (the assertion runs when it fails).
local function equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" or getmetatable(a) ~= getmetatable(b) then
    return false
  end
  for k, v in pairs(a) do
    if not equal(v, rawget(b, k)) then return false end
  end
  for k in pairs(b) do
    if rawget(a, k) == nil then return false end
  end
  return true
end

local function same(what, c, l)
  if equal(c, l) then return end
  assert.are.same(c, l, what)
  for i = 1, math.max(#c, #l) do
    if type(c[i]) == "table" then
      assert.are.equal(getmetatable(c[i]), getmetatable(l[i]), what)
    end
  end
end

local OPTS = { {}, { strict = true }, { max_line = 8, max_lines = 2 },
  { strict = true, max_line = 40, max_lines = 3 }, { max_line = 600, max_lines = 1000 } }

-- Compares parse of both cores on the bytes s and, unless parse_only, both
-- readers fed s in random chunks, of 1 to 8 bytes and of any length: what
-- each feed returns, what they hold after it, and what finish returns.
local function compare(s, label, parse_only)
  for _, o in ipairs(OPTS) do
    local what = ("%s %s"):format(label, support.quote_opts(o))
    same("parse " .. what, { cparse(s, o) }, { lparse(s, o) })
    local ml, mn = o.max_line or C.MAX_LINE, o.max_lines or C.MAX_LINES
    local strict = o.strict and C.STRICT or 0
    for _, most in ipairs(parse_only and {} or { 8, math.max(1, #s) }) do
      local cr, lr = creader(strict, ml, mn), lreader(strict, ml, mn)
      local w = ("reader, chunks of up to %d bytes, %s"):format(most, what)
      local i = 1
      while i <= #s do
        local j = i + math.random(1, most) - 1
        local chunk = s:sub(i, j)
        local c, l = { cr.feed(chunk) }, { lr.feed(chunk) }
        if not equal(c, l) then same(w .. " feed at " .. i, c, l) end
        c, l = cr.buffered(), lr.buffered()
        if c ~= l then assert.are.equal(c, l, w .. " buffered at " .. i) end
        i = j + 1
      end
      same(w .. " finish", { cr.finish() }, { lr.finish() })
    end
  end
end

local files = support.files

-- Pieces that random replies are made of: valid lines, sloppy ones and
-- hostile bytes.
local PIECES = {
  "250", "250 ", "250-", "250-mail.example.com", "250 OK", "550 5.1.1 No such user",
  "550-5.1.1 first", "550 5.1.1 last", "451 4.7.1 Try again", "354 go ahead", "421",
  "220 mx ESMTP", "250-SIZE 1000", "250 8BITMIME", "550 4.1.1 class mismatch", "571 odd",
  "999 bad", "25", "2500 x", "250x", "abc", "", " ", "\t", "5.1.1", "250 2.0.0", "250-2.0.00 z",
  "550 5.01.1 zero", "550 5.1.1234 long", "250 \0nul", "250 \255\254", "250 trailing   ",
  "550-5.7.1 a", "550-5.7.2 b", "450-x", "450 y",
  -- later lines close to the first one: the same code, the same enhanced
  -- code or one that only begins like it
  "550-5.1.10 x", "550-5.1.1", "550 5.1.1x", "550-5.1.1 \t", "550 5.1.1  two", "550-4.1.1 c",
  "250-2.0.0 y", "250-x\t", "250 2.0", "571-5.7.1 a", "571 5.7.1 b",
  -- texts that begin like an enhanced code of one digit a part and are not one
  "354 3.0.0 go", "550 6.1.1 x", "550 5.x.1 x", "550 5.1.x x", "550 5-1.1 x", "550 5.1-1 x",
  "250 2.0.0\tq", "550 5.1.", "550 5..1 x",
}
local ENDS = { "\r\n", "\r\n", "\r\n", "\n", "\r", "", "\r\r\n", "\n\n" }

local function random_input()
  local t = {}
  for i = 1, math.random(1, 8) do
    local piece = PIECES[math.random(#PIECES)]
    if math.random() < 0.1 then piece = piece:rep(math.random(2, 40)) end
    t[i] = piece .. ENDS[math.random(#ENDS)]
  end
  return table.concat(t)
end

describe("the scanners and readers of both cores", function()
  local inputs = files("spec/fixtures/replies/")
  for _, f in ipairs(files("spec/fixtures/fuzz/")) do inputs[#inputs + 1] = f end

  for _, path in ipairs(inputs) do
    it("agree on " .. path .. ", whole and from every offset", function()
      local bytes = support.read(path)
      compare(bytes, path)
      -- a pipelined transcript from places inside it
      for i = 1, #bytes, 37 do compare(bytes:sub(i), path .. " from " .. i, true) end
    end)
  end

  it("agree on 3000 random inputs, valid, sloppy and hostile", function()
    math.randomseed(10)
    for i = 1, support.cases(3000) do
      local s = random_input()
      compare(s, "random input " .. i .. " " .. support.quote(s))
    end
  end)

  it("agree on later lines that repeat the first code and not its enhanced code", function()
    -- the enhanced code taken so far is another code's: its class differs
    compare("250-x\r\n550-5.1.1 y\r\n250 5.1.1 z\r\n", "class of another code")
    compare("250-x\r\n250-2.0.0 y\r\n250 2.0.0 z\r\n", "enhanced code from line 2")
    compare("550-5.1.1 x\r\n550-5.1.1\r\n550 5.1.1\r\n", "enhanced code alone")
  end)

  it("agree on texts that begin like an enhanced code and are not one", function()
    for _, text in ipairs { "3.0.0 go", "6.1.1 x", "5.x.1 x", "5.1.x x", "5-1.1 x", "5.1-1 x",
      "5.1.1\tq", "5.1.1x", "5.1.", "5..1 x", "5.1.1", "5.1.12 x", "5.12.1 x" } do
      for _, code in ipairs { "354", "550", "250" } do
        compare(code .. " " .. text .. "\r\n", code .. " " .. text)
        local two = code .. "-" .. text .. "\r\n" .. code .. " " .. text .. "\r\n"
        compare(two, "two lines of " .. text)
      end
    end
  end)

  it("agree on 300 random byte strings", function()
    math.randomseed(11)
    for i = 1, support.cases(300) do
      local t = {}
      for k = 1, math.random(0, 200) do t[k] = string.char(math.random(0, 255)) end
      local s = table.concat(t)
      compare(s, "random bytes " .. i)
      compare("250-" .. s .. "\r\n250 x\r\n", "random text " .. i)
    end
  end)

  it("agree on the bounds: long lines and many lines", function()
    for _, n in ipairs { 509, 510, 511, 4095, 4096, 4097 } do
      compare("250 " .. ("x"):rep(n - 4) .. "\r\n", "line of " .. n)
    end
    -- the same lengths for a later line
    for _, n in ipairs { 509, 510, 511, 4095, 4096, 4097 } do
      compare("250-a\r\n250 " .. ("x"):rep(n - 4) .. "\r\n", "later line of " .. n)
      compare("550-5.1.1 a\r\n550 5.1.1 " .. ("x"):rep(n - 10) .. "\r\n", "later line of " .. n)
    end
    for _, n in ipairs { 255, 256, 257 } do
      compare(("250-x\r\n"):rep(n - 1) .. "250 y\r\n", n .. " lines")
    end
    local c, l = { cparse("250 x", { max_line = 1e15 }) }, { lparse("250 x", { max_line = 1e15 }) }
    same("huge bound", c, l)
    assert.are.equal(select("#", unpack(c)), 1)
  end)
end)
