-- The module agrees with data/*.tsv row for row, and data/ agrees with the
-- reference tables it was built from (copies in spec/fixtures/reference).
local sc = require("smtpcodes")
local core = require("smtpcodes.core")
local support = require("spec.support")

local function refs(s)
  local list = {}
  for r in (s .. "; "):gmatch("(.-); ") do list[#list + 1] = r end
  return list
end

describe("data/replies.tsv", function()
  local rows = support.tsv("data/replies.tsv")

  it("has one Code per row, with its text, references and explanation", function()
    assert.are.equal(#rows, #sc.codes())
    for _, r in ipairs(rows) do
      local c = sc.lookup(tonumber(r[1]))
      assert.are.equal(support.int(tonumber(r[1])), c.code)
      assert.are.equal(not r[2]:find("^%(") and r[2] or nil, c.text)
      assert.are.same(refs(r[3]), { support.unpack(c.references) })
      assert.are.equal(r[4], c.explanation)
      assert.is_true(c.known)
    end
  end)

  it("gives every row a reference and an explanation", function()
    for _, r in ipairs(rows) do
      assert.truthy(r[3]:find("^RFC %d+") or r[3]:find("^IANA "), r[1])
      assert.is_true(#r[4] > 20, "explanation of " .. r[1])
    end
  end)

  it("lists codes in core.codes() sorted and without duplicates", function()
    local codes = core.codes()
    for i = 2, #codes do assert.is_true(codes[i - 1] < codes[i]) end
  end)
end)

describe("data/enhanced.tsv", function()
  local rows = support.tsv("data/enhanced.tsv")

  it("has one Status per row", function()
    assert.are.equal(#rows, #sc.statuses())
    for _, r in ipairs(rows) do
      local s = sc.lookup(r[1])
      assert.are.equal(r[1], s.code)
      assert.are.equal(r[2] ~= "" and r[2] or nil, s.title)
      assert.are.same(refs(r[4]), { support.unpack(s.references) })
      assert.are.equal(r[5], s.description)
      assert.is_true(s.known)
    end
  end)
end)

describe("data/commands.tsv", function()
  local rows = support.tsv("data/commands.tsv")

  it("is what each Command allows, with the row's reference", function()
    for _, r in ipairs(rows) do
      local names = { r[2] }
      if r[2] == "*" then
        local except = support.set({})
        for n in ((r[5] or "") .. ","):gmatch("([^,]*),") do except[n] = true end
        names = {}
        for _, n in ipairs(sc.commands(r[1])) do
          if n ~= "CONNECT" and not except[n] then names[#names + 1] = n end
        end
      end
      for _, name in ipairs(names) do
        local cmd = assert(sc.command(name, r[1]))
        for tok in (r[3] .. ","):gmatch("([^,]*),") do
          local code = support.int(tonumber(tok)) or tonumber(tok:sub(1, 1)) * 100 + 99
          assert.is_true(cmd:allows(code), name .. " " .. tok)
          for _, ref in ipairs(refs(r[4])) do
            assert.truthy(cmd:reference(code):find(ref, 1, true), name .. " " .. tok .. " " .. ref)
          end
        end
      end
    end
  end)

  it("allows nothing that no row lists", function()
    local listed = {}
    for _, r in ipairs(rows) do
      local key = r[1] .. " " .. r[2]
      listed[key] = listed[key] or {}
      for tok in (r[3] .. ","):gmatch("([^,]*),") do listed[key][tok] = true end
    end
    for _, profile in ipairs(sc.profiles()) do
      for _, name in ipairs(sc.commands(profile)) do
        local cmd = sc.command(name, profile)
        for _, group in ipairs { "success", "intermediate", "failure" } do
          for _, code in ipairs(cmd[group]) do
            local tok = tostring(code)
            local star = listed[profile .. " *"] or {}
            assert.is_true((listed[profile .. " " .. name] or {})[tok] or
              (name ~= "CONNECT" and star[tok]) or false, profile .. " " .. name .. " " .. tok)
          end
        end
      end
    end
  end)
end)

describe("the generated files", function()
  it("are what tools/gentables.lua makes of data/ now, on this interpreter", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert.is_true(support.execute("mkdir -p " .. dir))
    local _, err, status = support.run(("%s tools/gentables.lua data %s %s")
      :format(support.LUA, dir, dir))
    assert.are.equal(0, status, err)
    for _, f in ipairs { "csrc/replies_gen.h", "csrc/enhanced_gen.h", "csrc/commands_gen.h",
      "csrc/reasons_gen.h", "lua/smtpcodes/luacore.lua" } do
      assert.are.equal(support.read(f), support.read(dir .. "/" .. f:match("[^/]+$")), f)
    end
    support.execute("rm -rf " .. dir)
  end)

  it("are refused when a row is malformed", function()
    local dir = os.tmpname()
    os.remove(dir)
    support.execute("mkdir -p " .. dir .. "/data " .. dir .. "/out && cp data/*.tsv " .. dir
      .. "/data")
    local f = assert(io.open(dir .. "/data/replies.tsv", "a"))
    f:write("250\tduplicate\tRFC 5321 \194\1674.2.2\tthe same code twice\n")
    f:close()
    local _, err, status = support.run(("%s tools/gentables.lua %s/data %s/out")
      :format(support.LUA, dir, dir))
    assert.are_not.equal(0, status)
    assert.matches("duplicate code 250", err)
    support.execute("rm -rf " .. dir)
  end)
end)
