-- Builds spec/fixtures/corpus/sisimai.tsv: real SMTP replies from the public
-- bounce corpus of the Sisimai project (its set-of-emails), each labelled
-- with what Sisimai's own test suite says the bounce means.
--
--   lua5.4 tools/sisimai_corpus.lua P5DIR COMMIT > spec/fixtures/corpus/sisimai.tsv
--
-- P5DIR is a checkout of https://github.com/sisimai/p5-sisimai (its t/ and
-- set-of-emails/ are read) and COMMIT the commit it is at. Run it from the
-- root of this repository.
--
-- The labels are the expected values of p5-sisimai's t/NNN-rhost-*.t,
-- t/NNN-lhost-*.t and t/89N-*.t: per recipient of a sample, [status, reply
-- code, reason, hardbounce]. The replies come from the sample itself:
--   - the Diagnostic-Code fields of its delivery-status part (RFC 3464
--     2.3.6), in recipient order, quoted-printable undone, folding undone;
--   - for a sample without them (qmail, Exim, Gmail ... bounces quote the
--     reply in their text), the replies that smtpcodes.bounces finds in it,
--     kept only when their number and their reply codes are the ones the
--     label gives: the library finds the text, the label stays Sisimai's.
-- The command a reply answered is taken from the sample's text when it says
-- it ("in reply to end of DATA command", "after RCPT TO:") and it is the
-- same for every recipient. (A Sendmail transcript's last ">>> DATA" is not
-- taken: with pipelining, the refusal it shows may answer an earlier RCPT.)
--
-- Left out, each for a reason that is not the library's answer:
--   - a sample whose replies cannot be paired with its recipients one to
--     one: a different number of them, or several recipients whose labels
--     differ (their order in the sample and in the test may not agree);
--   - a value that holds no SMTP reply code (a DNS error, a timeout, a local
--     delivery error): it is no reply;
--   - labels that do not say what a reply means: delivered, onhold,
--     undefined, vacation, feedback;
--   - the label filtered when the sample does not name the command: Sisimai
--     gives it to a refusal after the message data (a recipient-side filter),
--     which it learns from facts outside the reply (the command, an Amazon
--     SES notification's bounce type), so the reply alone cannot carry it.
package.path = "./lua/?.lua;./lua/?/init.lua;" .. package.path
local sc = require("smtpcodes")

local dir, commit = arg[1], arg[2]
if not dir or not commit then
  io.stderr:write("usage: lua5.4 tools/sisimai_corpus.lua P5DIR COMMIT\n")
  os.exit(2)
end

local function read(path)
  local h = io.open(path, "rb")
  if not h then return nil end
  local s = h:read("*a")
  h:close()
  return s
end

local function unqp(s)
  s = s:gsub("=\r?\n", "")
  return (s:gsub("=(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- The Diagnostic-Code values of a message, unfolded, in order.
local function diagnostics(msg)
  msg = msg:gsub("\r\n", "\n")
  if msg:lower():find("content%-transfer%-encoding:%s*quoted%-printable") then msg = unqp(msg) end
  local out, lines = {}, {}
  for line in (msg .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  local i = 1
  while i <= #lines do
    local v = lines[i]:match("^[Dd]iagnostic%-[Cc]ode:%s*(.*)$")
    if v then
      while lines[i + 1] and lines[i + 1]:find("^[ \t]") do
        i = i + 1
        v = v .. " " .. lines[i]:gsub("^[ \t]+", "")
      end
      v = v:gsub("^[%w%-]+%s*;%s*", ""):gsub("%s+$", ""):gsub("%s+", " ")
      out[#out + 1] = v
    end
    i = i + 1
  end
  return out
end

-- The command every reply of the message answered, when its text names one.
local NAMES = {
  ["rcpt to"] = "RCPT", ["mail from"] = "MAIL", ["end of data"] = "DATA_END", ["data"] = "DATA",
  ["end of message"] = "DATA_END",
}
local function command_of(msg)
  local found = {}
  local l = msg:lower():gsub("%s+", " ")
  for words in l:gmatch("in reply to (.-) command") do found[#found + 1] = NAMES[words] or "?" end
  for words in l:gmatch("error from remote mail[e]?r? ?s?e?r?v?e?r? after ([%a ]-)[:<]") do
    found[#found + 1] = NAMES[words:gsub("%s+$", "")] or "?"
  end
  local cmd
  for _, c in ipairs(found) do
    if c == "?" or (cmd and c ~= cmd) then return nil end
    cmd = c
  end
  return cmd
end

-- The flattened text of a Reply found by smtpcodes.bounces.
local function flat(reply)
  return reply.code .. (reply.enhanced and " " .. reply.enhanced or "") .. " "
    .. reply.text:gsub("\n", " ")
end

local SKIP = { delivered = true, onhold = true, undefined = true, vacation = true,
  feedback = true }

local tests = {}
for name in io.popen("ls " .. dir .. "/t"):lines() do
  if name:find("^%d+%-[rl]host%-.+%.t$") or name:find("^89%d%-.+%.t$") then
    tests[#tests + 1] = name
  end
end
table.sort(tests)

io.write("provider\tcommand\treply\tstatus\tcode\tsisimai\thard\tsource\n")
for _, t in ipairs(tests) do
  local src = read(dir .. "/t/" .. t)
  local engine = src:match("my %$enginename = '([^']+)'")
  local kind = t:match("%-(rhost)%-") or t:match("%-(lhost)%-")
  if engine and not src:find("set%-of%-emails/private") then
    for index, body in src:gmatch("\n%s*'(%d+)'%s*=>%s*(%b[])") do
      local want = {}
      for status, code, reason, hard in
          body:gmatch("%[%s*'([^']*)',%s*'([^']*)',%s*'([^']*)',%s*(%d)") do
        want[#want + 1] = { status = status, code = code, reason = reason, hard = hard }
      end
      local file = ("set-of-emails/maildir/bsd/%s%s-%02d.eml"):format(kind and kind .. "-" or "",
        engine:lower(), tonumber(index))
      local msg = read(dir .. "/" .. file)
      local found, how = {}, "Diagnostic-Code"
      if msg then
        found = diagnostics(msg)
        if #found == 0 then
          how = "found by smtpcodes.bounces"
          local recs = sc.bounces(msg) or {}
          for k, r in ipairs(recs) do
            if r.reply and want[k] and tostring(r.reply.code) == want[k].code then
              found[#found + 1] = flat(r.reply)
            end
          end
          if #recs ~= #want then found = {} end
        end
      end
      local cmd = msg and command_of(msg) or nil
      local same = true
      for k = 2, #want do same = same and want[k].reason == want[1].reason end
      if #found == #want and same then
        for k, w in ipairs(want) do
          local reply = found[k]:gsub("[\t\r\n]", " ")
          local coded = reply:find("^[2-5]%d%d[ %-]") or reply:find("[%s:'\"<(][2-5]%d%d[ %-]")
          if coded and not SKIP[w.reason] and (w.reason ~= "filtered" or cmd) then
            io.write(("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n"):format(engine, cmd or "", reply, w.status,
              w.code, w.reason, w.hard, ("sisimai/p5-sisimai@%s %s, %s #%d; label t/%s '%s'")
              :format(commit:sub(1, 8), file, how, k, t, index)))
          end
        end
      end
    end
  end
end
