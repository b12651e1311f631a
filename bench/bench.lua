-- bench/bench.lua: smtpcodes measured side by side with plain Lua and with
-- LuaSocket's socket.tp, in one run. Each figure is the median of ROUNDS
-- rounds; each ratio compares the two sides of the same round.
-- Run with `make bench` (lua5.4, the checkout's build). It measures each
-- core in a child process of its own (SMTPCODES_BACKEND=c, then lua, with
-- --rows) and prints the two side by side; the goals are the C core's.

-- the interpreter running this script, for the child processes
local LUA
do
  local i = -1
  while arg[i - 1] do i = i - 1 end
  LUA = arg[i] or "lua5.4"
end

if arg[1] ~= "--rows" then
  local results, order = {}, {}
  for _, backend in ipairs { "c", "lua" } do
    local p = assert(io.popen(("SMTPCODES_BACKEND=%s %s %s --rows"):format(backend, LUA, arg[0])))
    for line in p:lines() do
      local what, value, goal, met, note =
        line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      if what then
        if not results[what] then
          results[what] = { goal = goal, met = met, note = note }
          order[#order + 1] = what
        end
        results[what][backend] = value
        if backend == "c" then results[what].met, results[what].note = met, note end
      else
        print(line)
      end
    end
    assert(p:close())
  end
  local function ulen(s) return #s:gsub("[\128-\191]", "") end
  local head = { "measure", "C core", "pure-Lua core", "goal (C core)", "", "note (C core)" }
  local table_rows = {}
  for _, what in ipairs(order) do
    local r = results[what]
    table_rows[#table_rows + 1] = { what, r.c or "", r.lua or "", r.goal, r.met, r.note }
  end
  local w = {}
  for i = 1, 5 do
    w[i] = ulen(head[i])
    for _, r in ipairs(table_rows) do w[i] = math.max(w[i], ulen(r[i])) end
  end
  local function line(r)
    local cells = {}
    for i = 1, 5 do cells[i] = r[i] .. (" "):rep(w[i] - ulen(r[i])) end
    print(("| %s | %s |"):format(table.concat(cells, " | "), r[6]))
  end
  line(head)
  local rule = {}
  for i = 1, 5 do rule[i] = ("-"):rep(w[i] + 2) end
  print("|" .. table.concat(rule, "|") .. "|---|")
  for _, r in ipairs(table_rows) do line(r) end
  print(("\n%s, smtpcodes %s, median of %s rounds"):format(_VERSION,
    require("smtpcodes")._VERSION, os.getenv("BENCH_ROUNDS") or "7"))
  os.exit(0)
end

local sc = require("smtpcodes")
local tp = require("socket.tp")

local ROUNDS = tonumber(os.getenv("BENCH_ROUNDS")) or 7
local clock = os.clock

local function median(list)
  table.sort(list)
  return list[math.floor((#list + 1) / 2)]
end

-- Ratio of two functions timed in alternation, the median of ROUNDS.
local function ratio(a, b, n)
  local ta, tb, r = {}, {}, {}
  for i = 1, ROUNDS do
    collectgarbage("collect")
    local t0 = clock()
    a(n)
    local t1 = clock()
    collectgarbage("collect")
    local t2 = clock()
    b(n)
    local t3 = clock()
    ta[i], tb[i], r[i] = t1 - t0, t3 - t2, (t1 - t0) / (t3 - t2)
  end
  return median(r), median(ta), median(tb)
end

local rows = {}
-- A row of the table: what, the result, the goal, whether it is met (nil
-- when there is no goal), and a note.
local function row(what, value, goal, met, note)
  local mark = met == nil and "" or met and "met" or "MISSED"
  rows[#rows + 1] = { what, value, goal or "", mark, note or "" }
end

-- lookup ---------------------------------------------------------------------

do
  local obj = sc.lookup(550)
  local plain_table = { [550] = obj, ["5.1.1"] = sc.lookup("5.1.1") }
  local function plain(key) return plain_table[key] end
  local lookup = sc.lookup
  local N = 2000000
  local function ours(n) for _ = 1, n do lookup(550) end end
  local function theirs(n) for _ = 1, n do plain(550) end end
  local r, ta = ratio(ours, theirs, N)
  row("lookup(550) / plain Lua function", ("%.2fx (%.0f ns)"):format(r, ta / N * 1e9), "<= 1.5x",
    r <= 1.5)
  local function ours_s(n) for _ = 1, n do lookup("5.1.1") end end
  local function theirs_s(n) for _ = 1, n do plain("5.1.1") end end
  r, ta = ratio(ours_s, theirs_s, N)
  row('lookup("5.1.1") / plain Lua function', ("%.2fx (%.0f ns)"):format(r, ta / N * 1e9),
    "<= 2.5x", r <= 2.5)
end

-- the replies: a realistic mix ----------------------------------------------

local function ehlo(n)
  local lines = { "250-mx.example.com Hello client.example [192.0.2.1], pleased to meet you" }
  local caps = { "PIPELINING", "SIZE 35882577", "ETRN", "AUTH LOGIN PLAIN XOAUTH2",
    "AUTH=LOGIN PLAIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING",
    "STARTTLS", "VRFY", "BINARYMIME", "DELIVERBY", "MT-PRIORITY MIXER", "REQUIRETLS",
    "X-EXPS GSSAPI NTLM", "X-LINK2STATE", "XEXCH50", "HELP" }
  for i = 1, n - 1 do lines[#lines + 1] = "250-" .. caps[(i - 1) % #caps + 1] end
  lines[#lines] = lines[#lines]:gsub("^250%-", "250 ")
  return lines
end

-- One session's worth of replies, as lists of lines.
local MIX = {
  { "220 mx.example.com ESMTP Postfix (Debian/GNU)" },
  ehlo(12),
  { "250 2.1.0 Ok" },
  { "250 2.1.5 Ok" },
  { "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local "
    .. "recipient table" },
  { "250 2.1.5 Ok" },
  { "354 End data with <CR><LF>.<CR><LF>" },
  { "250 2.0.0 Ok: queued as 4F2D11A72014" },
  { "550-5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to",
    "550-5.7.1 send email directly to our servers. Please use the SMTP relay at your",
    "550 5.7.1 service provider instead. Learn more at https://support.example.com" },
  ehlo(24),
  { "221 2.0.0 Bye" },
}
local WIRE = {}
local STREAM = {}
local NLINES = 0
for i, lines in ipairs(MIX) do
  WIRE[i] = table.concat(lines, "\r\n") .. "\r\n"
  STREAM[#STREAM + 1] = WIRE[i]
  NLINES = NLINES + #lines
end
STREAM = table.concat(STREAM)

-- socket.tp over a connection that serves lines from memory
local ALL_LINES = {}
for _, lines in ipairs(MIX) do
  for _, l in ipairs(lines) do ALL_LINES[#ALL_LINES + 1] = l end
end
local pos = 0
local mem = {
  settimeout = function() end,
  connect = function() return 1 end,
  receive = function()
    pos = pos + 1
    return ALL_LINES[pos]
  end,
}
local conn = assert(tp.connect("127.0.0.1", 25, 1, function() return mem end))

local function tp_session()
  pos = 0
  for _ = 1, #MIX do conn:check(".") end
end

do
  local parse = sc.parse
  local N = 4000
  local function ours(n)
    for _ = 1, n do
      for i = 1, #WIRE do parse(WIRE[i]) end
    end
  end
  local function theirs(n) for _ = 1, n do tp_session() end end
  local r, ta, tb = ratio(theirs, ours, N)
  row("parse: socket.tp time / parse time", ("%.2fx faster"):format(r), ">= 3x", r >= 3,
    ("%.0f ns a reply (socket.tp %.0f ns)"):format(tb / N / #MIX * 1e9, ta / N / #MIX * 1e9))
end

do
  local reader = sc.reader()
  local chunks = {}
  local big = STREAM:rep(64)
  for i = 1, #big, 4096 do chunks[#chunks + 1] = big:sub(i, i + 4095) end
  local N = 60
  local function ours(n)
    for _ = 1, n do
      for i = 1, #chunks do reader:feed(chunks[i]) end
    end
  end
  local function theirs(n)
    for _ = 1, n do
      for _ = 1, 64 do tp_session() end
    end
  end
  local r, _, tb = ratio(theirs, ours, N)
  row("reader:feed, 4 KiB chunks: socket.tp time / feed time", ("%.2fx faster"):format(r),
    ">= 3x", r >= 3, ("%.1f MB/s"):format(#big * N / tb / 1e6))
end

-- memory ----------------------------------------------------------------------

do
  local lookup = sc.lookup
  lookup(550)
  lookup("5.1.1")
  collectgarbage("collect")
  collectgarbage("stop")
  local before = collectgarbage("count")
  for _ = 1, 100000 do
    lookup(550)
    lookup("5.1.1")
  end
  local grew = (collectgarbage("count") - before) * 1024
  collectgarbage("restart")
  row("bytes allocated by 200000 repeated lookups", ("%d"):format(grew), "0", grew == 0)

  collectgarbage("collect")
  collectgarbage("stop")
  before = collectgarbage("count")
  local parse = sc.parse
  local N = 1000
  for _ = 1, N do
    for i = 1, #WIRE do parse(WIRE[i]) end
  end
  local per = (collectgarbage("count") - before) * 1024 / (N * #WIRE)
  collectgarbage("restart")
  row("bytes allocated per parsed reply (mix)", ("%.0f"):format(per), nil, nil,
    ("%d lines in %d replies, %d octets"):format(NLINES, #MIX, #STREAM))
end

-- require: heap and time, in a fresh interpreter
do
  local cmd = LUA .. [[ -e '
    collectgarbage("collect"); collectgarbage("stop")
    local m0, t0 = collectgarbage("count"), os.clock()
    require("smtpcodes")
    local t1, m1 = os.clock(), collectgarbage("count")
    io.write(("%.0f %.3f"):format((m1 - m0) * 1024, (t1 - t0) * 1000))']]
  local heap, ms = {}, {}
  for i = 1, ROUNDS do
    local p = io.popen(cmd)
    local out = p:read("*a")
    p:close()
    heap[i], ms[i] = out:match("(%S+) (%S+)")
    heap[i], ms[i] = tonumber(heap[i]), tonumber(ms[i])
  end
  row('Lua heap left by require "smtpcodes"', ("%.1f KB"):format(median(heap) / 1024),
    "< 100 KB", median(heap) < 100 * 1024)
  row('time of require "smtpcodes"', ("%.3f ms"):format(median(ms)), "< 5 ms", median(ms) < 5)
end

-- the rows, for the parent process -------------------------------------------

for _, r in ipairs(rows) do print(table.concat(r, "\t")) end
