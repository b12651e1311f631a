-- bench/bench.lua: smtpcodes measured side by side with its baselines, in one
-- run. Each figure is the median of ROUNDS rounds; each ratio compares the
-- two sides of the same round, timed in alternation.
--
-- Run with `make bench` (lua5.4, or LUA=..., the checkout's build, and
-- bench/floor.c built beside it). It measures each core in a child process of its
-- own (SMTPCODES_BACKEND=c, then lua, with --rows) and prints the two side by
-- side; the goals are the C core's.
--
-- The baselines, measured in the same run:
--   * LuaSocket's reply reader, get_reply (the upvalue of socket.tp's check,
--     without check's pattern on top), fed the same replies as pre-split lines
--     from memory: its cheapest path, which allocates nothing for the lines;
--   * the floor of this API: bench/floor.c building, without scanning, a
--     table of the same shape as the Reply that parse returns (the same
--     stored fields, strings of the same lengths, the same metatable).

-- the interpreter running this script, for the child processes
local LUA
do
  local i = -1
  while arg[i - 1] do i = i - 1 end
  LUA = arg[i] or "lua5.4"
end

local ROUNDS = tonumber(os.getenv("BENCH_ROUNDS")) or 7

-- The goals are set for Lua 5.4 and judged only there; on another Lua the
-- figures are printed beside them, unjudged.
local jit = rawget(_G, "jit")
local VERSION = jit and jit.version or _VERSION
local JUDGED = VERSION == "Lua 5.4"

local function ulen(s) return #s:gsub("[\128-\191]", "") end

