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

describe("README.md's filter programs", function()
  -- a ```lua NAME block, written to a file
  local function program(name)
    local body = assert(readme:match("\n```lua " .. name .. "\n(.-)\n```"), "no ```lua " .. name)
    local nlines = select(2, body:gsub("\n", "")) + 1
    assert.is_true(nlines < 30, name .. ": " .. nlines .. " lines")
    local f = os.tmpname()
    local h = assert(io.open(f, "w"))
    h:write(body, "\n")
    h:close()
    return f
  end

  local function run(file, input)
    local f = os.tmpname()
    local h = assert(io.open(f, "wb"))
    h:write(input)
    h:close()
    local out, err, status = support.run(support.ENV .. support.LUA .. " " .. file .. " < " .. f)
    os.remove(f)
    os.remove(file)
    return out, err, status
  end

  it("the OpenSMTPD filter answers smtpd's requests and logs refusals", function()
    local sid, token, t = "7641df9771b4ed00", "1ef1c203cc576e5d", "1576146008.006099"
    local out, err, status = run(program("opensmtpd"), table.concat({
      "config|smtpd-version|6.8.0p2", "config|subsystem|smtp-in", "config|ready",
      ("filter|0.6|%s|smtp-in|rcpt-to|%s|%s|<Ann@Old.Example.org>"):format(t, sid, token),
      ("filter|0.6|%s|smtp-in|rcpt-to|%s|%s|<ann@example.net>"):format(t, sid, token),
      ("report|0.6|%s|smtp-in|protocol-server|%s|550 5.1.6 This domain has moved to "
        .. "example.net"):format(t, sid),
    }, "\n") .. "\n")
    assert.are.equal(0, status, err)
    assert.are.equal("register|filter|smtp-in|rcpt-to\nregister|report|smtp-in|link-disconnect\n"
      .. "register|report|smtp-in|protocol-server\nregister|ready\n"
      .. ("filter-result|%s|%s|reject|550 5.1.6 This domain has moved to example.net\n")
        :format(sid, token)
      .. ("filter-result|%s|%s|proceed\n"):format(sid, token), out)
    assert.are.equal(sid .. " 550 user_unknown\n", err)
  end)

  it("the Postfix policy service answers each request, and stops at a malformed one", function()
    local out, err, status = run(program("postfix"), "request=smtpd_access_policy\n"
      .. "protocol_state=RCPT\nrecipient=Postmaster@example.org\nclient_name=mx.example.net\n\n"
      .. "request=smtpd_access_policy\nrecipient=ann@example.org\nclient_name=unknown\n\n"
      .. "request=smtpd_access_policy\nrecipient=bob@example.org\n\n"
      .. "garbage\n\nrequest=smtpd_access_policy\n\n")
    assert.are.equal(0, status, err)
    assert.are.equal("action=OK\n\naction=450 4.7.1 Cannot find your hostname, try again later\n\n"
      .. "action=DUNNO\n\n", out)
    assert.are.equal("lua-policy: malformed attribute line 1: 'garbage' (name=value expected)\n",
      err)
  end)
end)
