-- The contract of the two cores, the C module smtpcodes.core and the
-- pure-Lua smtpcodes.luacore: types raise, unknown values give nil. And the C
-- module is the build this run expects, exports one symbol and sets no
-- globals.
local support = require("spec.support")
local ccore = require("smtpcodes.core")
local lcore = require("smtpcodes.luacore")
local sc = require("smtpcodes")

describe("smtpcodes.core (C)", function()
  local want = os.getenv("SMTPCODES_CORE") or "build/" .. support.LUANAME .. "/smtpcodes/core.so"

  it("is the build of this interpreter (SMTPCODES_CORE, by default build/LUA/...)", function()
    local maps = support.read("/proc/self/maps")
    assert.truthy(maps:find(want, 1, true), want .. " is not loaded")
  end)

  it("exports luaopen_smtpcodes_core and nothing else", function()
    local out, _, status = support.run("nm -D --defined-only " .. want)
    assert.are.equal(0, status)
    local exported = {}
    for name in out:gmatch(" T (%S+)") do exported[#exported + 1] = name end
    assert.are.same({ "luaopen_smtpcodes_core" }, exported)
  end)

  it("is the backend this run asked for (SMTPCODES_BACKEND, by default c)", function()
    local asked = os.getenv("SMTPCODES_BACKEND")
    assert.are.equal(asked ~= "" and asked or "c", sc.backend)
  end)
end)

describe("require", function()
  it("sets no global", function()
    local out, err, status = support.run(support.ENV .. support.LUA .. [[ -e '
      local before = {} for k in pairs(_G) do before[k] = true end
      require "smtpcodes"; require "smtpcodes.core"; require "smtpcodes.luacore"
      local sc = require "smtpcodes"; local _ = sc[550], sc.parse, sc.command("RCPT")
      for k in pairs(_G) do if not before[k] then print(k) end end']])
    assert.are.equal(0, status, err)
    assert.are.equal("", out)
  end)

  it("uses the core SMTPCODES_BACKEND names, and refuses any other value", function()
    local function backend(value)
      return support.run(("SMTPCODES_BACKEND=%s %s%s -e 'io.write(require(\"smtpcodes\").backend)'")
        :format(value, support.ENV, support.LUA))
    end
    assert.are.equal("lua", (backend("lua")))
    assert.are.equal("c", (backend("c")))
    local out, err, status = backend("fast")
    assert.are.equal("", out)
    assert.are_not.equal(0, status)
    assert.matches("SMTPCODES_BACKEND is 'fast': it must be 'c', 'lua' or unset", err, 1, true)
  end)

  it("falls back to the pure-Lua core when the C one cannot load, unless c is asked", function()
    local env = ("LUA_PATH=%s LUA_CPATH=/nonexistent/?.so "):format(support.shq(package.path))
    local out, err, status = support.run("SMTPCODES_BACKEND= " .. env .. support.LUA
      .. [[ -e 'local sc = require "smtpcodes"; io.write(sc.backend, " ", sc[550].text)']])
    assert.are.equal(0, status, err)
    assert.are.equal("lua Requested action not taken: mailbox unavailable", out)
    local _
    _, err, status = support.run("SMTPCODES_BACKEND=c " .. env .. support.LUA
      .. [[ -e 'require "smtpcodes"']])
    assert.are_not.equal(0, status)
    assert.matches("smtpcodes.core", err, 1, true)
  end)
end)

for name, core in pairs { C = ccore, Lua = lcore } do
  describe("the " .. name .. " core", function()
    it("has the version of the rockspec's release line", function()
      assert.matches("^%d+%.%d+%.%d+$", core._VERSION)
      assert.are.equal(core._VERSION, sc._VERSION)
    end)

    it("answers nil for codes the tables lack", function()
      assert.is_nil(core.reply(299))
      assert.is_nil(core.reply(-1))
      assert.is_nil(core.reply(support.MAXINT))
      assert.is_nil(core.status(9, 9))
      assert.is_nil(core.status(-1, 1000))
      assert.is_nil(core.class(3))
      assert.is_nil(core.subject(8))
      assert.is_nil(core.command("rfc5321", "rcpt"))
    end)

    it("raises for wrong argument types", function()
      assert.has_error(function() core.reply("x") end)
      assert.has_error(function() core.reply(250.5) end)
      assert.has_error(function() core.status(1) end)
      assert.has_error(function() core.command("nope", "RCPT") end)
      assert.has_error(function() core.commands({}) end)
      assert.has_error(function() core.scanner() end)
      assert.has_error(function() core.scanner({}, {}, {}) end)
      local util = require("smtpcodes.util")
      local parse = core.scanner({}, util.CLASS, util.CATEGORY)
      assert.is_function(parse)
      assert.has_error(function() parse(42) end,
        "bad argument #1 to 'parse' (string expected, got number)")
      assert.has_error(function() parse("250 ok", { max_line = 0 }) end,
        "bad argument #2 to 'parse' (opts.max_line must be a positive integer)")
      local state = select(5, core.reader({}, {}, util.CLASS, util.CATEGORY))
      assert.is_function(state)
      local positive = "bad argument #2 to 'state' (bounds must be positive)"
      assert.has_error(function() state(0, 0, 1) end, positive)
      assert.has_error(function() state(0, 1, 0) end, positive)
    end)
  end)
end
