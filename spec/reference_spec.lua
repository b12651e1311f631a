-- The module covers every fact of the reference tables and of the classic
-- code lists (copies in spec/fixtures), table-driven.
local sc = require("smtpcodes")
local support = require("spec.support")

local REF = "spec/fixtures/reference/"
local TABLES = "spec/fixtures/tables/"

describe("reply-codes.tsv", function()
  for _, r in ipairs(support.tsv(REF .. "reply-codes.tsv", true)) do
    local code, text, meaning = tonumber(r[1]), r[2], r[3]
    it(("defines %d with its text, class and category"):format(code), function()
      local c = sc.lookup(code)
      assert.is_true(c.known)
      -- "(no text defined)": the standard gives none, and Code.text is nil
      assert.are.equal(not text:find("^%(") and text or nil, c.text)
      local class, category = meaning:match("^[%a]+%-([%a]+)/([%a-]+)$")
      local CLASS = { completion = "completion", intermediate = "intermediate",
        negative = nil }
      if class == "negative" then
        class = meaning:find("^transient") and "transient" or "permanent"
      end
      assert.are.equal(CLASS[class] or class, c.class)
      assert.are.equal((category:gsub("%-", " ")), c.category)
      assert.is_true(#c.references > 0)
    end)
  end
end)

describe("enhanced-status-codes.tsv", function()
  for _, r in ipairs(support.tsv(REF .. "enhanced-status-codes.tsv", true)) do
    local code, title, basic = r[1], r[2], r[3]
    it(("defines %s with its title and associated basic codes"):format(code), function()
      local s = sc.lookup(code)
      assert.is_true(s.known)
      assert.are.equal(title ~= "" and title or nil, s.title)
      local want = {}
      for tok in (basic .. ","):gmatch("([^,]*),") do
        if tok == "any" then
          want["2XX"], want["4XX"], want["5XX"] = true, true, true
        elseif tok ~= "" then
          want[support.int(tonumber(tok)) or tok] = true
        end
      end
      assert.are.same(want, support.set(s.basic))
      for _, cls in ipairs { 2, 4, 5 } do
        local st = sc.lookup(code:gsub("^X", tostring(cls)))
        assert.are.equal(cls, st.class)
        assert.are.equal(s.title, st.title)
        for _, b in ipairs(st.basic) do
          assert.are.equal(cls, support.int(tonumber(tostring(b):sub(1, 1))))
        end
      end
    end)
  end
end)

describe("enhanced-classes-subjects.tsv", function()
  for _, r in ipairs(support.tsv(REF .. "enhanced-classes-subjects.tsv", true)) do
    local kind, code, title = r[1], r[2], r[3]
    it(("names %s %s"):format(kind, code), function()
      if kind == "class" then
        local cls = code:sub(1, 1)
        assert.are.equal(title, sc.lookup(cls .. ".0.0").class_title)
      else
        local subject = code:match("^X%.(%d)")
        assert.are.equal(title, sc.lookup("X." .. subject .. ".0").subject_title)
        assert.are.equal(title, sc.lookup("5." .. subject .. ".999").subject_title)
      end
    end)
  end
end)

describe("command-replies.tsv", function()
  -- The sources of the default profile: RFC 5321 and the extensions.
  local DEFAULT = support.set { "rfc5321", "rfc4954", "rfc3207", "rfc1985", "rfc3030", "rfc1870",
    "rfc3461", "rfc6531", "rfc6710", "rfc7504", "rfc1845", "rfc2645", "rfc4468" }
  local rows = support.tsv(REF .. "command-replies.tsv", true)
  for _, r in ipairs(rows) do
    if DEFAULT[r[1]] then
      local source, command, phase, codes = r[1], r[2], r[3], r[5]
      it(("has %s %s %s %s in profile rfc5321"):format(source, command, phase, codes), function()
        local names = { command }
        if command == "*" then
          names = {}
          for _, n in ipairs(sc.commands()) do
            if n ~= "CONNECT" then names[#names + 1] = n end
          end
        elseif phase == "after-data" then
          names = { "DATA_END" }
        end
        for _, name in ipairs(names) do
          local cmd = assert(sc.command(name))
          for tok in (codes .. ","):gmatch("([^,]*),") do
            local code = support.int(tonumber(tok)) or tonumber(tok:sub(1, 1)) * 100 + 99
            local exempt = command == "*" and r[4] == "E" and
              ((code == 530 and (name == "EHLO" or name == "NOOP" or name == "QUIT")) or
               (code == 554 and name == "QUIT"))
            if not exempt then
              assert.is_true(cmd:allows(code), name .. " " .. tok)
            end
          end
        end
      end)
    end
  end
end)

-- Reads a classic "codes grouped by command" list: a heading per command
-- ("connect", "received data", "HELO", ...), then lines that start with a code.
local function by_command(path)
  local groups, current = {}, nil
  local NAMES = { ["connect"] = "CONNECT", ["received data"] = "DATA_END" }
  for line in support.read(path):gmatch("[^\r\n]+") do
    local head = line:match("^##%s*%**([%a ]-)%**%s*$") or line:match("^Command Code:?%s*(%a+)")
      or line:match("^(%u%u%u%u)%s*$") or line:match("^(connect)$")
      or line:match("^(received data)$")
    if head then
      current = NAMES[head] or head:upper()
      groups[current] = groups[current] or {}
    elseif current then
      local code = line:match("^%-?%s*(%d%d%d)%f[%D]")
      if code then groups[current][support.int(tonumber(code))] = true end
    end
  end
  return groups
end

describe("profile rfc821", function()
  local seed = by_command(TABLES .. "by-command.txt")

  it("has exactly the commands of the classic table", function()
    assert.are.same(support.keys(seed), sc.commands("rfc821"))
  end)

  for name, codes in pairs(seed) do
    it(("gives %s exactly the codes of the classic table"):format(name), function()
      local cmd = sc.command(name, "rfc821")
      local got = {}
      for _, group in ipairs { "success", "intermediate", "failure" } do
        for _, c in ipairs(cmd[group]) do got[c] = true end
      end
      assert.are.same(codes, got)
      assert.are.same({}, { support.unpack(cmd.any) })
    end)
  end

  it("matches the two other copies of the classic table", function()
    for _, file in ipairs { "by-command-plain.txt", "numeric-and-by-command.txt" } do
      local other = by_command(TABLES .. file)
      for name, codes in pairs(seed) do
        assert.are.same(codes, other[name], file .. " " .. name)
      end
    end
  end)
end)

describe("the numeric code lists", function()
  for _, file in ipairs { "numeric.txt", "numeric-and-enhanced.txt", "numeric-and-by-command.txt",
    "by-command.txt" } do
    it("are all known codes: " .. file, function()
      local n = 0
      -- a code stands after white space, '|' or '-', and before its text
      -- (the page footer of one list holds an article number: cut it off)
      local text = " " .. support.read(TABLES .. file):gsub("Article Details.*$", "")
      for code in text:gmatch("[%s|%-](%d%d%d)[%s\194\160]+[%u<(|]") do
        n = n + 1
        local c = sc.lookup(code)
        assert.is_true(c and c.known, file .. ": " .. code)
      end
      assert.is_true(n > 20)
    end)
  end

  it("name only registry codes in the enhanced list", function()
    local n = 0
    for code in support.read(TABLES .. "numeric-and-enhanced.txt"):gmatch("\n(x%.%d%.%d+) ") do
      n = n + 1
      assert.is_true(sc.lookup(code).known, code)
    end
    assert.are.equal(38, n)
  end)
end)
