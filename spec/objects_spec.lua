-- Objects are plain Lua tables on every version: next, pairs, ipairs, #,
-- unpack and serializers see every stored field; what pairs shows never
-- depends on what was read before; cached objects are shared, and no API
-- function ever modifies one.
local support = require("spec.support")
local sc = require("smtpcodes")

-- A deep copy of v: tables copied with their metatables.
local function deepcopy(v, seen)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local t = {}
  seen[v] = t
  for k, x in next, v do t[deepcopy(k, seen)] = deepcopy(x, seen) end
  return setmetatable(t, getmetatable(v))
end

-- True when a and b hold the same values (raw), with the same metatables.
local function deepequal(a, b, path)
  path = path or "object"
  if type(a) ~= "table" or type(b) ~= "table" then
    if a ~= b then return false, path .. ": " .. tostring(a) .. " ~= " .. tostring(b) end
    return true
  end
  if getmetatable(a) ~= getmetatable(b) then return false, path .. ": metatable" end
  for k, x in next, a do
    local ok, why = deepequal(x, rawget(b, k), path .. "." .. tostring(k))
    if not ok then return false, why end
  end
  for k in next, b do
    if rawget(a, k) == nil then return false, path .. "." .. tostring(k) .. " added" end
  end
  return true
end

-- The keys pairs shows, sorted.
local function keys(t)
  local list = {}
  for k in pairs(t) do list[#list + 1] = tostring(k) end
  table.sort(list)
  return list
end

-- Every object the API caches and shares.
local function cached_objects()
  local list = {}
  for _, c in ipairs(sc.codes()) do list[#list + 1] = c end
  for _, s in ipairs(sc.statuses()) do
    list[#list + 1] = s
    for _, cls in ipairs { "2", "4", "5", "x" } do
      list[#list + 1] = sc.lookup(cls .. s.code:sub(2))
    end
  end
  for _, key in ipairs { 559, 199, "4.9.9", "X.9.99" } do list[#list + 1] = sc.lookup(key) end
  for _, profile in ipairs(sc.profiles()) do
    for _, name in ipairs(sc.commands(profile)) do list[#list + 1] = sc.command(name, profile) end
  end
  return list
end

-- Runs the whole API over the cached objects.
local function exercise(objects)
  local policy = sc.policy {
    RCPT = { [550] = "retry", ["5.7.1"] = "fail", ["mailbox full"] = "retry" },
    ["*"] = { [421] = "close" },
  }
  for _, obj in ipairs(objects) do
    local _ = tostring(obj)
    if obj.subject then
      sc.lookup(obj.code)
    elseif obj.name then
      for code = 200, 559, 7 do obj:allows(code) end
      obj:reference(250)
      obj:allows(sc.lookup(550))
    else
      sc.lookup(obj.code)
      if obj.code >= 200 then
        for _, cmd in ipairs(sc.commands()) do
          sc.decide(cmd, obj)
          sc.decide(cmd, obj.code, policy)
          policy:decide(cmd, obj)
        end
        sc.reason(obj)
        sc.reason(obj, "RCPT")
        sc.format(obj.code)
        sc.format(obj.code, "text")
      end
    end
  end
  sc.search("mailbox")
  sc.search { "relay", "denied" }
  for _, cmd in ipairs(sc.commands()) do sc.command(cmd) end
  local r = sc.parse("250-mx.example\r\n250-SIZE 1000\r\n250 AUTH PLAIN LOGIN\r\n")
  sc.capabilities(r)
  r:status()
  local reader = sc.reader()
  reader:feed("550 5.1.1 no\r\n451 4.7.1 later\r\n")
  sc.reasons()
end

describe("objects", function()
  it("are never modified by the API (a deep copy of every cached object stays equal)",
    function()
      local objects = cached_objects()
      local copies = deepcopy(objects)
      exercise(objects)
      exercise(objects) -- and once more, now that every cache is warm
      for i, obj in ipairs(objects) do
        local ok, why = deepequal(copies[i], obj, tostring(obj))
        assert(ok, why)
      end
    end)

  it("show the same fields to pairs whatever was read before", function()
    for _, make in ipairs {
      function() return sc.parse("250-mx\r\n250 2.0.0 ok\r\n") end,
      function() return sc.parse("250 ok") end,
      function() return sc.reader():feed("550 5.1.1 a\r\n")[1] end,
    } do
      local fresh = keys(make())
      local r = make()
      local read = { r.code, r.text, r.lines, r.class, r.category, r.enhanced, r.warnings,
        r:status(), r.nosuchfield, #r.lines, tostring(r) }
      assert.is_true(#read > 0)
      assert.are.same(fresh, keys(r))
      assert.are.same(fresh, keys(make()))
    end
  end)

  it("store code, text, class, category (and enhanced, warnings); lines are made on reading",
    function()
      local r = sc.parse("550-5.1.1 first\r\n550 5.1.1 second")
      assert.are.same({ "category", "class", "code", "enhanced", "text", "warnings" }, keys(r))
      assert.are.equal(2, #r.lines)
      assert.are_not.equal(r.lines, r.lines) -- a new list each time, never stored
      assert.is_nil(rawget(r, "lines"))
      assert.are.same({ "first", "second" }, { support.unpack(r.lines) })
      for _, l in ipairs(r.lines) do assert.are.equal("string", type(l)) end
    end)

  it("are seen whole by lua-cjson and by a serializer that walks with next", function()
    local cjson = require("cjson")
    local r = sc.parse("451-4.7.1 greylisted\r\n451 4.7.1 try later\r\n")
    local decoded = cjson.decode(cjson.encode(r))
    assert.are.same({ code = 451, text = "greylisted\ntry later", class = "transient",
      category = "mail system", enhanced = "4.7.1" }, decoded)
    local c = cjson.decode(cjson.encode(sc.lookup(550)))
    assert.are.equal(550, c.code)
    assert.are.equal(sc.lookup(550).explanation, c.explanation)
    assert.are.same({ support.unpack(sc.lookup(550).commands) }, c.commands)
    local s = cjson.decode(cjson.encode(sc.lookup("5.1.1")))
    assert.are.equal("5.1.1", s.code)
    assert.are.equal(1, s.subject)
    local cmd = cjson.decode(cjson.encode(sc.command("RCPT")))
    assert.are.equal("RCPT", cmd.name)
    assert.are.same({ support.unpack(sc.command("RCPT").failure) }, cmd.failure)
    local walked = 0
    for _ in next, sc.lookup(550) do walked = walked + 1 end
    assert.are.equal(8, walked)
  end)

  it("print codes as integers on every version", function()
    assert.are.equal("550", tostring(sc.lookup(550).code))
    assert.are.equal("550", tostring(sc.lookup(550.0).code))
    assert.are.equal("550", tostring(sc.lookup("550").code))
    assert.are.equal("550", tostring(sc.parse("550 no\r\n").code))
    assert.are.equal("550", tostring(sc.reader():feed("550 no\r\n")[1].code))
    local _, info = sc.decide("RCPT", 550.0)
    assert.are.equal("550", tostring(info.code))
    assert.are.equal("5", tostring(sc.lookup("5.1.1").class))
    assert.are.equal("1", tostring(sc.lookup("5.1.1").subject))
    for _, code in ipairs(sc.command("RCPT").failure) do
      assert.is_nil(tostring(code):find("%."))
    end
    for _, b in ipairs(sc.lookup("5.7.1").basic) do assert.is_nil(tostring(b):find("%.")) end
    assert.are.equal("550 5.1.1 x\r\n", sc.format(550.0, "5.1.1", "x"))
  end)
end)
