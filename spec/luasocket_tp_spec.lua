-- Differential test against LuaSocket's own reply reader (socket.tp, as
-- Debian's lua-socket ships it): on generated well-formed replies both read
-- the same code and the same lines.
local sc = require("smtpcodes")
local tp = require("socket.tp")
local support = require("spec.support")

-- A socket.tp connection whose "socket" serves the given lines from memory
-- (tp.connect takes the function that creates its socket).
local function tp_over(lines)
  local i = 0
  local c = {
    settimeout = function() end,
    connect = function() return 1 end,
    receive = function() i = i + 1; return lines[i] end,
  }
  return assert(tp.connect("127.0.0.1", 25, 1, function() return c end))
end

local CHARS = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;<>@[]()#-=_/"

describe("parse and LuaSocket's socket.tp", function()
  it("agree on the code and the lines of generated replies", function()
    math.randomseed(42)
    for _ = 1, 500 do
      local code = math.random(2, 5) * 100 + math.random(0, 5) * 10 + math.random(0, 9)
      local n = math.random(1, 6)
      local wire, texts = {}, {}
      for i = 1, n do
        texts[i] = support.random_text(CHARS, 0, 60)
        wire[i] = code .. (i < n and "-" or " ") .. texts[i]
      end
      local tcode, treply = tp_over(wire):check(".")
      local r = assert(sc.parse(table.concat(wire, "\r\n") .. "\r\n"))
      assert.are.equal(tcode, r.code)
      local tlines = {}
      for line in (treply .. "\n"):gmatch("(.-)\n") do tlines[#tlines + 1] = line:sub(5) end
      assert.are.same(tlines, r.lines)
      assert.are.same(texts, r.lines)
    end
  end)

  -- Where they differ, by design (the README's table says why).
  it("differ on a bare final code, which socket.tp reads past", function()
    local tcode = tp_over({ "250-first", "250", "250 next reply" }):check(".")
    assert.are.equal(250, tcode)
    local r = assert(sc.reader():feed("250-first\r\n250\r\n250 next reply\r\n"))
    assert.are.equal(2, #r)
    assert.are.same({ "first", "" }, r[1].lines)
  end)

  it("differ on codes that change within a reply", function()
    local tcode, treply = tp_over({ "220-banner", "421 going away", "220 x" }):check(".")
    assert.are.equal(220, tcode)
    assert.matches("421 going away", treply, 1, true)
    assert.are.equal(421, assert(sc.parse("220-banner\r\n421 going away\r\n")).code)
  end)

  it("differ on garbage inside a multi-line reply", function()
    local tcode = tp_over({ "250-a", "garbage", "250 b" }):check(".")
    assert.are.equal(250, tcode)
    assert.is_nil(sc.parse("250-a\r\ngarbage\r\n250 b\r\n"))
  end)
end)
