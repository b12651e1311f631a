-- The rockspec lints, builds and installs without network access, and the
-- installed tree works, the command-line tool included.
local support = require("spec.support")

describe("smtpcodes-scm-1.rockspec", function()
  it("lists every Lua module of lua/smtpcodes", function()
    local rockspec = support.read("smtpcodes-scm-1.rockspec")
    local out = support.run("ls lua/smtpcodes")
    for file in out:gmatch("(%S+)%.lua") do
      local name = file == "init" and "smtpcodes" or "smtpcodes." .. file
      assert.truthy(rockspec:find(('["%s"] = "lua/smtpcodes/%s.lua"'):format(name, file), 1, true),
        name)
    end
  end)

  it("passes luarocks lint", function()
    local out, err, status = support.run("luarocks --lua-version=5.4 lint smtpcodes-scm-1.rockspec")
    assert.are.equal(0, status, out .. err)
  end)

  it("builds and installs with luarocks make, bin/smtpcodes included", function()
    local dir = os.tmpname()
    os.remove(dir)
    -- build from a copy of the tracked files, so the checkout stays clean
    assert.is_true(os.execute(("mkdir -p %s/src && git ls-files -z | "
      .. "xargs -0 cp --parents -t %s/src"):format(dir, dir)))
    local out, err, status = support.run(("cd %s/src && luarocks --lua-version=5.4 make --tree "
      .. "%s/tree --deps-mode=none smtpcodes-scm-1.rockspec"):format(dir, dir))
    assert.are.equal(0, status, out .. err)
    local env = ("LUA_PATH='%s/tree/share/lua/5.4/?.lua;%s/tree/share/lua/5.4/?/init.lua' "
      .. "LUA_CPATH='%s/tree/lib/lua/5.4/?.so' "):format(dir, dir, dir)
    out, err, status = support.run(env .. dir .. "/tree/bin/smtpcodes 421")
    assert.are.equal(0, status, err)
    assert.matches("^421  <domain> Service not available", out)
    out = support.run(env .. "lua5.4 -e 'print(require(\"smtpcodes\").lookup(\"5.7.1\").title)'")
    assert.are.equal("Delivery not authorized, message refused\n", out)
    os.execute("rm -rf " .. dir)
  end)
end)
