-- The C core's own contract: types raise, unknown values give nil, and the
-- module exports one symbol and sets no globals.
local core = require("smtpcodes.core")
local support = require("spec.support")

describe("smtpcodes.core", function()
  it("exports luaopen_smtpcodes_core and nothing else", function()
    local out, _, status = support.run("nm -D --defined-only build/smtpcodes/core.so")
    assert.are.equal(0, status)
    local exported = {}
    for name in out:gmatch(" T (%S+)") do exported[#exported + 1] = name end
    assert.are.same({ "luaopen_smtpcodes_core" }, exported)
  end)

  it("is the build this run expects (SMTPCODES_CORE, by default build/smtpcodes/core.so)",
    function()
      local want = os.getenv("SMTPCODES_CORE") or "build/smtpcodes/core.so"
      local maps = support.read("/proc/self/maps")
      assert.truthy(maps:find(want, 1, true), want .. " is not loaded")
    end)

  it("sets no global on require", function()
    local out, err, status = support.run(support.ENV .. [[lua5.4 -e '
      local before = {} for k in pairs(_G) do before[k] = true end
      require "smtpcodes"; require "smtpcodes.core"
      local sc = require "smtpcodes"; local _ = sc[550], sc.parse, sc.command("RCPT")
      for k in pairs(_G) do if not before[k] then print(k) end end']])
    assert.are.equal(0, status, err)
    assert.are.equal("", out)
  end)

  it("has the version of the rockspec's release line", function()
    assert.matches("^%d+%.%d+%.%d+$", core._VERSION)
    assert.are.equal(core._VERSION, require("smtpcodes")._VERSION)
  end)

  it("answers nil for codes the tables lack", function()
    assert.is_nil(core.reply(299))
    assert.is_nil(core.reply(-1))
    assert.is_nil(core.reply(math.maxinteger))
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
    local _, scan, scan_all = core.scanner({})
    assert.has_error(function() scan("250 ok", 0, 0, 1, 1) end)
    assert.has_error(function() scan("250 ok", 1, 0, 0, 1) end)
    assert.has_error(function() scan_all("250 ok", 0, 1, 0) end)
  end)
end)
