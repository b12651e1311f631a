-- Measures smtpcodes.bounces on whole bounce messages: the sample emails of
-- Sisimai's public corpus, each labelled with what Sisimai's own test suite
-- expects of it. Unlike spec/fixtures/corpus/sisimai.tsv (the replies alone,
-- taken out of the messages by tools/sisimai_corpus.lua), this reads each
-- message as a user would give it to bounces: finding the replies, their
-- recipients and commands is measured too.
--
--   lua5.4 tools/sisimai_messages.lua MAILDIR TESTS [-v]
--
-- MAILDIR is set-of-emails/maildir/bsd of a checkout of
-- https://github.com/sisimai/set-of-emails (or of p5-sisimai); TESTS is the
-- fact/ directory of a checkout of https://github.com/sisimai/go-sisimai,
-- whose *_test.go files list, per sample, the expected status, reply code,
-- reason and hardbounce of each recipient. Run it from the root of this
-- repository, with the core built (make). With -v it prints each sample
-- whose records do not agree with its labels.
--
-- A labelled recipient counts when its label gives a reply code and a
-- reason of the table in spec/fixtures/corpus/README.md. A message is paired
-- when bounces gives as many records as it has labels, in the same order.
-- The figures: how many labelled recipients had no record at all, and, of
-- the paired ones, how many agree on the reason and on hard or soft.
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
package.cpath = "./build/lua5.4/?.so;" .. package.cpath

local sc = require("smtpcodes")

local maildir, tests, verbose = arg[1], arg[2], arg[3] == "-v"
if not maildir or not tests then
  io.stderr:write("usage: lua5.4 tools/sisimai_messages.lua MAILDIR TESTS [-v]\n")
  os.exit(2)
end

local function read(path)
  local h = io.open(path, "rb")
  if not h then return nil end
  local s = h:read("*a")
  h:close()
  return s
end

-- Sisimai's reasons and the smtpcodes reasons that agree with each, from
-- the table of the corpus README (one place for the spec's reader to see).
local AGREE = {}
for line in assert(io.open("spec/fixtures/corpus/README.md")):lines() do
  local theirs, ours = line:match("^| ([%l, ]+) | ([%l_, ]+) |$")
  if theirs then
    local list = {}
    for name in ours:gmatch("[%l_]+") do list[#list + 1] = name end
    for name in theirs:gmatch("%l+") do AGREE[name] = list end
  end
end
assert(AGREE.userunknown, "no table of reasons in spec/fixtures/corpus/README.md")

local function agrees(label, reason)
  for _, name in ipairs(AGREE[label]) do
    if name == reason then return true end
  end
  return false
end

local n = { samples = 0, rows = 0, unfound = 0, paired = 0, reason = 0, kind = 0, softhard = 0 }
local names = {}
for name in io.popen("ls " .. tests):lines() do
  if name:find("_test%.go$") then names[#names + 1] = name end
end
table.sort(names)
for _, name in ipairs(names) do
  local src = read(tests .. "/" .. name)
  -- "70-rhost-aol_test.go" --> "rhost-aol-NN.eml"; "90-rfc3464_test.go" --> "rfc3464-NN.eml"
  local kind = name:match("^%d+%-(%a+)%-[%w]+_test%.go$")
  local engine = src:match('EngineTest%(t, "([^"]+)", publiclist')
  local list = src:match("publiclist := %[%]%[%]IsExpected{(.-)\n%s*}; EngineTest")
  if engine and list then
    local labels, order = {}, {}
    for index, status, code, reason, hard in list:gmatch(
        '{"(%d+)",%s*%d+,%s*"([^"]*)",%s*"([^"]*)",%s*"([^"]*)",%s*(%a+)') do
      if not labels[index] then
        labels[index] = {}
        order[#order + 1] = index
      end
      table.insert(labels[index], { status = status, code = code, reason = reason,
        hard = hard == "true" })
    end
    for _, index in ipairs(order) do
      local file = (kind and kind .. "-" or "") .. ("%s-%02d.eml"):format(engine:lower(),
        tonumber(index))
      local msg = read(maildir .. "/" .. file)
      if msg then
        n.samples = n.samples + 1
        local want, records = labels[index], sc.bounces(msg) or {}
        local counted = 0
        for _, w in ipairs(want) do
          if w.code ~= "" and AGREE[w.reason] then counted = counted + 1 end
        end
        n.rows = n.rows + counted
        if #records == 0 then
          n.unfound = n.unfound + counted
          if verbose and counted > 0 then print("no record", file) end
        elseif #records ~= #want then
          if verbose then print(("%d records for %d labels"):format(#records, #want), file) end
        else
          for k, w in ipairs(want) do
            if w.code ~= "" and AGREE[w.reason] then
              local r = records[k]
              local ok, hard = agrees(w.reason, r.reason), r.kind == "hard"
              n.paired = n.paired + 1
              if ok then n.reason = n.reason + 1 end
              if hard == w.hard then n.kind = n.kind + 1 end
              if hard and not w.hard then n.softhard = n.softhard + 1 end
              if verbose and (not ok or hard ~= w.hard) then
                print(("label %s %s, got %s %s"):format(w.reason, w.hard and "hard" or "soft",
                  tostring(r.reason), tostring(r.kind)), file .. " #" .. k)
              end
            end
          end
        end
      end
    end
  end
end

local function pct(a, b) return b > 0 and 100 * a / b or 0 end
print(("%d samples, %d labelled recipients with a reply code; %d without any record; "
  .. "%d paired: reason agreement %.1f%%, hard/soft agreement %.1f%%, soft called hard %d")
  :format(n.samples, n.rows, n.unfound, n.paired, pct(n.reason, n.paired), pct(n.kind, n.paired),
    n.softhard))
