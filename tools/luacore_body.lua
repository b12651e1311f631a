-- tools/luacore_body.lua: the functions of the pure-Lua core. Not a module:
-- tools/gentables.lua appends everything after this header (from the first
-- blank line on) to the generated tables, as lua/smtpcodes/luacore.lua.
-- It does what csrc/smtpcodes.c does, answer for answer and message for
-- message; spec/backend_spec.lua compares the two.

local error, getmetatable, ipairs, setmetatable, tonumber, type = error, getmetatable, ipairs,
  setmetatable, tonumber, type
local floor = math.floor
local concat = table.concat
local byte, find, format, sub = string.byte, string.find, string.format, string.sub

local M = { _VERSION = VERSION }

-- The flag of a strict scan and the default bounds, as in the C core; EOF
-- and WHOLE are flags of this core's own scanning functions.
M.STRICT, M.MAX_LINE, M.MAX_LINES = 1, 4096, 256
local EOF, WHOLE = 2, 4

local RFC_LINE = 512 -- RFC 5321 4.5.3.1.5: reply line with its CRLF
local QUOTE_MAX = 48 -- bytes of server text quoted in an error
local HUGE = 0x20000000000000 -- 2^53: beyond it a float skips integers

-- arguments ----------------------------------------------------------------

-- Raises for argument n of fname, blaming the caller of the API function;
-- `depth` counts the helpers between the API function and this one.
local function argerror(n, fname, msg, depth)
  error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 3 + (depth or 0))
end

local function typename(v)
  local mt = getmetatable(v)
  if type(mt) == "table" and type(mt.__name) == "string" then return mt.__name end
  return type(v)
end

-- The integer value of v (a number or a numeric string, as the C API's
-- lua_tointegerx), or nil.
local function tointeger(v)
  v = tonumber(v)
  if not v or v ~= floor(v) or v < -HUGE or v > HUGE then return nil end
  return floor(v)
end

local function checkinteger(v, n, fname)
  local i = tointeger(v)
  if i then return i end
  if tonumber(v) then argerror(n, fname, "number has no integer representation", 1) end
  argerror(n, fname, "number expected, got " .. typename(v), 1)
end

local function checkprofile(p, n, fname)
  if type(p) ~= "string" and type(p) ~= "number" then
    argerror(n, fname, "string expected, got " .. typename(p), 1)
  end
  for _, name in ipairs(PROFILES) do
    if name == p then return name end
  end
  argerror(n, fname, format("invalid option '%s'", p), 1)
end

-- indexes over the generated rows, made once
local reply_by_code, status_by_key, command_by_key = {}, {}, {}
for _, r in ipairs(REPLIES) do reply_by_code[r[1]] = r end
for _, s in ipairs(STATUSES) do status_by_key[s[1] * 1000 + s[2]] = s end
for _, c in ipairs(COMMANDS) do command_by_key[c[1] .. " " .. c[2]] = c end

-- tables -------------------------------------------------------------------

--- core.reply(code) --> text, references, explanation | nil
function M.reply(code)
  local r = reply_by_code[checkinteger(code, 1, "reply")]
  if not r then return nil end
  return r[2], r[3], r[4]
end

--- core.codes() --> {code, ...} (a fresh list, sorted)
function M.codes()
  local list = {}
  for i, r in ipairs(REPLIES) do list[i] = r[1] end
  return list
end

--- core.status(subject, detail) --> title | false, basic, references,
-- description | nil
function M.status(subject, detail)
  subject = checkinteger(subject, 1, "status")
  detail = checkinteger(detail, 2, "status")
  if subject < 0 or subject > 999 or detail < 0 or detail > 999 then return nil end
  local s = status_by_key[subject * 1000 + detail]
  if not s then return nil end
  return s[3], s[4], s[5], s[6]
end

--- core.statuses() --> {"X.s.d", ...} (a fresh list, in registry order)
function M.statuses()
  local list = {}
  for i, s in ipairs(STATUSES) do list[i] = format("X.%d.%d", s[1], s[2]) end
  return list
