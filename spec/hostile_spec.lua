-- Every public function and method, called with hostile arguments: every Lua
-- type, NaN, infinities, the largest and smallest integers, megabyte
-- strings, embedded NULs, random bytes, tables whose metamethods raise, and
-- sockets that raise or return junk. Nothing may crash, and every error must
-- be a clear string: a "bad argument" message, or the hostile metamethod's
-- own error passed through.
local support = require("spec.support")
local sc = require("smtpcodes")

math.randomseed(6)
local function random_bytes(n)
  local t = {}
  for i = 1, n do t[i] = string.char(math.random(0, 255)) end
  return table.concat(t)
end

local function raising(name)
  return setmetatable({}, {
    __index = function() error("hostile metamethod " .. name, 0) end,
    __newindex = function() error("hostile metamethod " .. name, 0) end,
    __len = function() error("hostile metamethod " .. name, 0) end,
    __tostring = function() error("hostile metamethod " .. name, 0) end,
    __call = function() error("hostile metamethod " .. name, 0) end,
  })
end

local HOSTILE = {
  { "nil", nil }, { "true", true }, { "false", false }, { "zero", 0 }, { "-1", -1 },
  { "NaN", 0 / 0 }, { "huge", math.huge }, { "-huge", -math.huge },
  { "maxinteger", support.MAXINT }, { "mininteger", -support.MAXINT }, { "1.5", 1.5 },
  { "empty string", "" }, { "NUL", "\0" }, { "NULs in a reply", "250 a\0b\0\r\n" },
  { "megabyte", ("x"):rep(2 ^ 20) }, { "megabyte of lines", ("250-x\r\n"):rep(150000) },
  { "random bytes", random_bytes(4096) }, { "empty table", {} }, { "list", { 1, 2, 3 } },
  { "raising table", raising("table") }, { "function", print },
  { "coroutine", coroutine.create(function() end) }, { "userdata", io.stdout },
  { "code-like table", { code = 0 / 0, text = {}, lines = 5, enhanced = 7 } },
}

local function clear(ok, err)
  if ok then return true end
  if type(err) ~= "string" then return false, "error of type " .. type(err) end
  if err:find("attempt to") or err:find("stack overflow") then return false, err end
  if err:find("bad argument #%d+ to '") or err:find("hostile metamethod") then return true end
  return false, err
end

