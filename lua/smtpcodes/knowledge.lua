--- What the standards say: reply codes, enhanced status codes and the codes
-- each command may get. Objects are plain tables, built on first use from
-- the tables of the core, then cached and shared: callers must not modify
-- them, and no function of smtpcodes ever does.
-- @module smtpcodes.knowledge
local core = require("smtpcodes.loader").core
local util = require("smtpcodes.util")

local quote, checktype, argerror = util.quote, util.checktype, util.argerror
local ipairs, pairs, setmetatable, tostring, type = ipairs, pairs, setmetatable, tostring, type
local tointeger, idiv, tonumber = util.tointeger, util.idiv, tonumber
local concat, sort = table.concat, table.sort
local format, lower, upper = string.format, string.lower, string.upper

local M = {}

M.DEFAULT_PROFILE = core.profiles()[1]

local CLASS, CATEGORY = util.CLASS, util.CATEGORY
local CLASS_TITLE = { "positive preliminary", "positive completion", "positive intermediate",
  "transient negative", "permanent negative" }
-- What a client does with a code no standard defines (RFC 5321 4.2, 4.3.2).
local CLASS_ADVICE = {
  "the server accepted the request but waits for a confirmation (not used by SMTP)",
  "success: the command worked",
  "the server waits for more input from the client",
  "a temporary failure: the same command may work later",
  "a permanent failure: do not repeat the command unchanged",
}

