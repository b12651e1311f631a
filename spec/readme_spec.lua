-- Every example of README.md runs here: each ```lua block, with its printed
-- lines compared to its "--> ..." comments, and each ```console block, with
-- the command's output compared to the lines under it.
local support = require("spec.support")

local readme = support.read("README.md")

local function blocks(kind)
  local list = {}
  local n = 0
  for body in readme:gmatch("\n```" .. kind .. "\n(.-)\n```") do
    n = n + 1
    list[#list + 1] = { n = n, body = body }
  end
  return list
end

local function lines(s)
  local list = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do list[#list + 1] = line end
  return list
end

describe("README.md", function()
  it("has Lua and console examples", function()
    assert.is_true(#blocks("lua") >= 5)
    assert.is_true(#blocks("console") >= 3)
  end)

  for _, b in ipairs(blocks("lua")) do
    it("runs Lua example " .. b.n .. " and prints what it says", function()
      local expected = {}
      for line in b.body:gmatch("[^\n]+") do
        local want = line:match("%-%->%s?(.*)$")
        if want then expected[#expected + 1] = want end
      end
      local printed = {}
      local env = setmetatable({}, { __index = _G })
      env.print = function(...)
        local parts = { n = select("#", ...), ... }
        for i = 1, parts.n do parts[i] = tostring(parts[i]) end
        for _, l in ipairs(lines(table.concat(parts, "\t", 1, parts.n))) do
          printed[#printed + 1] = l
        end
      end
      env.require = require
      -- an example that talks to `host` and `port` gets a scripted server
      local server
      if b.body:find("%f[%w]port%f[%W]") then
        local portfile = os.tmpname()
        server = io.popen(support.LUA .. " spec/fake_server.lua " .. portfile, "r")
        local port
        for _ = 1, 100 do
          port = tonumber(support.read(portfile):match("%d+"))
          if port then break end
          require("socket").sleep(0.05)
        end
        os.remove(portfile)
        env.host, env.port = "127.0.0.1", assert(port, "the scripted server did not start")
      end
      local chunk = assert(support.load(b.body, "=README example " .. b.n, env))
      local ok, err = pcall(chunk)
      if server then server:close() end
      assert(ok, err)
      assert.are.same(expected, printed)
    end)
  end

  for _, b in ipairs(blocks("console")) do
    it("runs console example " .. b.n .. " with the output it shows", function()
      local cmd, expected, input = nil, {}, {}
      for _, line in ipairs(lines(b.body)) do
        local c = line:match("^%$ (.*)$")
        if c then
          assert.is_nil(cmd, "one command per console block")
          cmd = c
        elseif line:find("^> ") then
          input[#input + 1] = line:sub(3)
        else
          expected[#expected + 1] = line
        end
      end
      local out
      if cmd:find("^smtpcodes") then
        -- what the command writes: standard error's lines, then standard output's
        local err
        out, err = support.run(support.ENV .. support.LUA .. " bin/" .. cmd)
        assert.are.same(expected, lines(((err .. out):gsub("\n$", ""))))
      elseif cmd == "lua5.4 -l smtpcodes" then
        -- run with the interpreter of this run: Lua 5.1 and LuaJIT's -l does
        -- not name the module, and before 5.3 the REPL prints an expression
        -- only after "="
        local legacy = _VERSION == "Lua 5.1"
        local f = os.tmpname()
        local h = assert(io.open(f, "w"))
        for _, l in ipairs(input) do
          h:write((_VERSION == "Lua 5.1" or _VERSION == "Lua 5.2") and "=" .. l or l, "\n")
        end
        h:close()
        out = support.run(support.ENV .. support.LUA .. (legacy and
          " -e 'smtpcodes = require \"smtpcodes\"'" or "") .. " -i -l smtpcodes < " .. f)
        os.remove(f)
        -- the output without prompts, banner and (with readline) the echoed input
        local got, echoed = {}, support.set(input)
        for _, l in ipairs(lines(out)) do
          l = l:gsub("^[>%s]+", ""):gsub("^=", "")
          local banner = l:find("^Lua 5%.%d") or l:find("^LuaJIT") or l:find("^JIT:")
          if l ~= "" and not banner and not echoed[l] and not echoed["=" .. l] then
            got[#got + 1] = l
          end
        end
        assert.are.same(expected, got)
      else
        error("no runner for console command: " .. cmd)
      end
    end)
  end
end)