-- Each entry: name, function(a, b, c) calling the API with the hostile
-- value in one place, and how many places there are.
local reader = sc.reader()
local CALLS = {
  { "lookup", function(a) return sc.lookup(a) end, 1 },
  { "index", function(a) return sc[a] end, 1 },
  { "command", function(a, b) return sc.command(a, b) end, 2 },
  { "commands", function(a) return sc.commands(a) end, 1 },
  { "profiles", function() return sc.profiles() end, 0 },
  { "codes", function() return sc.codes() end, 0 },
  { "statuses", function() return sc.statuses() end, 0 },
  { "search", function(a) return sc.search(a) end, 1 },
  { "parse", function(a, b) return sc.parse(a, b) end, 2 },
  { "parse strict", function(a) return sc.parse(a, { strict = true }) end, 1 },
  { "reader", function(a) return sc.reader(a) end, 1 },
  { "feed", function(a) return sc.reader():feed(a) end, 1 },
  { "feed one reader", function(a) return reader:feed(a) end, 1 },
  { "receive", function(a) return sc.reader():receive(a) end, 1 },
  { "finish", function(a) local r = sc.reader(); r:feed(type(a) == "string" and a or "");
      return r:finish() end, 1 },
  { "capabilities", function(a) return sc.capabilities(a) end, 1 },
  { "decide", function(a, b, c) return sc.decide(a, b, c) end, 3 },
  { "decide RCPT", function(a) return sc.decide("RCPT", a) end, 1 },
  { "policy", function(a) return sc.policy(a) end, 1 },
  { "policy rule", function(a) return sc.policy({ RCPT = { [550] = a } }) end, 1 },
  { "policy key", function(a)
      return sc.policy({ RCPT = { [(a == nil or a ~= a) and 1 or a] = "fail" } })
    end, 1 },
  { "reason", function(a, b) return sc.reason(a, b) end, 2 },
  { "reasons", function() return sc.reasons() end, 0 },
  { "format", function(a, b, c) return sc.format(a, b, c) end, 3 },
  { "format text", function(a) return sc.format(250, a) end, 1 },
  { "format enhanced", function(a) return sc.format(250, "2.0.0", a) end, 1 },
  { "format opts", function(a) return sc.format(250, "ok", a) end, 1 },
  { "allows", function(a) return sc.command("RCPT"):allows(a) end, 1 },
  { "reference", function(a) return sc.command("RCPT"):reference(a) end, 1 },
  { "Reply:status", function(a) return sc.parse("250 2.0.0 ok\r\n").status(a) end, 1 },
  { "Reader:feed", function(a, b) return reader.feed(a, b) end, 2 },
  { "Reader:receive", function(a, b) return reader.receive(a, b) end, 2 },
  { "Reader:finish", function(a) return reader.finish(a) end, 1 },
  { "Reader:reset", function(a) return reader.reset(a) end, 1 },
  { "Reader:buffered", function(a) return reader.buffered(a) end, 1 },
  { "Command:allows", function(a, b) return sc.command("RCPT").allows(a, b) end, 2 },
  { "Command:reference", function(a, b) return sc.command("RCPT").reference(a, b) end, 2 },
  { "Policy:decide", function(a, b, c) return sc.policy({}).decide(a, b, c) end, 3 },
  { "Policy:reason", function(a, b, c) return sc.policy({}).reason(a, b, c) end, 3 },
  { "policy reasons", function(a) return sc.policy({ reasons = a }) end, 1 },
  { "bounces", function(a, b) return sc.bounces(a, b) end, 2 },
  { "bounces text", function(a) return sc.bounces(type(a) == "string" and a or "x") end, 1 },
}

describe("hostile arguments", function()
  for _, call in ipairs(CALLS) do
    it("never crash " .. call[1] .. ", and its errors are clear", function()
      for place = 1, math.max(call[3], 1) do
        for _, h in ipairs(HOSTILE) do
          local args = { "RCPT", 250, nil }
          args[place] = h[2]
          local ok, err = clear(pcall(call[2], args[1], args[2], args[3]))
          assert.is_true(ok, ("%s with %s at #%d: %s"):format(call[1], h[1], place, tostring(err)))
        end
      end
    end)
  end

  it("never crash tostring of the objects", function()
    for _, obj in ipairs { sc[550], sc["5.1.1"], sc["X.9.9"], sc[559], sc.command("RCPT"),
      sc.parse("250 ok\r\n"), sc.policy({}) } do
      assert.is_string(tostring(obj))
    end
  end)
end)

describe("hostile sockets", function()
  local SOCKETS = {
    { "raises a string", function() error("socket exploded") end },
    { "raises a table", function() error({}) end },
    { "returns a number", function() return 42 end },
    { "returns a table", function() return {} end },
    { "returns nil and junk", function() return nil, {}, 5 end },
    { "returns nil and a partial that never ends", function() return nil, "timeout",
      ("x"):rep(5000) end },
    { "returns a megabyte line", function() return ("250-" .. ("x"):rep(2 ^ 20)) end },
    { "never ends a reply", function() return "250-more" end },
    { "returns random bytes", function() return random_bytes(100) end },
  }
  for _, s in ipairs(SOCKETS) do
    it("never crash receive when the socket " .. s[1], function()
      local r = sc.reader()
      for _ = 1, 3 do
        local reply, err = r:receive({ receive = s[2] })
        assert.is_true(reply == nil or type(reply) == "table")
        if reply == nil then assert.is_string(err) end
      end
    end)
  end

  it("never crash receive with a socket whose methods are missing or raise on lookup", function()
    for _, sock in ipairs { {}, raising("socket"), setmetatable({}, { __index = function()
      return 5 end }) } do
      local reply, err = sc.reader():receive(sock)
      assert.is_nil(reply)
      assert.is_string(err)
    end
  end)
end)
