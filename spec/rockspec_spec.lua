-- The rockspecs lint, build and install without network access for the Lua
-- version running the specs (LuaJIT loads what luarocks builds for 5.1), the
-- installed tree works, the command-line tool included, and the release
-- rock packs from the installed tree.
local support = require("spec.support")

local V = _VERSION:match("%d+%.%d+") -- LuaJIT: 5.1
local ROCKSPECS = { "smtpcodes-scm-1.rockspec", "smtpcodes-0.1.0-1.rockspec" }

describe("the rockspecs", function()
  it("list every Lua module of lua/smtpcodes, and the C core", function()
    local out = support.run("ls lua/smtpcodes")
    for _, name in ipairs(ROCKSPECS) do
      local rockspec = support.read(name)
      for file in out:gmatch("(%S+)%.lua") do
        local module = file == "init" and "smtpcodes" or "smtpcodes." .. file
        assert.truthy(rockspec:find(('["%s"] = "lua/smtpcodes/%s.lua"'):format(module, file), 1,
          true), name .. ": " .. module)
      end
      assert.truthy(rockspec:find('["smtpcodes.core"] = { sources = { "csrc/smtpcodes.c" }', 1,
        true))
      assert.truthy(rockspec:find('"lua >= 5.1, < 5.5"', 1, true), name)
    end
  end)

  it("agree but for the version and the release tag", function()
    local scm, release = support.read(ROCKSPECS[1]), support.read(ROCKSPECS[2])
    local core_version = require("smtpcodes")._VERSION
    assert.truthy(release:find('version = "' .. core_version .. '-1"', 1, true))
    release = release:gsub('version = "[^"]*"', 'version = "scm-1"', 1)
      :gsub('\n  tag = "v' .. core_version:gsub("%.", "%%.") .. '",', "")
    assert.are.equal(scm, release)
  end)

  for _, name in ipairs(ROCKSPECS) do
    it("pass luarocks lint: " .. name, function()
      local out, err, status = support.run(("luarocks --lua-version=%s lint %s"):format(V, name))
      assert.are.equal(0, status, out .. err)
    end)
  end

  it("build and install with luarocks make, and the release packs from the tree", function()
    local dir = os.tmpname()
    os.remove(dir)
    -- build from a copy of the source (no .git, no build), so the checkout
    -- stays clean
    assert.is_true(support.copy_source(dir .. "/src"))
    local out, err, status = support.run(("cd %s/src && luarocks --lua-version=%s make --tree "
      .. "%s/tree --deps-mode=none smtpcodes-0.1.0-1.rockspec"):format(dir, V, dir))
    assert.are.equal(0, status, out .. err)
    local env = ("SMTPCODES_BACKEND=c LUA_PATH='%s/tree/share/lua/%s/?.lua;%s/tree/share/lua/%s/"
      .. "?/init.lua' LUA_CPATH='%s/tree/lib/lua/%s/?.so' "):format(dir, V, dir, V, dir, V)
    out, err, status = support.run(env .. dir .. "/tree/bin/smtpcodes 421")
    assert.are.equal(0, status, err)
    assert.matches("^421  <domain> Service not available", out)
    out, err = support.run(env .. support.LUA .. " -e 'local sc = require(\"smtpcodes\") "
      .. "print(sc.backend, sc.lookup(\"5.7.1\").title)'")
    assert.are.equal("c\tDelivery not authorized, message refused\n", out, err)
    out, err, status = support.run(("cd %s && luarocks --lua-version=%s --tree %s/tree pack "
      .. "smtpcodes 0.1.0-1"):format(dir, V, dir))
    assert.are.equal(0, status, out .. err)
    assert.is_true(support.execute(("test -s %s/smtpcodes-0.1.0-1.linux-x86_64.rock"):format(dir)))
    support.execute("rm -rf " .. dir)
  end)
end)