end

local function eclass(list, digit, fname)
  digit = checkinteger(digit, 1, fname)
  for _, c in ipairs(list) do
    if c[1] == digit then return c[2], c[3], c[4] end
  end
  return nil
end

--- core.class(digit) --> title, references, description | nil
function M.class(digit) return eclass(ECLASSES, digit, "class") end

--- core.subject(digit) --> title, references, description | nil
function M.subject(digit) return eclass(ESUBJECTS, digit, "subject") end

--- core.command(profile, NAME) --> codes, references, anyclasses, anyrefs | nil
function M.command(profile, name)
  profile = checkprofile(profile, 1, "command")
  if type(name) ~= "string" and type(name) ~= "number" then
    argerror(2, "command", "string expected, got " .. typename(name))
  end
  local c = command_by_key[profile .. " " .. name]
  if not c then return nil end
  local codes, refs, any = {}, {}, {}
  for i, code in ipairs(c[3]) do
    codes[i] = code
    refs[i] = c[4][i]
  end
  for i, d in ipairs(c[5]) do any[i] = d end
  return codes, refs, any, c[6]
end

--- core.commands(profile) --> {NAME, ...} (a fresh list, sorted)
function M.commands(profile)
  profile = checkprofile(profile, 1, "commands")
  local list = {}
  for _, c in ipairs(COMMANDS) do
    if c[1] == profile then list[#list + 1] = c[2] end
  end
  return list
end

--- core.profiles() --> {name, ...} (the default first)
function M.profiles()
  local list = {}
  for i, p in ipairs(PROFILES) do list[i] = p end
  return list
end

--- core.reasons() --> {{name, kind, description}, ...} (fresh tables)
function M.reasons()
  local list = {}
  for i, r in ipairs(REASONS) do list[i] = { r[1], r[2], r[3] } end
  return list
end

--- core.rules() --> {{match, key, command | false, reason, strong,
-- references}, ...} in the order of the data file (fresh tables)
function M.rules()
  local list = {}
  for i, r in ipairs(RULES) do list[i] = { r[1], r[2], r[3], r[4], r[5], r[6] } end
  return list
end

-- The phrase rules, in the order of the data: {key, command | false, strong}.
local PHRASES = {}
for _, r in ipairs(RULES) do
  if r[1] == "phrase" then PHRASES[#PHRASES + 1] = { r[2], r[3], r[5] } end
end

--- core.phrases(lowered, command) --> strong, weak: the places (1 for the
-- first phrase rule) of the first strong and the first weak phrase rule
-- found in the lower-cased text as plain substrings, nil for none; a rule
-- for one command counts only for that command.
function M.phrases(lowered, command)
  if type(lowered) ~= "string" then
    error("bad argument #1 to 'phrases' (string expected, got " .. type(lowered) .. ")", 2)
  end
  local weak
  for n, p in ipairs(PHRASES) do
    if (not p[2] or p[2] == command) and (p[3] or not weak) and find(lowered, p[1], 1, true) then
      if p[3] then return n, weak end
      weak = n
    end
  end
  return nil, weak
end

-- the reply scanner --------------------------------------------------------

-- Deviations forgiven in lenient mode, in the order they are reported.
local W_EMPTY, W_LF, W_NOEOL, W_LONG, W_BARE, W_CODES, W_ECLASS, W_EPARTIAL, W_EDIFF, W_DIGIT,
  W_AFTER = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
local W_COUNT = 11 -- scan_one's wline is made with as many zeros
local WARNINGS = {
  "line %d: empty line outside a reply",
  "line %d: line ends in LF without CR",
  "line %d: the final line has no line end",
  "line %d: longer than 512 octets with its line end (RFC 5321 4.5.3.1.5)",
  "line %d: code without separator before the final line",
  "line %d: reply code differs from line 1 (the final line's code is used)",
  "line %d: enhanced code's class disagrees with the reply code (not taken as enhanced)",
  "line %d: enhanced code missing on this line but present on others",
  "line %d: enhanced code differs from an earlier line's",
  "line %d: second digit of the reply code is not 0-5 (RFC 5321 4.2)",
  "line %d: a line after the final line repeats its code (kept in the reply)",
}

local CR, LF, SP, HT, DASH, DOT, ZERO = 13, 10, 32, 9, 45, 46, 48

-- DIGIT[b]: true when b is the byte of a digit; nil for any other byte,
-- and for nil (past the end of a string). An index costs less than a call.
local DIGIT = {}
for b = ZERO, ZERO + 9 do DIGIT[b] = true end

-- The message of an error: "line N: what: 'quoted text'", with the server's
-- bytes escaped so that no control character reaches a log or a terminal.
local function fail(lineno, what, s, qi, qn)
  local out = {}
  if lineno > 0 then out[1] = format("line %d: ", lineno) end
  out[#out + 1] = what
  if s then
    local n = qn < QUOTE_MAX and qn or QUOTE_MAX
    out[#out + 1] = ": '"
    out[#out + 1] = (sub(s, qi, qi + n - 1):gsub(".", function(ch)
      local b = byte(ch)
      if b < 32 or b > 126 or b == 39 or b == 92 then return format("\\x%02x", b) end
    end))
    if n < qn then out[#out + 1] = "..." end
    out[#out + 1] = "'"
  end
  return concat(out)
end

local function fail_message(lineno, what)
  return fail(lineno, what)
end

local function toolong(max_line)
  return format("line longer than %d octets (max_line)", max_line)
end

local function toomany(max_lines)
  return format("more than %d lines in one reply (max_lines)", max_lines)
end

-- Length of an enhanced status code (RFC 3463 2: class "." subject "."
-- detail, 1-3 digits each, no leading zeros) at s[ti], within s[ti..te] and
-- followed by a space or by te; 0 when there is none.
local function enhanced_len(s, ti, te)
  local c0, d1, c2, d3, c4 = byte(s, ti, ti + 4)
  if d1 ~= DOT or (c0 ~= ZERO + 2 and c0 ~= ZERO + 4 and c0 ~= ZERO + 5) then return 0 end
  -- the common form, one digit each: "5.1.1"
  if d3 == DOT and DIGIT[c2] and DIGIT[c4] and (ti + 4 == te or byte(s, ti + 5) == SP) then
    return 5
  end
  local _, e, sj, dt = find(s, "^[245]%.(%d+)%.(%d+)", ti)
  if not e or e > te or #sj > 3 or #dt > 3 then return 0 end
  if (#sj > 1 and byte(sj) == ZERO) or (#dt > 1 and byte(dt) == ZERO) then return 0 end
  if e < te and byte(s, e + 1) ~= SP then return 0 end
  return e - ti + 1
end

-- True when the line at s[p] (of 4 octets or more) starts with a code the
-- scanner takes: three digits, the first 1 to 5.
local function goodcode(s, p)
  local c0, c1, c2 = byte(s, p, p + 2)
  return c0 >= ZERO + 1 and c0 <= ZERO + 5 and DIGIT[c1] and DIGIT[c2]
end

-- The length of the unterminated line of n bytes at s[p] as the bounds count
-- it: a CR at its end may be the start of its line end, which never counts.
local function openlen(s, p, n)
  if n > 0 and byte(s, p + n - 1) == CR then return n - 1 end
  return n
end

-- True when only line ends (CR and LF bytes) are left from s[p] on.
local function only_line_ends(s, p)
  return p > #s or not find(s, "[^\r\n]", p)
end

-- In a stream: does s hold the end of the reply that starts at s[p]? Also
-- true when the reply crosses a bound or goes wrong, so that the full scan
-- reports it. The second result is the length of the unterminated line.
local function complete(s, len, p, max_line, max_lines)
  local n, text = 0, false
  while p <= len do
    local nl = find(s, "\n", p, true)
    if not nl then
      local open = len - p + 1
      return openlen(s, p, open) > max_line, open
    end
    local lp, ll = p, nl - p
    p = nl + 1
    if ll > 0 and byte(s, lp + ll - 1) == CR then ll = ll - 1 end
    -- empty lines count toward max_lines too: they are held like others
    n = n + 1
    if ll > max_line or n > max_lines then return true, 0 end
    if ll == 0 then
      if text then return true, 0 end -- an empty line inside a reply
    else
      text = true
      -- a final line, or one the scan will refuse: the reply is done
      if ll < 4 or byte(s, lp + 3) ~= DASH or not goodcode(s, lp) then return true, 0 end
    end
  end
  return false, 0
end

-- The position just past the last line of s that can end a reply (any line
-- but "xyz-..."), or 1. Every reply that starts before it is complete.
local function last_final(s, len)
  local e = len -- s[1..e] holds whole lines only
  while e > 0 and byte(s, e) ~= LF do e = e - 1 end
  while e > 0 do
    local start = e -- the line is s[start..e-1], its LF at e
    while start > 1 and byte(s, start - 1) ~= LF do start = start - 1 end
    local ll = e - start
    if ll > 0 and byte(s, start + ll - 1) == CR then ll = ll - 1 end
    if ll < 4 or byte(s, start + 3) ~= DASH then return e + 1 end
    e = start - 1
  end
  return 1
end

-- Scans one reply of s from s[p]. Returns "reply", the reply and the position
-- after it; "more" and the length of the open line when s ends before the
-- reply and the EOF flag is not set; "error" and a message otherwise.
local function scan_one(s, len, p, strict, eof, whole, max_line, max_lines, mt, names)
  local lineno, nlines, first_code, code, final = 0, 0, -1, -1, false
  local wline = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } -- W_COUNT zeros, sized at once
  local enh, enhn, last_enh, last_enhn = nil, 0, nil, 0
  local enh_lines, missing_line = 0, 0
  local lines = {}

  while not final do
    local lp, rest = p, len - p + 1
    local nl = find(s, "\n", p, true)
    local ll, adv
    if not nl then
      if not eof then
        if openlen(s, lp, rest) > max_line then
          return "error", fail(lineno + 1, toolong(max_line))
        end
        return "more", rest
      end
      if rest == 0 then
        if nlines == 0 then return "error", fail(0, "incomplete reply: no reply line") end
        return "error", fail(lineno, "incomplete reply: no final line after this one")
      end
      -- "250 ok\r" has the text of "250 ok\r\n"
      ll, adv = openlen(s, lp, rest), rest
      if wline[W_NOEOL] == 0 then wline[W_NOEOL] = lineno + 1 end
    else
      ll = nl - lp
      adv = ll + 1
      if ll > 0 and byte(s, lp + ll - 1) == CR then
        ll = ll - 1
      elseif wline[W_LF] == 0 then
        wline[W_LF] = lineno + 1
      end
    end
    lineno = lineno + 1
    if ll > max_line then return "error", fail(lineno, toolong(max_line)) end
    -- empty lines count too
    if lineno > max_lines then return "error", fail(lineno, toomany(max_lines)) end
    if ll == 0 then
      if nlines > 0 then
        return "error", fail(lineno, "empty line inside a multi-line reply")
      end
      if wline[W_EMPTY] == 0 then wline[W_EMPTY] = lineno end
      p = p + adv
    else
      if ll + 2 > RFC_LINE and wline[W_LONG] == 0 then wline[W_LONG] = lineno end

      -- the code: exactly three digits, RFC 5321 4.2 grammar
      local c0, c1, c2 = byte(s, lp, lp + 2)
      if not DIGIT[c0] then return "error", fail(lineno, "no reply code", s, lp, ll) end
      if ll < 3 or not DIGIT[c1] or not DIGIT[c2] or (ll > 3 and DIGIT[byte(s, lp + 3)])
      then
        return "error", fail(lineno, "reply code is not three digits", s, lp, ll)
      end
      if c0 == ZERO or c0 > ZERO + 5 then
        return "error", fail(lineno, "reply code out of range (first digit 1-5)", s, lp, ll)
      end
      -- some sites answer 571: taken by its first digit, with a warning
      if c1 > ZERO + 5 and wline[W_DIGIT] == 0 then wline[W_DIGIT] = lineno end
      local c = (c0 - ZERO) * 100 + (c1 - ZERO) * 10 + (c2 - ZERO)
      local bare = ll == 3
      local sep = byte(s, lp + 3)
      if not bare and sep ~= SP and sep ~= DASH then
        return "error", fail(lineno, "bad separator after the reply code", s, lp, ll)
      end
      final = bare or sep == SP
      nlines = nlines + 1
      if first_code < 0 then
        first_code = c
      elseif c ~= first_code and wline[W_CODES] == 0 then
        wline[W_CODES] = lineno
      end
      code = c

      -- the text, with its enhanced code (RFC 2034 4) taken off
      local ti = bare and lp + 3 or lp + 4
      local tn = bare and 0 or ll - 4
      local en = tn >= 5 and enhanced_len(s, ti, ti + tn - 1) or 0
      if en > 0 and byte(s, ti) ~= c0 then
        if wline[W_ECLASS] == 0 then wline[W_ECLASS] = lineno end
        en = 0
      end
      if en > 0 then
        if not enh then
          enh, enhn = ti, en
        elseif (en ~= enhn or sub(s, enh, enh + enhn - 1) ~= sub(s, ti, ti + en - 1))
            and wline[W_EDIFF] == 0 then
          wline[W_EDIFF] = lineno
        end
        if final then last_enh, last_enhn = ti, en end
        enh_lines = enh_lines + 1
        ti, tn = ti + en, tn - en
        while tn > 0 and byte(s, ti) == SP do ti, tn = ti + 1, tn - 1 end
      elseif missing_line == 0 then
        missing_line = lineno
      end
      while tn > 0 do
        local b = byte(s, ti + tn - 1)
        if b ~= SP and b ~= HT then break end
        tn = tn - 1
      end
      lines[nlines] = sub(s, ti, ti + tn - 1)
      p = p + adv

      -- In a whole text, lines of the same code after the final line are
      -- kept: after a bare code they show that it was meant as an inner
      -- line; after "xyz text", they are the separate final lines that some
      -- servers (old Exchange in its EHLO reply) send for one reply.
      if final and whole and not only_line_ends(s, p) then
        local nx = bare and find(s, "[^\r\n]", p) or p
        if nx + 2 <= len and sub(s, nx, nx + 2) == sub(s, lp, lp + 2)
            and not DIGIT[byte(s, nx + 3)] then
          local w = bare and W_BARE or W_AFTER
          if wline[w] == 0 then wline[w] = lineno + (bare and 0 or 1) end
          final = false
        end
      end
    end
  end

  if whole then
    if not only_line_ends(s, p) then
      return "error", fail(lineno + 1, "more text after the final line", s, p, len - p + 1)
    end
    if p <= len and wline[W_EMPTY] == 0 then wline[W_EMPTY] = lineno + 1 end
    p = len + 1
  end

  -- The enhanced code: the final line's, else the first one seen.
  if last_enh then enh, enhn = last_enh, last_enhn end
  if enh then
    if enh_lines < nlines and wline[W_EPARTIAL] == 0 then wline[W_EPARTIAL] = missing_line end
    if byte(s, enh) - ZERO ~= floor(code / 100) then
      if wline[W_ECLASS] == 0 then wline[W_ECLASS] = lineno end
      enh = nil
    end
  end

  -- warnings: errors in strict mode
  local warnings, firstw = nil, nil
  for i = 1, W_COUNT do
    if wline[i] > 0 then
      warnings = warnings or {}
      warnings[#warnings + 1] = format(WARNINGS[i], wline[i])
      if not firstw or wline[i] < wline[firstw] then firstw = i end
    end
  end
  if warnings and strict then return "error", format(WARNINGS[firstw], wline[firstw]) end
  local text = nlines == 1 and lines[1] or concat(lines, "\n")
  local reply = setmetatable({
    code = code,
    text = text,
    class = names.classes[floor(code / 100)],
    category = names.categories[floor(code / 10) % 10], -- none for 571
  }, mt)
  if enh then reply.enhanced = sub(s, enh, enh + enhn - 1) end
  if warnings then reply.warnings = warnings end
  return "reply", reply, p
end

-- a positive integer option of opts, or def when it is absent
local function bound(opts, name, def)
  local v = opts[name]
  if v == nil then return def end
  local i = type(v) == "number" and tointeger(v)
  if not i or i < 1 then
    argerror(2, "parse", format("opts.%s must be a positive integer", name), 1)
  end
  return i
end

local function bit(flags, b)
  return floor(flags / b) % 2 == 1
end

-- The three scanning functions of this core: parse, scan and scan_all,
-- making replies with the metatable mt and the class names classes[1..5]
-- and category names categories[0..5]. Only parse is public; this core's
-- reader calls scan and scan_all with what it has checked already.
local function scanners(mt, classes, categories)
  if type(mt) ~= "table" then argerror(1, "scanner", "table expected, got " .. typename(mt)) end
  if type(classes) ~= "table" then
    argerror(2, "scanner", "table expected, got " .. typename(classes))
  end
  if type(categories) ~= "table" then
    argerror(3, "scanner", "table expected, got " .. typename(categories))
  end
  local names = { classes = {}, categories = {} }
  for i = 1, 5 do
    if type(classes[i]) ~= "string" then argerror(2, "scanner", "five class names expected") end
    names.classes[i] = classes[i]
  end
  for i = 0, 5 do
    if type(categories[i]) ~= "string" then
      argerror(3, "scanner", "six category names expected")
    end
    names.categories[i] = categories[i]
  end

  -- parse(text [, opts]) --> reply | nil, err
  local function parse(s, opts)
    if type(s) ~= "string" then argerror(1, "parse", "string expected, got " .. typename(s)) end
    local strict, max_line, max_lines = false, M.MAX_LINE, M.MAX_LINES
    if opts ~= nil then
      if type(opts) ~= "table" then
        argerror(2, "parse", "table expected, got " .. typename(opts))
      end
      strict = opts.strict and true or false
      max_line = bound(opts, "max_line", max_line)
      max_lines = bound(opts, "max_lines", max_lines)
    end
    local st, a = scan_one(s, #s, 1, strict, true, true, max_line, max_lines, mt, names)
    if st == "reply" then return a end
    return nil, a
  end

  -- scan(s, init, flags, max_line, max_lines)
  --   --> reply [, nextpos] | false, open | nil, err
  local function scan(s, init, flags, max_line, max_lines)
    local whole = bit(flags, WHOLE)
    local st, a, b = scan_one(s, #s, init, bit(flags, M.STRICT), bit(flags, EOF), whole,
      max_line, max_lines, mt, names)
    if st == "reply" then
      if whole then return a end
      return a, b
    elseif st == "more" then
      return false, a
    end
    return nil, a
  end

  -- scan_all(s, flags, max_line, max_lines) --> replies, nextpos, open
  --   | nil, err, replies
  local function scan_all(s, flags, max_line, max_lines)
    local strict = bit(flags, M.STRICT)
    local len, p, open, n = #s, 1, 0, 0
    local stop = last_final(s, len)
    local list = {}
    while p <= len do
      -- past the last final line the reply is unfinished: it is only looked
      -- at, unless it crosses a bound, and scanned once it is whole
      if p >= stop then
        local done
        done, open = complete(s, len, p, max_line, max_lines)
        if not done then break end
      end
      local st, a, b = scan_one(s, len, p, strict, false, false, max_line, max_lines, mt, names)
      if st == "reply" then
        n = n + 1
        list[n] = a
        p = b
      elseif st == "more" then
        open = a
        break
      else
        return nil, a, list
      end
    end
    return list, p, p <= len and open or 0
  end

  return parse, scan, scan_all
end

--- core.scanner(mt, classes, categories) --> parse
-- smtpcodes.parse, making replies with the metatable mt and the class
-- names classes[1..5] and category names categories[0..5].
function M.scanner(mt, classes, categories)
  return (scanners(mt, classes, categories))
end

-- the reader --------------------------------------------------------------------

--- core.reader(reader_mt, reply_mt, classes, categories)
--   --> feed, finish, buffered, reset, state
-- The methods of a Reader, a table whose metatable is reader_mt, and the
-- maker of its field state: state(flags, max_line, max_lines). The methods
-- keep the error they returned in its field err until reset. When feed
-- completes no reply it returns one shared empty list (reader_mt.EMPTY, if
-- set, else a new table given here), which callers must not modify.
-- The state holds the reply still open, as its pieces, with what the scan
-- has learnt of it, so that the next chunk is scanned from where the last
-- one stopped.
function M.reader(reader_mt, reply_mt, classes, categories)
  if type(reader_mt) ~= "table" then
    argerror(1, "reader", "table expected, got " .. typename(reader_mt))
  end
  local _, scan, scan_all = scanners(reply_mt, classes, categories)
  local STATE = { __name = "smtpcodes.ReaderState" }
  local EMPTY = type(reader_mt.EMPTY) == "table" and reader_mt.EMPTY or {}

  local function checkreader(self, fname)
    if getmetatable(self) ~= reader_mt then
      argerror(1, fname, "smtpcodes.Reader expected, got " .. typename(self), 1)
    end
  end

  local function clear(st)
    st.pieces, st.npieces, st.held, st.nlines, st.text = {}, 0, 0, 0, false
    st.linelen, st.head, st.lastcr = 0, "", false
  end

  local function new_state(flags, max_line, max_lines)
    local st = setmetatable({ flags = flags, max_line = max_line, max_lines = max_lines,
      failed = false }, STATE)
    clear(st)
    return st
  end

  -- the reader's state; made anew (with the default options) when it has none
  local function state(self)
    local st = self.state
    if getmetatable(st) ~= STATE then
      st = new_state(0, M.MAX_LINE, M.MAX_LINES)
      self.state = st
    end
    return st
  end

  local function refuse(self, st, err, out)
    clear(st)
    st.failed = true
    self.err = err
    return nil, err, out
  end

  local function hold(st, piece)
    local n = st.npieces + 1
    st.npieces = n
    st.pieces[n] = piece
    st.held = st.held + #piece
  end

  -- s[i..j], the start or more of the open line (no LF in it)
  local function open_more(st, s, i, j)
    if st.linelen < 4 then st.head = st.head .. sub(s, i, i + 3 - st.linelen) end
    st.linelen = st.linelen + (j - i + 1)
    st.lastcr = byte(s, j) == CR
  end

  -- Keeps s[p..], the start of a reply (within bounds: the scan checked).
  local function hold_tail(st, s, p)
    local start, n = p, #s
    while true do
      local nl = find(s, "\n", p, true)
      if not nl then break end
      local ll = nl - p
      if ll > 0 and byte(s, nl - 1) == CR then ll = ll - 1 end
      st.nlines = st.nlines + 1
      if ll > 0 then st.text = true end
      p = nl + 1
    end
    if p <= n then open_more(st, s, p, n) end
    hold(st, start == 1 and s or sub(s, start))
  end

  -- reader:feed(chunk) --> replies | nil, err, replies
  local function feed(self, chunk)
    checkreader(self, "feed")
    if type(chunk) ~= "string" then
      argerror(1, "feed", "string expected, got " .. typename(chunk))
    end
    local st = state(self)
    if st.failed then return nil, self.err, {} end
    local out = {}
    local flags, max_line, max_lines = st.flags, st.max_line, st.max_lines
    local n, pos = #chunk, 1
    -- the open reply goes on, line by line, until it is complete
    while st.held > 0 and pos <= n do
      local nl = find(chunk, "\n", pos, true)
      if not nl then
        local total = st.linelen + (n - pos + 1)
        if byte(chunk, n) == CR then total = total - 1 end
        if total > max_line then
          return refuse(self, st, fail_message(st.nlines + 1, toolong(max_line)), out)
        end
        open_more(st, chunk, pos, n)
        hold(st, pos == 1 and chunk or sub(chunk, pos))
        return #out > 0 and out or EMPTY
      end
      local len = st.linelen + (nl - pos)
      local cr
      if nl > pos then cr = byte(chunk, nl - 1) == CR else cr = st.lastcr end
      local ll = cr and len - 1 or len
      if ll > max_line then
        return refuse(self, st, fail_message(st.nlines + 1, toolong(max_line)), out)
      end
      if st.nlines + 1 > max_lines then
        return refuse(self, st, fail_message(st.nlines + 1, toomany(max_lines)), out)
      end
      local head = st.head
      if st.linelen < 4 then head = head .. sub(chunk, pos, pos + 3 - st.linelen) end
      hold(st, sub(chunk, pos, nl))
      st.nlines, st.linelen, st.head, st.lastcr = st.nlines + 1, 0, "", false
      pos = nl + 1
      -- the reply ends with a line that is not "xyz-...", and the scan is
      -- due at a line it will refuse: an empty line after text, a bad code
      local done
      if ll == 0 then
        done = st.text
      else
        done = ll < 4 or not find(head, "^[1-5]%d%d%-")
        st.text = true
      end
      if done then
        local whole = concat(st.pieces, "", 1, st.npieces)
        clear(st)
        local r, err = scan(whole, 1, flags, max_line, max_lines)
        if not r then return refuse(self, st, err, out) end
        out[#out + 1] = r
      end
    end
    -- nothing held: the rest of the chunk is scanned where it is, and the
    -- start of a reply it ends with is kept
    if pos <= n then
      local rest = pos == 1 and chunk or sub(chunk, pos)
      local list, at, err = scan_all(rest, flags, max_line, max_lines)
      if not list then
        for i = 1, #err do out[#out + 1] = err[i] end
        return refuse(self, st, at, out)
      end
      for i = 1, #list do out[#out + 1] = list[i] end
      if at <= #rest then hold_tail(st, rest, at) end
    end
    return #out > 0 and out or EMPTY
  end

  -- reader:finish() --> reply | nil | nil, err
  local function finish(self)
    checkreader(self, "finish")
    local st = state(self)
    if st.failed then return nil, self.err end
    local left = concat(st.pieces, "", 1, st.npieces)
    clear(st)
    if only_line_ends(left, 1) then return nil end
    local r, err = scan(left, 1, st.flags + EOF + WHOLE, st.max_line, st.max_lines)
    if r then return r end
    st.failed = true
    self.err = err
    return nil, err
  end

  -- reader:buffered() --> bytes held
  local function buffered(self)
    checkreader(self, "buffered")
    return state(self).held
  end

  -- reader:reset() --> reader, with nothing held and no error
  local function reset(self)
    checkreader(self, "reset")
    local st = state(self)
    clear(st)
    st.failed = false
    self.err = nil
    return self
  end

  -- state(flags, max_line, max_lines) --> a new state, with these options
  local function make_state(flags, max_line, max_lines)
    flags = checkinteger(flags, 1, "state")
    max_line = checkinteger(max_line, 2, "state")
    max_lines = checkinteger(max_lines, 3, "state")
    if max_line <= 0 or max_lines <= 0 then argerror(2, "state", "bounds must be positive") end
    return new_state(bit(flags, M.STRICT) and M.STRICT or 0, max_line, max_lines)
  end

  return feed, finish, buffered, reset, make_state
end

return M
