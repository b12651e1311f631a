--- Building replies: the wire form of a reply, for programs that answer
-- SMTP clients. Injection-safe: no CR, LF or NUL from the caller's text ever
-- reaches the wire.
-- @module smtpcodes.format
local core = require("smtpcodes.loader").core
local util = require("smtpcodes.util")
local knowledge = require("smtpcodes.knowledge")

local argerror, quote = util.argerror, util.quote
local ipairs, pcall, select, tonumber, tostring, type = ipairs, pcall, select, tonumber,
  tostring, type
local tointeger, idiv = util.tointeger, util.idiv
local concat = table.concat
local byte, find, format, gsub, sub = string.byte, string.find, string.format, string.gsub,
  string.sub

local M = {}

--- Longest line, in octets without CRLF: RFC 5321 §4.5.3.1.5 allows 512
-- with it.
M.MAX_LINE = 510

-- The default text of a code: its standard text, with "<domain>" made the
-- given domain (or dropped), and texts that only describe (in parentheses)
-- left out.
local function default_text(code, domain)
  local text = core.reply(code)
  if not text or find(text, "^%(") then return "" end
  if domain then return (text:gsub("<domain>", function() return domain end)) end
  return (text:gsub("^<domain> ", ""))
end

-- Why s is not text fit for a reply line (no control character but HT, as
-- RFC 5321's textstring; valid UTF-8, as RFC 6531 allows), or nil.
local function bad_text(s, what)
  local bad = find(s, "[%z\1-\8\11-\31\127]")
  if bad then
    return format("%s holds a control character (%s) at byte %d", what, quote(sub(s, bad, bad)),
      bad)
  end
  if not util.utf8_valid(s) then return what .. " is not valid UTF-8" end
end

-- Appends the pieces of one logical line, each at most `room` octets,
-- broken at spaces where possible and never inside a UTF-8 sequence.
local function wrap(line, room, out)
  while #line > room do
    local cut = room
    local space
    for i = room + 1, 2, -1 do
      if byte(line, i) == 32 then
        space = i
        break
      end
    end
    if space then
      out[#out + 1] = sub(line, 1, space - 1):gsub("[ \t]+$", "")
      line = sub(line, space + 1):gsub("^ +", "")
    else
      -- one long word: cut it before a UTF-8 continuation byte, never inside
      local function continuation(i)
        local c = byte(line, i)
        return c ~= nil and c >= 0x80 and c < 0xC0
      end
      while cut > 1 and continuation(cut + 1) do cut = cut - 1 end
      out[#out + 1] = sub(line, 1, cut)
      line = sub(line, cut + 1)
    end
  end
  out[#out + 1] = line
end

-- The enhanced status code (RFC 3463 §2) a line of text begins with, and the
-- rest of the line; nil when it begins with none.
local function leading_enhanced(line)
  local e, s, d, rest = line:match("^([245]%.(%d+)%.(%d+))(.*)$")
  if not e or #s > 3 or #d > 3 or (#s > 1 and find(s, "^0")) or (#d > 1 and find(d, "^0"))
      or not (rest == "" or find(rest, "^[ \t]")) then
    return nil
  end
  return e, rest
end

--- The wire form of a reply.
-- @param code 200 to 599, as a number or a string (the spellings lookup takes)
-- @tparam[opt] string enhanced "5.1.1"; its class must match the code's. A
--   text that begins with an enhanced code gives it when this is absent, and
--   is refused beside it
-- @param[opt] text a string (lines separated by "\n") or a list of lines;
--   the code's standard text when nil or empty
-- @tparam[opt] table opts max_line (octets without CRLF, default 510),
--   domain (for "<domain>" in a standard text)
-- @treturn string the reply, every line ending in CRLF
-- Raises for a code outside 200-599, a malformed enhanced code or one of
-- another class, a control character (CR, NUL, ...) in the text.
function M.format(code, ...)
  local n = select("#", ...)
  local a, b, c = ...
  local enhanced, text, opts, textarg
  -- (code, enhanced, text, opts) or (code, text, opts)
  if (a == nil and n >= 2) or (type(a) == "string" and find(a, "^%d+%.%d+%.%d+$")) then
    enhanced, text, opts, textarg = a, b, c, 3
  else
    text, opts, textarg = a, b, 2
  end
  -- the code: spelled as lookup reads it, 200 to 599
  local obj = (type(code) == "number" or type(code) == "string") and knowledge.lookup(code)
  if not obj or not obj.code or type(obj.code) ~= "number" or obj.code < 200 then
    local t = type(code)
    argerror(1, "format", "reply code 200 to 599 expected, got " .. ((t == "string" or
      t == "number") and quote(code) or util.typename(code)))
  end
  code = obj.code
  if opts ~= nil and type(opts) ~= "table" then
    argerror(textarg + 1, "format", "table expected, got " .. util.typename(opts))
  end
  opts = opts or {}
  local max_line = opts.max_line == nil and M.MAX_LINE or tointeger(opts.max_line)
  if not max_line or max_line < 32 or max_line > M.MAX_LINE then
    argerror(textarg + 1, "format", "opts.max_line must be an integer from 32 to 510")
  end
  if opts.domain ~= nil then
    if type(opts.domain) ~= "string" then
      argerror(textarg + 1, "format", "opts.domain must be a string")
    end
    local why = bad_text(opts.domain, "opts.domain")
    if why then argerror(textarg + 1, "format", why) end
  end
  if enhanced and not leading_enhanced(enhanced) or enhanced and enhanced:find(" ") then
    argerror(2, "format", "malformed enhanced status code " .. quote(enhanced))
  end

  -- the logical lines
  local lines = {}
  if type(text) == "table" then
    for i, line in ipairs(text) do
      if type(line) ~= "string" then
        argerror(textarg, "format", format("line %d is a %s, not a string", i, type(line)))
      end
      for part in (line .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = part end
    end
  elseif type(text) == "string" then
    for part in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = part end
  elseif text ~= nil then
    argerror(textarg, "format", "string or list of lines expected, got " .. util.typename(text))
  end

  -- An enhanced code at the start of the text: taken as the reply's when none
  -- is given (and then allowed again at the start of later lines); refused
  -- beside a given one, which would send "554 5.7.1 5.3.1 Go away".
  local from_text = false
  for i, line in ipairs(lines) do
    local e, rest = leading_enhanced(line)
    if e then
      if enhanced and (not from_text or e ~= enhanced) then
        argerror(textarg, "format", format("the text begins with an enhanced code (%s) and "
          .. "the reply has one (%s): give it once", e, enhanced))
      end
      if i == 1 then
        enhanced, from_text = e, true
      end
      lines[i] = rest
    end
  end
  if enhanced and tonumber(enhanced:sub(1, 1)) ~= idiv(code, 100) then
    argerror(from_text and textarg or 2, "format", format("enhanced code %s does not match the "
      .. "class of %d (RFC 3463, RFC 2034)", enhanced, code))
  end
  if #lines == 0 or (#lines == 1 and lines[1] == "") then
    lines = {}
    for part in (default_text(code, opts.domain) .. "\n"):gmatch("(.-)\n") do
      lines[#lines + 1] = part
    end
  end

  -- each line: checked, trimmed, wrapped to fit
  local prefix = enhanced and enhanced .. " " or ""
  local room = max_line - 4 - #prefix
  local wrapped = {}
  for _, line in ipairs(lines) do
    local why = bad_text(line, "the text")
    if why then argerror(textarg, "format", why) end
    line = line:gsub("[ \t]+$", "")
    if enhanced then line = line:gsub("^ +", "") end
    wrap(line, room, wrapped)
  end
  local out, last = {}, #wrapped
  for i, line in ipairs(wrapped) do
    -- no space after the enhanced code on a line without text
    out[i] = format("%d%s%s%s\r\n", code, i < last and "-" or " ",
      line == "" and (enhanced or "") or prefix, line)
  end
  return concat(out)
end

--- The reply as one line without its CRLF, for protocols that carry a reply
-- inside one of their own lines (OpenSMTPD's filter-result, Postfix's
-- action=): built by format, and refused with nil and a message where format
-- would raise (a bad code, a control character in the text ...), where it
-- would give more than one line (a line break in the text, a text too long
-- for 510 bytes), and where `accept(code)` is false.
-- @tparam string what the name of the caller, for messages ("reject")
-- @tparam string need the codes that may be sent, for messages ("4yz or 5yz")
-- @tparam function accept true for a code that may be sent
-- @param code and the other arguments: as format takes them
-- @return the line; or nil and the message
function M.line(what, need, accept, code, ...)
  local ok, wire = pcall(M.format, code, ...)
  if not ok then
    return nil, what .. ": reply refused: "
      .. gsub(tostring(wire), "^.-bad argument #%d+ to 'format' %((.*)%)$", "%1")
  end
  local c = tonumber(sub(wire, 1, 3))
  if not accept(c) then
    return nil, format("%s: reply refused: %s needs %s, not %d", what, what, need, c)
  end
  if find(wire, "\r\n", 1, true) < #wire - 1 then
    for i = 1, select("#", ...) do
      local v = select(i, ...)
      if type(v) == "string" and find(v, "\n", 1, true) then
        return nil, what .. ": reply refused: the text holds a line break (one line is sent)"
      end
    end
    return nil, format("%s: reply refused: it does not fit one line of %d bytes", what,
      M.MAX_LINE)
  end
  return sub(wire, 1, -3)
end

return M