local function split(s, sep)
  local list = {}
  if s and s ~= "" then
    for item in (s .. sep):gmatch("(.-)" .. sep) do list[#list + 1] = item end
  end
  return list
end

-- objects ------------------------------------------------------------------

--- A basic reply code. Fields: code, text, class, category, known,
-- references, commands, explanation.
local Code = { __name = "smtpcodes.Code" }
M.Code = Code

function Code.__tostring(c)
  return format("%d %s(%s; %s)", c.code, c.text and c.text .. " " or "",
    c.known and CLASS_TITLE[idiv(c.code, 100)]
      or "not a standard code; " .. CLASS_TITLE[idiv(c.code, 100)],
    c.category)
end

--- An enhanced status code. Fields: code, class, subject, detail, title,
-- description, subject_title, class_title, basic, references, known.
local Status = { __name = "smtpcodes.Status" }
M.Status = Status

function Status.__tostring(s)
  local what = {}
  if not s.known then what[#what + 1] = "not in the registry" end
  if s.class_title then what[#what + 1] = lower(s.class_title) end
  if s.subject_title then what[#what + 1] = lower(s.subject_title) end
  return format("%s %s(%s)", s.code, s.title and s.title .. " " or "", concat(what, "; "))
end

--- The codes one command may get under one profile. Fields: name, profile,
-- success, intermediate, failure, any (class digits of which every code is
-- allowed, as BDAT's 4yz and 5yz), any_references, references. Methods:
-- allows(code), reference(code).
local Command = { __name = "smtpcodes.Command" }
Command.__index = Command
M.Command = Command

function Command.__tostring(c)
  local function codes(list) return #list > 0 and concat(list, " ") or "-" end
  local any = ""
  for _, d in ipairs(c.any) do any = any .. " " .. d .. "yz" end
  return format("%s (%s): success %s; intermediate %s; failure %s%s", c.name, c.profile,
    codes(c.success), codes(c.intermediate), codes(c.failure), any)
end

-- code sets and per-code references of each Command, kept out of its fields
local private = setmetatable({}, { __mode = "k" })

local function codeof(v, fname)
  if type(v) == "table" then v = v.code end
  local n = tointeger(v)
  if not n then
    argerror(1, fname, "reply code or object with a code expected, got " .. util.typename(v), 1)
  end
  return n
end

--- True when the command may get this reply code (an integer, or a Code or
-- Reply object).
function Command:allows(code)
  util.checkself(self, Command, "allows")
  local p = private[self]
  local n = codeof(code, "allows")
  return p.refs[n] ~= nil or p.any[idiv(n, 100)] == true
end

--- The references that list this code for the command, as one string, or
-- nil when the command does not list it.
function Command:reference(code)
  util.checkself(self, Command, "reference")
  local p = private[self]
  local n = codeof(code, "reference")
  return p.refs[n] or (p.any[idiv(n, 100)] and p.anyrefs) or nil
end

-- caches -------------------------------------------------------------------

local cache = {}                              -- key --> Code or Status
local weak = setmetatable({}, { __mode = "v" }) -- unknown enhanced codes
local commands_cache = {}                     -- profile --> NAME --> Command
local by_code                                 -- code --> {NAME, ...} (default profile)

local function profile_commands(profile)
  local list = {}
  for _, name in ipairs(core.commands(profile)) do list[#list + 1] = M.command(name, profile) end
  return list
end

local function commands_of(code)
  if not by_code then
    by_code = {}
    for _, cmd in ipairs(profile_commands(M.DEFAULT_PROFILE)) do
      local p = private[cmd]
      for c in pairs(p.refs) do
        by_code[c] = by_code[c] or {}
        by_code[c][#by_code[c] + 1] = cmd.name
      end
      for d in pairs(p.any) do
        by_code[d] = by_code[d] or {}
        by_code[d][#by_code[d] + 1] = cmd.name
      end
    end
  end
  -- a command that lists the code and allows its whole class is named once
  local list, seen = {}, {}
  for _, names in ipairs { by_code[code] or {}, by_code[idiv(code, 100)] or {} } do
    for _, name in ipairs(names) do
      if not seen[name] then
        seen[name] = true
        list[#list + 1] = name
      end
    end
  end
  sort(list)
  return list
end

local function make_code(n)
  local text, refs, explanation = core.reply(n)
  local d1 = idiv(n, 100)
  local known = text ~= nil
  if not known then
    explanation = format("No standard defines %d. Clients act on its first digit: %s.", n,
      CLASS_ADVICE[d1])
  elseif text:find("^%(") then
    text = nil -- the tables' note "(no text defined)": the standard gives no text
  end
  local c = setmetatable({
    code = n,
    text = text or nil,
    class = CLASS[d1],
    category = CATEGORY[idiv(n, 10) % 10],
    known = known,
    references = split(refs, "; "),
    commands = commands_of(n),
    explanation = explanation,
  }, Code)
  cache[n] = c
  cache[format("%d", n)] = c
  return c
end

local function make_status(cls, s, d)
  local title, basic, refs, description = core.status(s, d)
  local stitle, _, sdesc = core.subject(s)
  local ctitle, cdesc
  if cls then ctitle, _, cdesc = core.class(cls) end
  local known = title ~= nil
  if not known then
    description = "Not in the IANA registry. " .. (sdesc or cdesc or "")
  end
  local list = {}
  for _, tok in ipairs(split(basic, ",")) do
    local n = tointeger(tonumber(tok))
    local digit = n and idiv(n, 100) or tointeger(tonumber(tok:sub(1, 1)))
    if tok == "any" then
      for _, c in ipairs(cls and { cls } or { 2, 4, 5 }) do list[#list + 1] = c .. "XX" end
    elseif not cls or digit == cls then
      list[#list + 1] = n or tok
    end
  end
  local code = format("%s.%d.%d", cls or "X", s, d)
  local st = setmetatable({
    code = code,
    class = cls,
    subject = s,
    detail = d,
    title = title or nil,
    description = description,
    subject_title = stitle or nil,
    class_title = ctitle,
    basic = list,
    references = split(refs, "; "),
    known = known,
  }, Status)
  if known then cache[code] = st else weak[code] = st end
  return st
end

-- lookup -------------------------------------------------------------------

local function invalid(key, why)
  return nil, format("invalid code %s: %s", type(key) == "string" and quote(key) or tostring(key),
    why)
end

local function basic(key, n)
  if n < 100 or n > 999 then return invalid(key, "a reply code has three digits") end
  if idiv(n, 100) > 5 then return invalid(key, "the first digit must be 1 to 5") end
  if idiv(n, 10) % 10 > 5 then return invalid(key, "the second digit must be 0 to 5") end
  return cache[n] or make_code(n)
end

local function enhanced(key)
  local cls, s, d = key:match("^([^.]*)%.([^.]*)%.([^.]*)$")
  if not cls then
    return invalid(key, "an enhanced code has three parts (class.subject.detail, as in 5.1.1)")
  end
  if cls ~= "2" and cls ~= "4" and cls ~= "5" and cls ~= "X" and cls ~= "x" then
    return invalid(key, "the class must be 2, 4, 5 or X")
  end
  for _, part in ipairs { { s, "subject" }, { d, "detail" } } do
    local v, name = part[1], part[2]
    if v == "" then return invalid(key, "empty " .. name) end
    if v:find("%D") then return invalid(key, name .. " is not a number") end
    if #v > 3 then return invalid(key, name .. " has more than three digits") end
    if #v > 1 and v:find("^0") then return invalid(key, "leading zero in the " .. name) end
  end
  local canon = format("%s.%s.%s", upper(cls), s, d)
  local obj = cache[canon] or weak[canon] or
    make_status(tointeger(tonumber(cls)), tointeger(tonumber(s)), tointeger(tonumber(d)))
  -- "x.1.1" is "X.1.1": remember the spelling too, so that it is found at once
  if obj.known and key ~= canon then cache[key] = obj end
  return obj
end

local function lookup_slow(key)
  local t = type(key)
  if t == "number" then
    local n = tointeger(key)
    if not n then return invalid(key, "not an integer") end
    return basic(key, n)
  end
  checktype(key, 1, "lookup", "number", "string", 1)
  if key == "" then return invalid(key, "empty") end
  if key:find("^%s") or key:find("%s$") then
    return invalid(key, "leading or trailing white space")
  end
  if key:find("^%d+$") then
    if #key ~= 3 then return invalid(key, "a reply code has three digits") end
    return basic(key, tointeger(tonumber(key)))
  end
  if key:find(".", 1, true) then return enhanced(key) end
  return invalid(key, "expected a reply code (550) or an enhanced code (5.1.1 or X.1.1)")
end

--- Describes a reply code or an enhanced status code.
-- @param key 550, "550", "5.1.1" or "X.1.1"
-- @return a Code or a Status; nil and a message for a malformed key.
-- Raises when key is neither a number nor a string.
function M.lookup(key)
  local hit = cache[key]
  if hit then return hit end
  -- not a tail call: on Lua 5.1 an error would then name no caller's line
  local obj, err = lookup_slow(key)
  return obj, err
end

-- commands -----------------------------------------------------------------

local profile_set = {}
for _, p in ipairs(core.profiles()) do profile_set[p] = true end

local function checkprofile(profile, n, fname)
  if profile == nil then return M.DEFAULT_PROFILE end
  checktype(profile, n, fname, "string", nil, 1)
  if not profile_set[profile] then
    local names = concat(core.profiles(), ", ")
    argerror(n, fname, format("unknown profile %s; the profiles are %s", quote(profile), names), 1)
  end
  return profile
end

local function make_command(profile, name)
  local codes, refs, anyclasses, anyrefs = core.command(profile, name)
  if not codes then return nil end
  local p = { refs = {}, any = {}, anyrefs = anyrefs }
  local success, intermediate, failure, all = {}, {}, {}, {}
  for i, c in ipairs(codes) do
    p.refs[c] = refs[i]
    local into = c < 300 and success or c < 400 and intermediate or failure
    into[#into + 1] = c
    for _, r in ipairs(split(refs[i], "; ")) do all[r] = true end
  end
  for _, d in ipairs(anyclasses) do p.any[d] = true end
  for _, r in ipairs(split(anyrefs, "; ")) do all[r] = true end
  local references = {}
  for r in pairs(all) do references[#references + 1] = r end
  sort(references)
  local cmd = setmetatable({
    name = name,
    profile = profile,
    success = success,
    intermediate = intermediate,
    failure = failure,
    any = anyclasses,
    any_references = split(anyrefs, "; "),
    references = references,
  }, Command)
  private[cmd] = p
  return cmd
end

--- The verb of a command name or command line, in upper case: its first
-- word ("rcpt to:<a@example.org>" is RCPT), letters first, then letters,
-- digits, "-" or "_" (XCLIENT, X-FOO, DATA_END). nil when name does not start
-- with one.
function M.verb(name)
  local verb, rest = name:match("^%s*(%a[%w_%-]*)(.*)$")
  if not verb or not (rest == "" or rest:find("^[%s:]")) then return nil end
  return upper(verb)
end

--- The reply table of one command.
-- @tparam string name command name, any case ("rcpt", "RCPT TO:<a@b>"
--   is read as RCPT); "CONNECT" is the greeting, "DATA_END" the reply
--   after the final dot.
-- @tparam[opt] string profile "rfc5321" (default), "rfc821" or "rfc2033"
-- @return a Command; nil and a message for a verb that no table of the
--   profile lists. Raises when name is not a command name at all.
function M.command(name, profile)
  checktype(name, 1, "command", "string")
  profile = checkprofile(profile, 2, "command")
  local byname = commands_cache[profile]
  if not byname then
    byname = {}
    commands_cache[profile] = byname
  end
  -- only verbs are cached: command lines and other spellings are read to
  -- their verb each time, so that no caller can make the cache grow
  local hit = byname[name]
  if hit then return hit end
  local verb = M.verb(name)
  if not verb then
    argerror(1, "command", "command name expected, got " .. quote(name))
  end
  local cmd = byname[verb] or make_command(profile, verb)
  if not cmd then
    return nil, format("unknown command %s in profile %s", quote(verb), profile)
  end
  byname[verb] = cmd
  return cmd
end

--- Names of the commands of a profile (a fresh list, sorted).
function M.commands(profile)
  return core.commands(checkprofile(profile, 1, "commands"))
end

--- Names of the profiles, the default first (a fresh list).
function M.profiles()
  return core.profiles()
end

--- Every basic code the tables define, as Code objects (a fresh list).
function M.codes()
  local list = {}
  for i, n in ipairs(core.codes()) do list[i] = M.lookup(n) end
  return list
end

--- Every enhanced status code of the registry, as class-free Status objects
-- ("X.1.1"), in registry order (a fresh list).
function M.statuses()
  local list = {}
  for i, key in ipairs(core.statuses()) do list[i] = M.lookup(key) end
  return list
end

-- search -------------------------------------------------------------------

local haystacks -- { {object, lower-case text}, ... }

--- Codes and statuses whose texts contain every word (case-insensitive).
-- @param words a string of words, or a list of words
-- @return a fresh list: Codes first, then Statuses ("X.s.d"), in code order
function M.search(words)
  checktype(words, 1, "search", "string", "table")
  local wanted = {}
  if type(words) == "string" then
    for w in words:gmatch("%S+") do wanted[#wanted + 1] = lower(w) end
  else
    for i, w in ipairs(words) do
      if type(w) ~= "string" then
        argerror(1, "search", format("word %d is a %s, not a string", i, util.typename(w)))
      end
      wanted[#wanted + 1] = lower(w)
    end
  end
  if #wanted == 0 then argerror(1, "search", "no words to search for") end
  if not haystacks then
    haystacks = {}
    for _, c in ipairs(M.codes()) do
      haystacks[#haystacks + 1] = { c, lower(concat({ c.code, c.text or "", c.explanation },
        " ")) }
    end
    for _, s in ipairs(M.statuses()) do
      haystacks[#haystacks + 1] = { s, lower(concat({ s.code, s.title or "", s.description,
        s.subject_title }, " ")) }
    end
  end
  local found = {}
  for _, h in ipairs(haystacks) do
    local all = true
    for _, w in ipairs(wanted) do
      if not h[2]:find(w, 1, true) then
        all = false
        break
      end
    end
    if all then found[#found + 1] = h[1] end
  end
  return found
end

return M
