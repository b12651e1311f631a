--- Bounces: the delivery results in any text a user has. A reply (whole,
-- multi-line, flattened onto one line, indented), a DSN Diagnostic-Code
-- value, a whole bounce message (RFC 3464 multipart/report with
-- message/delivery-status, or RFC 6533's message/global-delivery-status;
-- quoted-printable and base64 parts, folded header fields), the reply that a
-- bounce without a DSN part quotes, and MTA log lines (Postfix, Exim,
-- Sendmail, OpenSMTPD).
--
-- The text is untrusted: it never makes this raise. It is read line by
-- line, each line at most MAX_SCAN bytes (the rest of a longer line is not
-- read), with a fixed number of plain searches and anchored matches per line,
-- so that time stays linear in the length of the text.
-- @module smtpcodes.bounces
local util = require("smtpcodes.util")
local decide = require("smtpcodes.decide")
local knowledge = require("smtpcodes.knowledge")

local checktype, argerror, tointeger = util.checktype, util.argerror, util.tointeger
local getmetatable, ipairs, pcall, tonumber, tostring = getmetatable, ipairs, pcall, tonumber,
  tostring
local concat = table.concat
local gmatch = string.gmatch
local select = select
local byte, char, find, format, gsub, lower, match, sub = string.byte, string.char, string.find,
  string.format, string.gsub, string.lower, string.match, string.sub

local M = {}

--- Default bound of a text, in bytes.
M.MAX_SIZE = 10 * 1024 * 1024
--- Bytes of one line that are read (log lines, header fields, quoted replies).
M.MAX_SCAN = 4096