-- The parent: runs a child per core and prints one table per section.
if arg[1] ~= "--rows" then
  local results, order, sections = {}, {}, {}
  for _, backend in ipairs { "c", "lua" } do
    local p = assert(io.popen(("SMTPCODES_BACKEND=%s %s %s --rows"):format(backend, LUA, arg[0])))
    for line in p:lines() do
      local section, what, value, goal, met, note =
        line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      if section then
        local key = section .. "\0" .. what
        if not results[key] then
          results[key] = { section = section, what = what, goal = goal }
          if not sections[section] then
            sections[section] = {}
            order[#order + 1] = section
          end
          table.insert(sections[section], key)
        end
        results[key][backend] = value
        if backend == "c" then results[key].met, results[key].note = met, note end
      else
        print(line)
      end
    end
    assert(p:close())
  end
  local missed = 0
  for _, section in ipairs(order) do
    print("\n### " .. section .. "\n")
    local head = { "measure", "C core", "pure-Lua core", "goal (C core)", "", "note (C core)" }
    local rows = {}
    for _, key in ipairs(sections[section]) do
      local r = results[key]
      rows[#rows + 1] = { r.what, r.c or "", r.lua or "", r.goal, r.met, r.note }
      if r.met == "MISSED" then missed = missed + 1 end
    end
    local w = {}
    for i = 1, 5 do
      w[i] = ulen(head[i])
      for _, r in ipairs(rows) do w[i] = math.max(w[i], ulen(r[i])) end
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
    for _, r in ipairs(rows) do line(r) end
  end
  print(("\n%s, smtpcodes %s, median of %d rounds; %s"):format(VERSION,
    require("smtpcodes")._VERSION, ROUNDS, not JUDGED and "the goals are Lua 5.4's, not judged"
    or missed == 0 and "every goal met" or missed .. " goals MISSED"))
  os.exit(0)
end

-- A child: measures the core SMTPCODES_BACKEND names --------------------------

local sc = require("smtpcodes")
local util = require("smtpcodes.util")
local tp = require("socket.tp")
local floor = require("floor")
local clock = os.clock

local function median(list)
  table.sort(list)
  return list[math.floor((#list + 1) / 2)]
end

-- Ratio of two functions timed in alternation, the median of ROUNDS; the
-- median time of each; and the range of the rounds' ratios, as a note. Each
-- side starts after a full collection, unless warm is set.
local function ratio(a, b, n, warm)
  local ta, tb, r = {}, {}, {}
  for i = 1, ROUNDS do
    if not warm then collectgarbage("collect") end
    local t0 = clock()
    a(n)
    local t1 = clock()
    if not warm then collectgarbage("collect") end
    local t2 = clock()
    b(n)
    local t3 = clock()
    ta[i], tb[i], r[i] = t1 - t0, t3 - t2, (t1 - t0) / (t3 - t2)
  end
  local m = median(r) -- sorts r
  return m, median(ta), median(tb), ("rounds %.2f to %.2f"):format(r[1], r[#r])
end

local section = "?"
-- A row: what, the result, the goal, whether it is met (nil: no goal), a note.
local function row(what, value, goal, met, note)
  local mark = (met == nil or not JUDGED) and "" or met and "met" or "MISSED"
  print(table.concat({ section, what, value, goal or "", mark, note or "" }, "\t"))
end

local function ns(t, n) return ("%.0f ns"):format(t / n * 1e9) end

-- lookup ---------------------------------------------------------------------

section = "lookup"
do
  local obj = sc.lookup(550)
  local plain_table = { [550] = obj, ["5.1.1"] = sc.lookup("5.1.1") }
  local function plain(key) return plain_table[key] end
  local lookup = sc.lookup
  local N = 2000000
  local function ours(n) for _ = 1, n do lookup(550) end end
  local function theirs(n) for _ = 1, n do plain(550) end end
  local r, ta = ratio(ours, theirs, N)
  row("lookup(550) / plain Lua function", ("%.2fx (%s)"):format(r, ns(ta, N)), "<= 1.5x",
    r <= 1.5)
  local function ours_s(n) for _ = 1, n do lookup("5.1.1") end end
  local function theirs_s(n) for _ = 1, n do plain("5.1.1") end end
  r, ta = ratio(ours_s, theirs_s, N)
  row('lookup("5.1.1") / plain Lua function', ("%.2fx (%s)"):format(r, ns(ta, N)), "<= 2.5x",
    r <= 2.5)
end

-- replies, shape by shape --------------------------------------------------------

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

-- Replies as lists of lines (without line ends).
local SINGLE = {
  { "250 2.1.5 Ok" }, { "250 2.1.0 Ok" }, { "354 End data with <CR><LF>.<CR><LF>" },
  { "250 2.0.0 Ok: queued as 4F2D11A72014" }, { "221 2.0.0 Bye" },
  { "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local "
    .. "recipient table" },
  { "220 mx.example.com ESMTP Postfix (Debian/GNU)" }, { "451 4.7.1 Try again later" },
}
local MULTI = {
  { "550-5.7.1 [192.0.2.1] The IP you're using to send mail is not authorized to",
    "550-5.7.1 send email directly to our servers. Please use the SMTP relay at your",
    "550 5.7.1 service provider instead. Learn more at https://support.example.com" },
  { "421-4.7.0 [192.0.2.1 15] Our system has detected an unusual rate of",
    "421-4.7.0 unsolicited mail originating from your IP address. To protect our",
    "421 4.7.0 users from spam, mail sent from your IP address has been temporarily blocked." },
  { "250-mx.example.com", "250-PIPELINING", "250-SIZE 10240000", "250-8BITMIME",
    "250 SMTPUTF8" },
}
local EHLO = { ehlo(24) }
-- one session's worth, in the order a client sees them
local MIX = {
  SINGLE[7], ehlo(12), SINGLE[2], SINGLE[1], SINGLE[6], SINGLE[1], SINGLE[3], SINGLE[4],
  MULTI[1], ehlo(24), SINGLE[5],
}

local function wire(replies)
  local out = {}
  for i, lines in ipairs(replies) do out[i] = table.concat(lines, "\r\n") .. "\r\n" end
  return out
end

-- LuaSocket's reply reader, fed pre-split lines from memory
local get_reply
do
  local check = getmetatable(tp.connect("127.0.0.1", 25, 1, function()
    return { settimeout = function() end, connect = function() return 1 end }
  end)).__index.check
  local i = 1
  while true do
    local name, value = debug.getupvalue(check, i)
    if not name then break end
    if name == "get_reply" then get_reply = value end
    i = i + 1
  end
  assert(get_reply, "socket.tp has no get_reply upvalue")
end
local function lines_of(replies)
  local all = {}
  for _, lines in ipairs(replies) do
    for _, l in ipairs(lines) do all[#all + 1] = l end
  end
  return all
end
local mem = { lines = {}, pos = 0 }
function mem:receive()
  local pos = self.pos + 1
  self.pos = pos
  return self.lines[pos]
end

local build = floor.builder(getmetatable(sc.parse("250 x\r\n")), util.CLASS, util.CATEGORY)

-- parse, floor and get_reply on the replies of one shape
local function shape(name, replies, goals)
  section = name
  local wires = wire(replies)
  local parse = sc.parse
  local args = {}
  for i, w in ipairs(wires) do
    local r = assert(parse(w))
    args[i] = { r.code, r.text, r.enhanced }
  end
  local nrep = #wires
  local N = math.max(1, math.floor(400000 / nrep / math.max(1, #lines_of(replies) / nrep)))
  local function ours(n)
    for _ = 1, n do
      for i = 1, nrep do parse(wires[i]) end
    end
  end
  local function floor_build(n)
    for _ = 1, n do
      for i = 1, nrep do
        local a = args[i]
        build(a[1], a[2], a[3])
      end
    end
  end
  mem.lines = lines_of(replies)
  local function luasocket(n)
    for _ = 1, n do
      mem.pos = 0
      for _ = 1, nrep do get_reply(mem) end
    end
  end
  local r, tp_ours, tp_floor, rounds = ratio(ours, floor_build, N)
  row("parse / floor", ("%.2fx"):format(r), goals.floor and "<= " .. goals.floor .. "x",
    goals.floor and r <= goals.floor, ("parse %s, floor %s a reply; %s"):format(
      ns(tp_ours, N * nrep), ns(tp_floor, N * nrep), rounds))
  local r2, t_ls, _, rounds2 = ratio(luasocket, ours, N)
  row("LuaSocket get_reply / parse", ("%.2fx faster"):format(r2),
    goals.luasocket and ">= " .. goals.luasocket .. "x", goals.luasocket and r2 >= goals.luasocket,
    ("get_reply %s a reply; %s"):format(ns(t_ls, N * nrep), rounds2))
  -- how much faster than get_reply building the replies alone is: no parse
  -- of this shape can beat get_reply by more in this run
  local r3 = ratio(luasocket, floor_build, N)
  row("LuaSocket get_reply / floor", ("%.2fx faster"):format(r3), nil, nil,
    "the bound of the row above in this run")
end

shape("single-line replies", SINGLE, { floor = 1.15 })
shape("multi-line replies (3 to 5 lines)", MULTI, { luasocket = 3 })
shape("long EHLO reply (24 lines)", EHLO, { luasocket = 3 })

-- the reader on a stream shaped like real sessions
section = "a stream of sessions, read by the reader"
do
  local stream = table.concat(wire(MIX)):rep(64)
  local chunks = {}
  for i = 1, #stream, 4096 do chunks[#chunks + 1] = stream:sub(i, i + 4095) end
  local all = lines_of(MIX)
  local N = 40
  local reader = sc.reader()
  local function ours(n)
    for _ = 1, n do
      for i = 1, #chunks do reader:feed(chunks[i]) end
    end
  end
  mem.lines = all
  local function luasocket(n)
    for _ = 1, n do
      for _ = 1, 64 do
        mem.pos = 0
        for _ = 1, #MIX do get_reply(mem) end
      end
    end
  end
  local r, _, t_ours, rounds = ratio(luasocket, ours, N)
  row("reader:feed in 4 KiB chunks vs LuaSocket get_reply", ("%.2fx faster"):format(r),
    ">= 1.0x", r >= 1.0, ("%.1f MB/s; %d replies, %d lines a session; %s"):format(
      #stream * N / t_ours / 1e6, #MIX, #all, rounds))
end

-- the reader on one long reply cut small: bounded work per byte
section = "one 1 MiB reply, fed whole and in 100-byte chunks"
do
  local reply = ("250-" .. ("x"):rep(250) .. "\r\n"):rep(4095) .. "250 end\r\n"
  local opts = { max_line = 300, max_lines = 4096 }
  local small = {}
  for i = 1, #reply, 100 do small[#small + 1] = reply:sub(i, i + 99) end
  local function whole(n)
    for _ = 1, n do assert(#sc.reader(opts):feed(reply) == 1) end
  end
  -- a function feeding the reply in these chunks n times
  local function feeding(chunks)
    return function(n)
      for _ = 1, n do
        local reader, got = sc.reader(opts), 0
        for i = 1, #chunks do got = got + #reader:feed(chunks[i]) end
        assert(got == 1)
      end
    end
  end
  local r, t_small, t_whole, rounds = ratio(feeding(small), whole, 3)
  row("100-byte chunks / one chunk", ("%.2fx"):format(r), "<= 2x", r <= 2,
    ("one chunk %.2f ms, chunked %.2f ms; %s"):format(t_whole / 3 * 1e3, t_small / 3 * 1e3,
      rounds))
  -- the same without a collection before each side: the memory that the
  -- reply's text needs is then mapped already, and the one-chunk run pays
  -- only for scanning and copying
  r, t_small, t_whole = ratio(feeding(small), whole, 3, true)
  row("100-byte chunks / one chunk, memory reused", ("%.2fx"):format(r), nil, nil,
    ("one chunk %.2f ms, chunked %.2f ms"):format(t_whole / 3 * 1e3, t_small / 3 * 1e3))
  -- what the calls alone cost: a method call, as reader:feed is one, to a
  -- C function that does nothing (rawequal), once per chunk, on a table of
  -- the Reader's shape
  local Shape = { feed = rawequal }
  Shape.__index = Shape
  local shaped = setmetatable({ flags = 0, max_line = 300, max_lines = 4096, state = true }, Shape)
  local function calls(n)
    for _ = 1, n do
      for i = 1, #small do shaped:feed(small[i]) end
    end
  end
  local rc, t_calls = ratio(calls, whole, 3)
  row("10486 method calls that do nothing / one chunk", ("%.2fx"):format(rc), nil, nil,
    ("%.2f ms: what any reader:feed costs before it does anything"):format(t_calls / 3 * 1e3))
  local big = {}
  for i = 1, #reply, 4096 do big[#big + 1] = reply:sub(i, i + 4095) end
  local r4 = ratio(feeding(big), whole, 3)
  row("4 KiB chunks / one chunk", ("%.2fx"):format(r4), nil, nil,
    "the same reply in socket-sized reads")
end

-- bounces: records a second from log lines and from DSN messages
section = "bounces"
do
  local log = {}
  local line = "Dec  1 10:00:00 mx postfix/smtp[1234]: 4F2D11A72014: to=<nobody@example.net>, "
    .. "relay=mail.example.net[192.0.2.10]:25, delay=0.5, dsn=5.1.1, status=bounced (host "
    .. "mail.example.net[192.0.2.10] said: 550 5.1.1 <nobody@example.net>: Recipient address "
    .. "rejected: User unknown in local recipient table (in reply to RCPT TO command))"
  for i = 1, 1000 do log[i] = line end
  log = table.concat(log, "\n")
  local dsn = table.concat({
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"", "",
    "--B", "Content-Type: text/plain", "", "Your message could not be delivered.", "",
    "--B", "Content-Type: message/delivery-status", "", "Reporting-MTA: dns; mx.example.org", "",
    "Final-Recipient: rfc822; nobody@example.net", "Action: failed", "Status: 5.1.1",
    "Remote-MTA: dns; mail.example.net",
    "Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address",
    "    rejected: User unknown in local recipient table", "", "--B--", "" }, "\r\n")
  local bounces = sc.bounces
  local function per_second(text, records, n)
    local times = {}
    for i = 1, ROUNDS do
      collectgarbage("collect")
      local t0 = clock()
      for _ = 1, n do assert(#bounces(text) == records) end
      times[i] = clock() - t0
    end
    return records * n / median(times)
  end
  row("records a second from Postfix log lines", ("%.0f"):format(per_second(log, 1000, 5)))
  row("records a second from DSN messages", ("%.0f"):format(per_second(dsn, 1, 2000)))
end

-- memory ----------------------------------------------------------------------

section = "memory"
do
  local lookup = sc.lookup
  local function lookups(n)
    for _ = 1, n do
      lookup(550)
      lookup("5.1.1")
    end
  end
  lookups(100000) -- once before, so that what a JIT compiles is not counted
  collectgarbage("collect")
  collectgarbage("stop")
  local before = collectgarbage("count")
  lookups(100000)
  local grew = (collectgarbage("count") - before) * 1024
  collectgarbage("restart")
  row("bytes allocated by 200000 repeated lookups", ("%d"):format(grew), "0", grew == 0)

  local parse = sc.parse
  local function per_reply(wires)
    collectgarbage("collect")
    collectgarbage("stop")
    local b = collectgarbage("count")
    local N = 1000
    for _ = 1, N do
      for i = 1, #wires do parse(wires[i]) end
    end
    local per = (collectgarbage("count") - b) * 1024 / (N * #wires)
    collectgarbage("restart")
    return per
  end
  row("bytes allocated per parsed single-line reply", ("%.0f"):format(per_reply(wire(SINGLE))))
  row("bytes allocated per parsed reply (a session's mix)", ("%.0f"):format(per_reply(wire(MIX))))
end

-- require: heap and time, in a fresh interpreter
section = "require"
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