-- the first MAX_SCAN bytes of each line of text, in order
local function each_line(text)
  local list, pos, n = {}, 1, #text
  while pos <= n do
    local nl = find(text, "\n", pos, true) or n + 1
    local stop = nl - 1
    if stop - pos + 1 > M.MAX_SCAN then stop = pos + M.MAX_SCAN - 1 end
    if stop >= pos and byte(text, stop) == 13 then stop = stop - 1 end
    list[#list + 1] = sub(text, pos, stop)
    pos = nl + 1
  end
  return list
end

local command_named, trim = util.command_named, util.trim

-- The text between the first "<" of s and the ">" after it, or nil: plain
-- searches (a pattern would scan to the end of s from every "<").
local function bracketed(s)
  local lt = find(s, "<", 1, true)
  local gt = lt and find(s, ">", lt, true)
  return gt and sub(s, lt + 1, gt - 1) or nil
end

-- An enhanced status code (class 2, 4 or 5) at the start of s, or nil.
local function status_of(s)
  local st = s and match(s, "^%s*([245]%.%d%d?%d?%.%d%d?%d?)%f[^%d]")
  if st and knowledge.lookup(st) then return st end
  return nil
end

-- A host name as logs write it: "mx.example.org[192.0.2.1]:25",
-- "mx.example.org.", "mx.example.org [192.0.2.1]" are mx.example.org; "none"
-- is no host.
local function host_of(s)
  local h = s and match(s, "^%[?([^%[%]%s:]+)")
  if not h or h == "none" then return nil end
  return (gsub(h, "%.$", ""))
end

-- The reply in a text, as reason reads raw text, or nil. A code written
-- twice ("554 554 5.7.1 ...", as Gmail's bounces quoted replies) is read once.
local function reply_in(text)
  if not text or text == "" then return nil end
  if match(text, "^%s*(%d%d%d) %1[ %-]") then text = match(text, "^%s*%d%d%d (.*)$") end
  return (decide.reply_text(text))
end

local BY_DIGIT = { ["2"] = "ok", ["3"] = "continue", ["4"] = "retry", ["5"] = "fail" }

-- A record from what is known of one delivery result: its action as decide
-- gives it for the command (with no command, by the first digit of the
-- code or status), and its reason and kind.
local function record(f, policy)
  local reply = f.reply
  local code = reply and reply.code or f.code
  local status = reply and reply.enhanced or f.status
  local rec = {
    recipient = f.recipient, command = f.command, reply = reply, code = code, status = status,
    remote = f.remote, source = f.source, dsn_action = f.dsn_action,
  }
  local digit = code and sub(tostring(code), 1, 1) or status and sub(status, 1, 1)
  rec.action = digit and BY_DIGIT[digit]
  if f.delivered then rec.action = "ok" end
  local info -- decide's answer: its reason is reason's for the same command
  if f.command and reply then
    local ok, action, i = pcall(decide.decide, f.command, reply, policy)
    if ok then rec.action, info = action, i end
  end
  if rec.action == "ok" or not (code or status) then return rec end
  -- the reason: of the reply; or, with a status alone, of a reply that says
  -- no more than that status
  local subject = reply
  if not subject then
    local c = code or (digit == "4" and 451 or 550)
    subject = { code = c, text = f.text }
    if status and sub(status, 1, 1) == sub(tostring(c), 1, 1) then subject.enhanced = status end
  end
  if info and info.reason and not info.policy and subject.code >= 400 then
    rec.reason, rec.kind = info.reason, info.kind
  elseif subject.code and subject.code >= 400 then
    local ok, reason, kind
    if policy then
      ok, reason, kind = pcall(policy.reason, policy, subject, f.command)
    else
      ok, reason, kind = pcall(decide.reason, subject, f.command)
    end
    if ok then rec.reason, rec.kind = reason, kind end
  end
  return rec
end

-- Log lines -------------------------------------------------------------------

-- The value after `key` in line, up to (not including) a byte of stop, or
-- nil: one plain search and one anchored match.
local function field(line, key, stop)
  local at = find(line, key, 1, true)
  if not at then return nil end
  return match(line, "^([^" .. stop .. "]*)", at + #key)
end

-- "host H said: REPLY (in reply to X command)": the host, the reply's text
-- and the command words; plain searches only.
local function said(text)
  local s = find(text, " said: ", 1, true)
  if not s then return nil end
  local h = find(text, "host ", 1, true)
  local host
  if h and h < s then host = match(text, "^(%S+)", h + 5) end
  local rest = sub(text, s + 7)
  local r = find(rest, "(in reply to ", 1, true)
  local words
  if r then
    words = match(rest, "^(.-) command%)", r + 13)
    rest = sub(rest, 1, r - 1)
  end
  return host, util.trim_end(rest, util.SPACE), words
end

-- Postfix: "postfix/smtp[1]: QUEUEID: to=<a@b>, relay=mx[1.2.3.4]:25, ...,
-- dsn=5.1.1, status=bounced (host mx said: 550 ... (in reply to RCPT TO
-- command))"
local function postfix_line(line, policy)
  local p = find(line, "postfix", 1, true)
  local t = p and find(line, ": to=<", p, true)
  if not t then return nil end
  local to = match(line, "^([^>]*)>", t + 6)
  local s = find(line, ", status=", 1, true)
  local status = s and match(line, "^([^%s(]*)", s + 9)
  if not to or not status then return nil end
  local detail = match(line, "^%s*%((.*)%)%s*$", s + 9 + #status) or ""
  local host, text, words = said(detail)
  -- "status=sent (250 2.0.0 Ok: queued as ...)": the reply itself
  if not text and find(detail, "^%d%d%d[ %-]") then text = detail end
  return record({
    recipient = to, status = status_of(field(line, ", dsn=", ",%s")),
    reply = reply_in(text), command = command_named(words),
    remote = host_of(host) or host_of(field(line, ", relay=", ",%s")), source = "postfix",
    delivered = status == "sent", text = detail,
  }, policy)
end

-- Exim main log: "** a@b R=... T=...: SMTP error from remote mail server
-- after RCPT TO:<a@b>: 550 ..." (a failure), "==" (a deferral), "=>" (a
-- delivery).
local function exim_line(line, policy)
  local flag, to, rest = match(line, "^%S+ %S+ %S+ ([%*=][%*=>]) (%S+) ?(.*)$")
  if not flag or not (flag == "**" or flag == "==" or flag == "=>") then return nil end
  if not find(to, "@", 1, true) then return nil end
  local f = { recipient = match(to, "^<?([^>]*)>?$"), source = "exim" }
  f.remote = host_of(field(rest, "H=", "%s"))
  if flag == "=>" then
    f.delivered = true
    return record(f, policy)
  end
  local e = find(rest, "SMTP error from remote mail server after ", 1, true)
  if e then
    local after = sub(rest, e + 41)
    local c = find(after, ": %d%d%d")
    if c then
      f.command = command_named(sub(after, 1, c))
      f.reply = reply_in(sub(after, c + 2))
    end
  end
  if not f.reply then
    f.code = flag == "==" and 451 or 550
    f.text = rest
  end
  return record(f, policy)
end

-- Sendmail: "sendmail[1]: QUEUEID: to=<a@b>, ..., relay=mx, dsn=5.1.1,
-- stat=User unknown" (or stat=Deferred: 451 ...)
local function sendmail_line(line, policy)
  local p = find(line, "sendmail[", 1, true)
  local t = p and find(line, ": to=", p, true)
  if not t then return nil end
  local to = match(line, "^<?([^>,%s]*)", t + 5)
  local s = find(line, ", stat=", 1, true)
  local stat = s and sub(line, s + 7) or ""
  local code_at = find(stat, "%d%d%d[ %-]")
  return record({
    recipient = to, status = status_of(field(line, ", dsn=", ",%s")),
    reply = code_at and reply_in(sub(stat, code_at)),
    remote = host_of(field(line, ", relay=", ",%s")),
    source = "sendmail", delivered = find(stat, "^Sent") ~= nil, text = stat,
  }, policy)
end

-- OpenSMTPD: "... mta delivery evpid=... from=<s> to=<a@b> rcpt=<-> ...
-- result=\"PermFail\" stat=\"550 ...\"" (and "result=Ok stat=Delivered"
-- for a local delivery)
local function opensmtpd_line(line, policy)
  if not find(line, " delivery evpid=", 1, true) then return nil end
  local result = field(line, 'result="', '"') or field(line, "result=", "%s")
  local to = field(line, " to=<", ">")
  if not result or not to then return nil end
  local stat = field(line, 'stat="', '"') or field(line, "stat=", "\n") or ""
  local reply = find(stat, "^%d%d%d") and reply_in(stat)
  local f = {
    recipient = to, reply = reply, remote = host_of(field(line, 'relay="', '"')),
    source = "opensmtpd",
    delivered = result == "Ok", text = stat,
  }
  if not reply and result ~= "Ok" then
    f.code = result == "TempFail" and 451 or 550
    f.status = status_of(stat)
  end
  return record(f, policy)
end

local LOG_READERS = { postfix_line, exim_line, sendmail_line, opensmtpd_line }

-- DSN messages ------------------------------------------------------------------

-- Header fields of some lines, unfolded: lower-case name --> value.
local function fields_of(lines, first, last)
  local fields, name = {}, nil
  for i = first, last do
    local line = lines[i]
    if find(line, "^[ \t]") then
      -- a folded field grows up to MAX_SCAN bytes, and no further
      if name and #fields[name] < M.MAX_SCAN then
        fields[name] = sub(fields[name] .. " " .. (gsub(line, "^%s+", "")), 1, M.MAX_SCAN)
      end
    else
      local n, value = match(line, "^([%w%-]+):%s*(.*)$")
      if n then
        name = lower(n)
        -- a long folded field stays bounded
        fields[name] = sub(value, 1, M.MAX_SCAN)
      end
    end
  end
  return fields
end

local function unquote_printable(s)
  s = gsub(s, "=\r?\n", "")
  return (gsub(s, "=(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

local B64 = {}
do
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  for i = 1, 64 do B64[byte(alphabet, i)] = i - 1 end
end

local function unbase64(s)
  local out, bits, n = {}, 0, 0
  for i = 1, #s do
    local v = B64[byte(s, i)]
    if v then
      bits = bits * 64 + v
      n = n + 6
      if n >= 8 then
        n = n - 8
        local p = 2 ^ n
        out[#out + 1] = char(((bits - bits % p) / p) % 256)
        bits = bits % p
      end
    end
  end
  return concat(out)
end

-- Splits a part into its header fields and its decoded body.
local function part_of(raw)
  local s, e = find(raw, "\r?\n\r?\n")
  local head = s and sub(raw, 1, s) or raw
  local body = e and sub(raw, e + 1) or ""
  local lines = each_line(head)
  local fields = fields_of(lines, 1, #lines)
  local cte = lower(fields["content-transfer-encoding"] or "")
  if find(cte, "quoted-printable", 1, true) then
    body = unquote_printable(body)
  elseif find(cte, "base64", 1, true) then
    body = unbase64(body)
  end
  return fields, body
end

-- What a delivery-status body says of each recipient, as the fields of a
-- record: a per-message block, then one block per recipient (RFC 3464 §2).
local function delivery_status(body)
  local lines = each_line(body)
  local records, remote_default = {}, nil
  local first, blockno, rcpt_seen = 1, 0, false
  for i = 1, #lines + 1 do
    local line = lines[i]
    -- a block ends at a blank line, or where a second Final-Recipient
    -- starts the next one (some MTAs, AOL's among them, leave the blank
    -- lines out)
    local starts = line and find(line, "^[Ff]inal%-[Rr]ecipient%s*:")
    if starts and not rcpt_seen then
      rcpt_seen = true
    elseif line == nil or not find(line, "%S") or starts then
      if i > first then
        blockno = blockno + 1
        local f = fields_of(lines, first, i - 1)
        local rcpt = f["final-recipient"] or f["original-recipient"]
        if blockno == 1 and f["reporting-mta"] then
          remote_default = match(f["reporting-mta"], ";%s*(%S+)")
        end
        if rcpt then
          local diag = f["diagnostic-code"]
          local action = lower(f["action"] or "")
          records[#records + 1] = {
            recipient = match(rcpt, ";%s*<?([^>%s]+)") or rcpt,
            status = status_of(f["status"]), reply = reply_in(diag and match(diag, ";%s*(.*)$")),
            remote = f["remote-mta"] and match(f["remote-mta"], ";%s*(%S+)") or remote_default,
            source = "dsn", dsn_action = action ~= "" and action or nil,
            delivered = action == "delivered" or action == "relayed" or action == "expanded",
            text = diag,
          }
        end
      end
      first = starts and i or i + 1
      rcpt_seen = starts and true or false
    end
  end
  return records
end

-- A line "a@b: 550 5.1.1 ..." (or "<a@b>: ..."), as OpenSMTPD writes one
-- per recipient: the address and the reply, or nil.
local function address_reply(line)
  return match(line, "^%s*<?([^%s<>:@]+@[^%s<>:@]+)>?: ([2-5]%d%d[ %-].*)$")
end

-- The replies a notification part quotes per recipient, by address.
local function quoted_per_recipient(body)
  local found = {}
  for _, line in ipairs(each_line(body)) do
    local rcpt, rest = address_reply(line)
    if rcpt and not found[rcpt] then found[rcpt] = rest end
  end
  return found
end

-- The boundary of a multipart Content-Type, or nil.
local function boundary_of(ctype)
  if not ctype or not find(lower(ctype), "multipart/", 1, true) then return nil end
  local q = find(ctype, 'oundary="', 1, true)
  local close = q and find(ctype, '"', q + 9, true)
  if close and close > q + 9 then return sub(ctype, q + 9, close - 1) end
  return match(ctype, "[Bb]oundary=([^;%s\"]+)")
end

-- The parts of a multipart body: calls each(fields, body) for every part,
-- decoded, and for the parts of a multipart part inside it (one level: a
-- bounce's text may sit in multipart/alternative).
local function each_part(body, boundary, each, nested)
  local delim = "--" .. boundary
  local pos = find(body, delim, 1, true)
  while pos do
    local start = pos + #delim
    if sub(body, start, start + 1) == "--" then break end
    local nxt = find(body, delim, start, true)
    local fields, part = part_of(sub(body, start, (nxt or #body + 1) - 1))
    local inner = not nested and boundary_of(fields["content-type"])
    if inner then
      each_part(part, inner, each, true)
    else
      each(fields, part)
    end
    pos = nxt
  end
end

local quoted -- the replies a bounce's text quotes: defined below

-- What identifies a reply quoted in two places (a DSN field and the text
-- of the notification): its code, enhanced code and text, blanks folded.
local function reply_key(reply)
  return concat({ reply.code, reply.enhanced or "", (gsub(reply.text, "%s+", " ")) }, "\0")
end

-- The commands that the replies quoted in a text answered, as the text
-- names them, by reply_key; a reply quoted as the answer to two different
-- commands has none (false).
local function commands_quoted(text)
  local commands = {}
  for _, r in ipairs(quoted(text, nil, true)) do
    if r.reply and r.command then
      local key = reply_key(r.reply)
      local had = commands[key]
      commands[key] = (had == nil or had == r.command) and r.command or false
    end
  end
  return commands
end

-- A whole message: the records of its delivery-status part, and the text of
-- its text parts, decoded (for the replies a bounce without a DSN part
-- quotes); nil when it is no multipart message (RFC 3464 says
-- multipart/report; OpenSMTPD sends multipart/mixed with a
-- message/delivery-status part), with its body decoded when its header
-- gives it a transfer encoding (Gmail's older bounces: one quoted-printable
-- text/plain part).
local function dsn_message(text, policy)
  local s, e = find(text, "\r?\n\r?\n")
  if not s then return nil end
  local lines = each_line(sub(text, 1, s))
  local head = fields_of(lines, 1, #lines)
  local boundary = boundary_of(head["content-type"])
  if not boundary then
    if not head["content-transfer-encoding"] then return nil end
    local _, body = part_of(text)
    return nil, body
  end
  local records, notes, texts = {}, {}, {}
  each_part(sub(text, e + 1), boundary, function(fields, part)
    local ptype = lower(fields["content-type"] or "text/plain")
    if find(ptype, "delivery-status", 1, true) then
      for _, f in ipairs(delivery_status(part)) do records[#records + 1] = f end
    elseif find(ptype, "^%s*text/plain") then
      texts[#texts + 1] = part
      if #records == 0 then
        for rcpt, reply in pairs(quoted_per_recipient(part)) do
          notes[rcpt] = notes[rcpt] or reply
        end
      end
    end
  end)
  local joined = concat(texts, "\n")
  local commands = #records > 0 and commands_quoted(joined) or {}
  for i, f in ipairs(records) do
    -- a recipient whose report gives no Diagnostic-Code: the reply the
    -- notification quotes for it, when there is one
    if not f.reply and f.recipient and notes[f.recipient] then
      local reply = reply_in(notes[f.recipient])
      if reply then
        f = { recipient = f.recipient, reply = reply, remote = f.remote, source = "dsn",
          dsn_action = f.dsn_action }
      end
    end
    -- the command the reply answered, which a DSN does not say and the
    -- notification may ("... (in reply to end of DATA command)")
    if f.reply then f.command = commands[reply_key(f.reply)] or nil end
    records[i] = record(f, policy)
  end
  return records, joined
end

-- Bounces without a DSN part ------------------------------------------------------

-- A bare address on a line of its own, as bounces list the recipients
-- before the reply each got ("  a@example.org", "<a@example.org>:").
local function address_line(line)
  return match(line, "^[%s>]*<?([^%s<>:@\"]+@[^%s<>:@\"]+)>?:?%s*$")
end

-- The reply lines that start at lines[i] (a multi-line reply, or one line),
-- joined; nil when lines[i] starts no reply.
local function reply_lines(lines, i)
  local first = lines[i] and match(lines[i], "^%s*([2-5]%d%d[ %-].*)$")
  if not first then return nil end
  local out = { first }
  local k = i + 1
  while #out < 30 and lines[k] and find(lines[k], "^%s*[2-5]%d%d[ %-]") and
      find(out[#out], "^[2-5]%d%d%-") do
    out[#out + 1] = (gsub(lines[k], "^%s+", ""))
    k = k + 1
  end
  return concat(out, "\r\n")
end

-- SMTP transcripts, as Sendmail writes them in a bounce ("... while
-- talking to H:", ">>> RCPT To:<a@b>", "<<< 550 ...") and Trend Micro's
-- InterScan does ("Sent <<< RCPT TO:<a@b>", "Received >>> 550 ..."); a
-- forwarded bounce may quote them with "> ". The command a line sent, and
-- the reply line received, or nil.
local function sent_line(line)
  return match(line, "^[%s>]*>>> (%a.*)$") or match(line, "^%s*Sent <<< (%a.*)$")
end
local function received_line(line)
  return match(line, "^[%s>]*<<< ([2-5]%d%d[ %-].*)$")
    or match(line, "^%s*Received >>> ([2-5]%d%d[ %-].*)$")
end

-- The reply that a transcript shows from lines[i] (its lines joined), the
-- index of its last line, and its record's fields: the command that the
-- line before sent, when it is RCPT, MAIL or DATA, and the recipient that
-- the RCPT, or else the MTA's own summary line after the reply ("550
-- <a@b>... User unknown"), names. A DATA may end a pipelined batch (RFC
-- 2920): when the server answers it with a 503 or 554 after this reply
-- (no valid recipients), this reply refused an earlier RCPT, and its
-- command is not known.
local function transcript_reply(lines, i)
  local out, k = { received_line(lines[i]) }, i
  while #out < 30 and find(out[#out], "^%d%d%d%-") do
    local nxt = lines[k + 1] and received_line(lines[k + 1])
    if not nxt then break end
    k = k + 1
    out[#out + 1] = nxt
  end
  local sent = lines[i - 1] and sent_line(lines[i - 1])
  local command = sent and command_named(match(sent, "^([%a ]+)"))
  if command == "DATA" then
    for n = k + 1, k + 3 do
      local later = lines[n] and received_line(lines[n])
      if later and (find(later, "^503") or find(later, "^554")) then command = nil end
      if not lines[n] or sent_line(lines[n]) then break end
    end
  elseif command ~= "RCPT" and command ~= "MAIL" then
    command = nil
  end
  local recipient = command == "RCPT" and bracketed(sent) or nil
  if not recipient and lines[k + 1] then
    recipient = match(lines[k + 1], "^[%s>]*[2-5]%d%d [%d%.]*%s*<([^<>%s@]+@[^<>%s@]+)>%.%.%.")
  end
  return concat(out, "\r\n"), k, command, recipient
end

-- The replies such a bounce quotes: Exim's "SMTP error from remote mail
-- server after RCPT TO:<a@b>:" (the reply on that line or the next, after
-- "host H [IP]:"), Postfix's "host H said: ... (in reply to RCPT TO
-- command)" (on one line or folded), qmail's "Remote host said: ...",
-- Exchange's "Remote Server returned '...'", Gmail's "The error that the
-- other server returned was:" and the lines after it, and "a@b: 550 ..."
-- (one line per recipient, as OpenSMTPD writes it), and the replies of SMTP
-- transcripts (but a 503, which only follows an earlier refusal: RFC 5321
-- §3.3). The recipient is the one the line names, else the last address
-- listed on a line of its own. With fields_only, the fields each record
-- would be made of.
function quoted(text, policy, fields_only)
  local lines, records = each_line(text), {}
  local recipient, talking, upto
  local seen = {} -- a reply quoted twice (in two languages, or in the text and
  -- the DSN fields) is one delivery result: its record, completed
  local function add(f)
    f.source = f.source or "text"
    f.recipient = f.recipient or recipient
    local key = f.reply and concat({ f.reply.code, f.reply.enhanced or "", f.reply.text }, "\0")
    local old = key and seen[key]
    if old and (not old.f.recipient or not f.recipient or old.f.recipient == f.recipient) then
      local g = old.f
      g.recipient, g.command, g.remote = g.recipient or f.recipient, g.command or f.command,
        g.remote or f.remote
      records[old.at] = fields_only and g or record(g, policy)
      return
    end
    records[#records + 1] = fields_only and f or record(f, policy)
    if key then seen[key] = { f = f, at = #records } end
  end
  for i, line in ipairs(lines) do
    -- (a later line of a transcript's reply was read with its first)
    local got = not (upto and i <= upto) and received_line(line)
    local e = not got and find(line, "SMTP error from remote mail server after ", 1, true)
      or find(line, "SMTP error from remote mailer after ", 1, true)
    local q = not e and find(line, "Remote host said:", 1, true)
    local ms = not e and not q and find(line, "Remote Server returned '", 1, true)
    local dl = find(line, "eliver", 1, true)
    local named = address_line(line)
      or dl and match(line, "^[%a ]- to <([^<>%s@]+@[^<>%s@]+)>", dl + 6)
    local rcpt, rest = address_reply(line)
    local dislike = find(line, "did not like our ", 1, true)
    local hs = find(line, "host ", 1, true)
    if got then
      local reply_text, last, command, rcpt_named = transcript_reply(lines, i)
      upto = last
      local reply = reply_in(reply_text)
      if reply and reply.code ~= 503 then
        add({ reply = reply, command = command, recipient = rcpt_named, remote = talking })
      end
    elseif find(line, "hile talking to ", 1, true) then
      talking = host_of(match(line, "hile talking to ([^%s:]+)"))
    elseif named then
      recipient = named
    elseif rcpt then
      local reply = reply_in(rest)
      if reply then add({ reply = reply, recipient = rcpt }) end
    elseif q then
      -- the reply on the same line, or on the next (after blank lines)
      local after = trim(sub(line, q + 17))
      local k = i + 1
      while after == "" and lines[k] and k <= i + 2 and find(lines[k], "^%s*$") do k = k + 1 end
      local reply = reply_in(after ~= "" and after or reply_lines(lines, k))
      if reply then add({ reply = reply }) end
    elseif ms then
      local reply = reply_in(match(line, "^(.-)'?%s*$", ms + 24))
      if reply then add({ reply = reply }) end
    elseif e then
      local after = sub(line, (find(line, " after ", e, true)) + 7)
      local c = find(after, ":%s*[^%s<]")
      local reply_text
      if c and find(after, "[2-5]%d%d[ %-]", c) then
        reply_text = match(after, "^:%s*(.*)$", c)
      else
        -- the reply on the next lines ("host mx [192.0.2.1]: 550 ...")
        local k = i + 1
        while lines[k] and k <= i + 3 and not find(lines[k], "[2-5]%d%d[ %-]") do k = k + 1 end
        reply_text = lines[k] and concat({ lines[k], lines[k + 1] or "" }, " ")
      end
      local command = command_named(match(after, "^([%a ]+)"))
      add({ recipient = command == "RCPT" and bracketed(after) or nil,
        command = command, reply = reply_in(reply_text) })
    elseif find(line, " said: ", 1, true) or hs and find(line, " said:%s*$", hs) then
      -- folded onto the next lines (Postfix's "host H said:" may end its
      -- line): up to four of them, until "(in reply to ... command)"
      local joined = line
      for k = i + 1, i + 4 do
        local ir = find(joined, "(in reply to ", 1, true)
        if not lines[k] or ir and find(joined, " command)", ir, true) then break end
        joined = joined .. " " .. (gsub(lines[k], "^%s+", ""))
      end
      local host, reply_text, words = said(joined)
      local reply = reply_in(reply_text)
      if reply then
        add({ command = command_named(words), reply = reply, remote = host_of(host),
          recipient = match(line, "<([^<>@%s]+@[^<>@%s]+)>") })
      end
    elseif match(line, "^[Ff]inal%-[Rr]ecipient:") then
      -- DSN fields written into the text of the notification
      recipient = match(line, "^[^:]*:%s*[%w%-]+%s*;%s*<?([^%s<>]+)>?") or recipient
    elseif match(line, "^[Dd]iagnostic%-[Cc]ode:") then
      local value = match(line, "^[^:]*:%s*[%w%-]+%s*;%s*(.*)$") or ""
      for k = i + 1, i + 8 do -- folded
        if not lines[k] or not find(lines[k], "^[ \t]") then break end
        value = value .. " " .. (gsub(lines[k], "^%s+", ""))
      end
      local reply = reply_in(value)
      if reply then add({ reply = reply, source = "diagnostic" }) end
    elseif dislike and match(line, "^[%a ]+:%s*$", dislike + 17) then
      -- DragonFly Mail Agent: "mx [192.0.2.1] did not like our RCPT TO:"
      local reply = reply_in(reply_lines(lines, i + 1))
      if reply then
        add({ reply = reply, command = command_named(match(line, "^([%a ]+):", dislike + 17)) })
      end
    elseif find(line, "returned was:", 1, true) or find(line, "server said:%s*$") then
      -- the reply on the same line (Gmail's older bounces), or on the next
      local rw = find(line, "returned was:", 1, true)
      local after = rw and trim(sub(line, rw + 13)) or ""
      local k = i + 1
      while after == "" and lines[k] and k <= i + 2 and find(lines[k], "^%s*$") do k = k + 1 end
      local reply = reply_in(after ~= "" and after or reply_lines(lines, k))
      if reply then add({ reply = reply }) end
    elseif find(line, "(reason: ", 1, true) then
      -- Sendmail's list of failed addresses: "<a@b>", then "(reason: 550 ...)"
      local reply = reply_in(match(line, "^[%s>]*%(reason: ([2-5]%d%d[ %-].-)%)%s*$"))
      if reply then add({ reply = reply }) end
    end
  end
  return records
end

-- Whether a reply found among other lines reads as one more than as prose
-- that starts with a number: it has an enhanced code (qmail writes it at
-- the end: "(#5.1.1)"), or wording that a rule of reason knows.
local function reads_as_reply(reply)
  if reply.enhanced or find(reply.text, "%(#[245]%.%d") then return true end
  local ref = select(3, decide.reason(reply))
  return ref ~= nil and not find(ref, "^RFC")
end

-- Whether text is a whole message: a header field first, then a blank line
-- (a Diagnostic-Code value alone is none).
local function whole_message(text)
  return match(text, "^[%w%-]+:[^\n]*\r?\n") ~= nil and find(text, "\r?\n\r?\n") ~= nil
    and not find(text, "^[Dd]iagnostic%-[Cc]ode:")
end

-- Where the notification ends and the returned message starts, in a bounce
-- that quotes it in its text (lower case): a line that holds one of these,
-- or that is only "original message" between dashes ("The original message
-- was received at ..." opens Sendmail's notifications).
local RETURNED = { "copy of the message", "message follows", "returned message",
  "message header follows", "message/rfc822", "rfc822-headers" }
local function returned(l)
  for _, marker in ipairs(RETURNED) do
    if find(l, marker, 1, true) then return true end
  end
  return match(l, "^[%s%-=_*]*original message[%s%-=_*:]*$") ~= nil
end

-- The last resort for a bounce in none of the forms above: the failure
-- replies that stand on lines of their own in its notification (body: the
-- text is its decoded body; else a whole message, header first) ("550 5.1.1
-- <a@b>... User unknown" after a lead-in such as "Error message below:";
-- Yahoo's "550: 5.2.2 ..."), after its header and before the returned
-- message, when it has an enhanced code or wording that a rule of reason
-- knows. Each one's recipient is the address it starts with ("<a@b>...",
-- as Sendmail writes it), else the address last listed on a line of its
-- own before it. Sendmail's line about the host ("550 mx.example.org
-- (smtp)... Host unknown") comes with one about the address, and is left
-- to it.
local function standalone(text, policy, body)
  local lines, records, recipient = each_line(text), {}, nil
  local i = 1
  if not body then -- a whole message: its body follows its header
    if not whole_message(text) then return records end
    while lines[i] and find(lines[i], "%S") do i = i + 1 end
  end
  while lines[i] do
    local line = lines[i]
    if returned(lower(line)) then return records end
    local code, sep = match(line, "^%s*([45]%d%d)([ %-:])")
    if code and not match(line, "^%s*%d%d%d [^%s<]+ %([%w%-]+%)%.%.%.") then
      local reply_text = sep == "-" and reply_lines(lines, i)
        or sep == ":" and gsub(line, "^%s*(%d%d%d):%s*", "%1 ") or line
      local reply = reply_in(reply_text)
      if reply and reads_as_reply(reply) then
        records[#records + 1] = record({ reply = reply, source = "text",
          recipient = match(line, "^%s*%d%d%d [%d%.]*%s*<([^<>%s@]+@[^<>%s@]+)>%.%.%.")
            or recipient }, policy)
      end
      -- the lines of a multi-line reply are one reply
      for _ in gmatch(reply_text, "\r\n") do i = i + 1 end
    elseif not code then
      recipient = address_line(line) or recipient
    end
    i = i + 1
  end
  return records
end

--- The delivery results in a text.
-- @tparam string text a reply, a Diagnostic-Code value, a bounce message, or
--   MTA log lines
-- @tparam[opt] table opts max_size (bytes, default 10 MiB), policy (a Policy,
--   for the reasons)
-- @return a list of records (empty when there is none), each with recipient,
--   command, reply, code, status, reason, kind, action, remote, source and
--   dsn_action; or nil and a message for a text over max_size. Raises for a
--   text that is not a string, or bad options.
function M.bounces(text, opts)
  checktype(text, 1, "bounces", "string")
  local max_size, policy = M.MAX_SIZE, nil
  if opts ~= nil then
    checktype(opts, 2, "bounces", "table")
    if opts.max_size ~= nil then
      max_size = tointeger(opts.max_size)
      if not max_size or max_size < 0 then
        argerror(2, "bounces", "opts.max_size must be a non-negative integer")
      end
    end
    policy = opts.policy
    if policy ~= nil and getmetatable(policy) ~= decide.Policy then
      argerror(2, "bounces", "opts.policy must be a Policy")
    end
  end
  if #text > max_size then
    return nil, format("text of %d bytes is over opts.max_size (%d)", #text, max_size)
  end
  -- a whole bounce message with a DSN part
  local records, texts = dsn_message(text, policy)
  if records and #records > 0 then return records end
  -- MTA log lines, one record per delivery result
  records = {}
  for _, line in ipairs(each_line(text)) do
    for _, read in ipairs(LOG_READERS) do
      local r = read(line, policy)
      if r then
        records[#records + 1] = r
        break
      end
    end
  end
  if #records > 0 then return records end
  -- a bounce without a DSN part, quoting the reply (in its decoded text
  -- parts when it is a multipart message)
  records = quoted(texts or text, policy)
  if #records == 0 and texts then records = quoted(text, policy) end
  if #records > 0 then return records end
  records = texts and standalone(texts, policy, true) or standalone(text, policy)
  if #records == 0 and texts then records = standalone(text, policy) end
  if #records > 0 then return records end
  -- a Diagnostic-Code value ("smtp; 550 ..."), or a reply; not a whole
  -- message (a header, then a blank line), whose records come from its
  -- notification alone
  if whole_message(text) then return {} end
  local short = sub(text, 1, M.MAX_SCAN * 64)
  local value = match(short, "^%s*[Dd]iagnostic%-[Cc]ode:%s*(.*)$") or short
  local diagnostic = match(value, "^%s*[%a][%w%-]*;%s*(.*)$")
  local reply = reply_in(diagnostic or value)
  -- a reply the text starts with; one found after other lines must read
  -- as a reply
  if reply and (find(diagnostic or value, "^%s*[2-5]%d%d") or reads_as_reply(reply)) then
    return { record({ reply = reply, source = diagnostic and "diagnostic" or "reply" }, policy) }
  end
  return {}
end

return M
