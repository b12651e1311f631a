--- Decisions: what a reply means for the recipient, the message or the
-- session, overridable policies, and bounce reasons.
-- @module smtpcodes.decide
local core = require("smtpcodes.loader").core
local util = require("smtpcodes.util")
local knowledge = require("smtpcodes.knowledge")
local Reply = require("smtpcodes.reply").Reply

local argerror, checktype, quote = util.argerror, util.checktype, util.quote
local getmetatable, ipairs, pairs, setmetatable, type = getmetatable, ipairs, pairs,
  setmetatable, type
local tointeger, idiv, tonumber = util.tointeger, util.idiv, tonumber
local sort = table.sort
local byte, find, format, lower, match, sub = string.byte, string.find, string.format,
  string.lower, string.match, string.sub

local M = {}

-- The scope of each command's outcome; every other command: the session.
local SCOPE = {
  RCPT = "recipient",
  MAIL = "message", DATA = "message", DATA_END = "message", BDAT = "message", BURL = "message",
}

local ACTIONS = { ok = true, continue = true, retry = true, fail = true, close = true }

-- arguments ----------------------------------------------------------------

-- The command a `command` argument names: its verb and its Command, or
-- the verb alone for one that no table lists (XCLIENT, a site's own).
-- Raises for what is not a command name at all.
local function command_of(command, n, fname, depth)
  depth = depth or 0
  if getmetatable(command) == knowledge.Command then return command.name, command end
  checktype(command, n, fname, "string", nil, 1 + depth)
  local verb = knowledge.verb(command)
  if not verb then
    argerror(n, fname, "command name expected, got " .. quote(command), 1 + depth)
  end
  return verb, (knowledge.command(verb))
end

-- A reply code given as a number or a string, read as lookup reads it; raises
-- with lookup's reason otherwise.
local function code_of(v, n, fname, what, depth)
  depth = depth or 0
  local obj, err = knowledge.lookup(v)
  if not obj or obj.subject then
    argerror(n, fname, (what and what .. ": " or "") .. (err or ("reply code expected, got "
      .. quote(v))), 2 + depth)
  end
  return obj.code
end

-- code, enhanced code (or nil), text (or nil) of a reply argument: a Reply,
-- a Code, a table with the fields of a reply, or a reply code. A Reply from
-- parse or a reader is taken as it is, even with a code outside RFC 5321's
-- grammar (571); anything else must be well-formed.
local function reply_of(v, n, fname, depth)
  depth = depth or 0
  local mt = getmetatable(v)
  if mt == Reply then
    local code = v.code
    local text = v.text
    return code, v.enhanced, type(text) == "string" and text or nil
  elseif mt == knowledge.Code then
    return v.code
  elseif type(v) == "table" then
    local code = code_of(v.code, n, fname, "reply.code", depth)
    local enhanced, text = v.enhanced, v.text
    if enhanced ~= nil then
      local st = type(enhanced) == "string" and knowledge.lookup(enhanced)
      if not st or not st.subject or not st.class then
        argerror(n, fname, "reply.enhanced: enhanced status code (as 5.1.1) expected, got "
          .. (type(enhanced) == "string" and quote(enhanced) or util.typename(enhanced)), 1 + depth)
      end
    end
    if text ~= nil and type(text) ~= "string" then
      argerror(n, fname, "reply.text: string expected, got " .. util.typename(text), 1 + depth)
    end
    return code, enhanced, text
  elseif type(v) == "number" or type(v) == "string" then
    local code = code_of(v, n, fname, nil, depth) -- not a tail call: the error names the caller
    return code
  end
  argerror(n, fname, "Reply, Code or reply code expected, got " .. util.typename(v), 1 + depth)
end

-- reasons ------------------------------------------------------------------

local rules -- compiled data/reason-rules.tsv, built on first use
local kinds -- reason --> "hard" | "soft" | "class"

local function compile_rules()
  kinds = {}
  for _, r in ipairs(core.reasons()) do kinds[r[1]] = r[2] end
  rules = { enhanced = {}, basic = {}, phrase = {} }
  for _, r in ipairs(core.rules()) do
    local rule = { key = r[2], command = r[3] or nil, reason = r[4], strong = r[5], ref = r[6],
      phrase = r[1] == "phrase" or nil, provider = find(r[6], "^provider ") ~= nil or nil }
    if r[1] == "phrase" then
      rules.phrase[#rules.phrase + 1] = rule
    else
      local key = r[1] == "basic" and tointeger(tonumber(rule.key)) or rule.key
      local into = rules[r[1]]
      into[key] = into[key] or {}
      local list = into[key]
      list[#list + 1] = rule
    end
  end
end

-- Of the rules for one key, the one for this command, else one for any.
local function for_command(list, command)
  if not list then return nil end
  local best
  for _, rule in ipairs(list) do
    if rule.command == command then return rule end
    if not rule.command and not best then best = rule end
  end
  return best
end

-- The reason of a failure reply and the rule that gave it. The evidence is
-- weighed as data/reason-rules.tsv says: strong phrases (specific wording
-- beats a generic code), then strong enhanced codes, then strong basic
-- codes, then the first weak match; else "unknown".
local GENERIC = {} -- the weak copy of each generic (X.n.0) rule

local function find_reason(code, enhanced, text, command, policy)
  if not rules then compile_rules() end
  -- 0. the policy's own reason rules, when there is one
  local own = policy and policy.reasons
  if own then
    if text and #own.phrase > 0 then
      local lowered = lower(text)
      for _, rule in ipairs(own.phrase) do
        if find(lowered, rule.key, 1, true) then return rule end
      end
    end
    if enhanced then
      local rule = own.enhanced[enhanced] or own.enhanced["X" .. enhanced:sub(2)]
      if rule then return rule end
    end
    if own.basic[code] then return own.basic[code] end
  end
  local weak_phrase
  -- qmail writes the enhanced code at the end, in parentheses: "(#5.1.1)"
  if not enhanced and type(text) == "string" then
    local at = find(text, "(#", 1, true)
    local e = at and match(text, "^%(#([245]%.%d%d?%d?%.%d%d?%d?)%)", at)
    if e and tonumber(sub(e, 1, 1)) == idiv(code, 100) and knowledge.lookup(e) then enhanced = e end
  end
  -- 1. phrases, as plain case-insensitive substrings, in the data's order
  -- (the core searches them all in one call)
  if type(text) == "string" and text ~= "" then
    local strong, weak = core.phrases(lower(text), command)
    if strong then return rules.phrase[strong] end
    weak_phrase = weak and rules.phrase[weak]
  end
  -- 2. the enhanced code, else its subject's generic code (RFC 3463 2)
  local from_enhanced
  if enhanced then
    local key = "X" .. enhanced:sub(2)
    from_enhanced = for_command(rules.enhanced[key], command)
    if not from_enhanced then
      local generic = for_command(rules.enhanced[key:match("^X%.%d+") .. ".0"], command)
      if generic then
        -- the subject's generic code is weak evidence of a detail it does not name
        from_enhanced = GENERIC[generic]
        if not from_enhanced then
          from_enhanced = { reason = generic.reason, ref = generic.ref }
          GENERIC[generic] = from_enhanced
        end
      end
    end
    if from_enhanced and from_enhanced.strong then return from_enhanced end
  end
  -- 3. the basic code, a rule for this command before one for any command
  local from_basic = for_command(rules.basic[code], command)
  if from_basic and from_basic.strong then return from_basic end
  -- 4. weak evidence: a generic enhanced code, then wording, then the bare
  -- basic code (any wording says more than the code alone)
  return from_enhanced or weak_phrase or from_basic
    or { reason = "unknown", ref = "RFC 5321 §4.2.1" }
end

-- Commands whose refusal comes after the recipients were accepted: an
-- unknown user there is a filter's verdict on the message (Sisimai's
-- "filtered"), not evidence that the address is bad; unless a provider's
-- own documented wording says so (Yahoo checks its accounts only then).
local AFTER_RCPT = { DATA = true, DATA_END = true, BDAT = true, BURL = true }

-- "hard" or "soft", by the reason, the command and the rule that gave the
-- reason: hard only for a reason that says the recipient address is bad,
-- given in reply to RCPT or to no command named, or by a provider's rule
-- whatever the command; a reason outside the vocabulary (a policy's own)
-- is soft.
local function kind_of(reason, command, rule)
  if not kinds then compile_rules() end
  if command and AFTER_RCPT[command] and not (rule and rule.provider) then return "soft" end
  return kinds[reason] == "hard" and "hard" or "soft"
end

-- The built-in rule, read with its command: what a rule says of an address
-- or a quota, in reply to MAIL, is said of the sender (RFC 3463 §3.2: X.1.7
-- and X.1.8 are the sender's); any refusal of AUTH that no wording explains
-- is an authentication failure (RFC 4954 §6). Each rule's reading is made
-- once.
local READ = { MAIL = {}, AUTH = {} }
local function read_with(command, rule)
  local reason, why
  if command == "MAIL" then
    if kinds[rule.reason] == "hard" then
      reason, why = "sender_rejected", "in reply to MAIL, the sender's address (RFC 3463 §3.2)"
    elseif rule.reason == "mailbox_full" then
      reason, why = "rate_limited", "in reply to MAIL, the sender's quota"
    end
  elseif command == "AUTH" and not rule.phrase and rule.reason ~= "auth_required"
      and rule.reason ~= "tls_required" and rule.reason ~= "auth_failed" then
    reason, why = "auth_failed", "in reply to AUTH (RFC 4954 §6)"
  end
  if not reason then return rule end
  local read = READ[command][rule]
  if not read then
    read = { reason = reason, ref = rule.ref .. "; " .. why }
    READ[command][rule] = read
  end
  return read
end

local function rule_for(code, enhanced, text, command, policy)
  local rule = find_reason(code, enhanced, text, command, policy)
  if rule.own or not READ[command] then return rule end
  return read_with(command, rule)
end

local find_reply -- the reply in a raw text: defined with reply_text below

-- reason(reply, command) under policy (or none); fname names the API
-- function in argument errors.
local function reason_of(fname, reply, command, policy)
  if type(reply) == "string" and not (reply:find("^%d%d%d$") and knowledge.lookup(reply)) then
    -- untrusted reply text (any string but a code that lookup takes, even
    -- three digits, as a log line may be): read as parse reads it, or
    -- refused with nil, err
    local r, named = find_reply(reply)
    if not r then return nil, named end
    reply = r
    if command == nil then command = named end
  end
  local code, enhanced, text = reply_of(reply, 1, fname, 1)
  local name
  if command ~= nil then name = command_of(command, 2, fname, 1) end
  if code < 400 then return nil end
  local rule = rule_for(code, enhanced, text, name, policy)
  return rule.reason, kind_of(rule.reason, name, rule), rule.ref
end

-- reason_of's answer, as many values as it means (no tail call: an error
-- names the caller of the API function).
local function answer(reason, kind, ref)
  if reason then return reason, kind, ref end
  if kind then return nil, kind end
  return nil
end

--- The bounce reason of a failure reply.
-- @param reply a Reply, a Code, a reply code (a number, or a string of three
--   digits that lookup takes), or any other string: a reply's raw text
--   (untrusted: nil and a message when it holds no reply)
-- @tparam[opt] string command the command the reply answered
-- @treturn string reason, from the vocabulary of `smtpcodes.reasons()`,
--   or nil for a reply that is no failure (1yz, 2yz, 3yz)
-- @treturn string "hard" or "soft"
-- @treturn string the rule that decided
function M.reason(reply, command)
  return answer(reason_of("reason", reply, command))
end

-- The forms a reply takes in text people and logs have, tried in turn on
-- text that starts with its code: as parse reads it; flattened onto one
-- line ("550-5.1.1 a 550-5.1.1 b 550 5.1.1 c", as logs and DSNs write it);
-- indented, as a bounce quotes it; cut after its first lines (a DSN's
-- Diagnostic-Code often keeps only the first line of a multi-line reply).
local function reply_forms(text)
  local parse = require("smtpcodes.reply").parse
  local r, err = parse(text)
  if r then return r end
  local code = text:match("^(%d%d%d)[ %-]")
  if not code then return nil, err end
  local lines
  if text:find("\n") then
    lines = text:gsub("\n[ \t]+", "\n")
  else
    lines = text:gsub(" (" .. code .. "[ %-])", "\r\n%1")
  end
  r = parse(lines)
  if r then return r end
  -- no final line: the last line that continues is taken as the final one
  local last, at = nil, 1
  local cont = code .. "-"
  while true do
    local i = find(lines, cont, at, true)
    if not i then break end
    if i == 1 or byte(lines, i - 1) == 10 then last = i end
    at = i + 4
  end
  if last then
    r = parse(sub(lines, 1, last + 2) .. " " .. sub(lines, last + 4))
    if r then return r end
  end
  return nil, err
end

-- Bytes that may stand before a reply code quoted inside a text: the
-- start, white space, and the punctuation that logs and bounces put there.
local BEFORE_CODE = { [32] = true, [9] = true, [10] = true, [13] = true, [58] = true, [39] = true,
  [34] = true, [40] = true, [60] = true, [91] = true, [62] = true }

-- Bytes that may close a reply quoted inside a text: white space, quotes,
-- a closing parenthesis or angle bracket.
local TRAILER = { [39] = true, [34] = true, [41] = true, [62] = true }
for b in pairs(util.SPACE) do TRAILER[b] = true end

-- The reply in a text, and the command the text says it answered ("(in
-- reply to RCPT TO command)", as Postfix writes), or nil and why. The reply
-- may stand after other words ("host mx said: 550 ..."): the first few
-- places where a reply code follows a space or punctuation are tried, so
-- that time stays linear in the text.
function find_reply(s)
  -- white space trimmed at both ends, in one pass each (a pattern such as
  -- "%s+$" would be quadratic on a long run of spaces)
  local text = util.trim(s)
  local r, err = reply_forms(text)
  if r then return r end
  -- a text that starts with a reply code is that reply or none
  local from, tries = 1, find(text, "^[2-5]%d%d[ %-]") and 8 or 0
  while tries < 8 do
    local at = find(text, "[2-5]%d%d[ %-]", from)
    if not at then break end
    if at > 1 and BEFORE_CODE[byte(text, at - 1)] then
      tries = tries + 1
      local part = sub(text, at)
      local named
      local tail = find(part, "(in reply to ", 1, true)
      if tail then
        named = part:match("^(.-) command%)", tail + 13)
        part = sub(part, 1, tail - 1)
      end
      -- the quotes and brackets logs put around it
      r = reply_forms(util.trim_end(part, TRAILER))
      if r then
        return r, named and util.command_named(named)
      end
    end
    from = at + 1
  end
  return nil, "no SMTP reply in the text: " .. err
end

--- A Reply from a reply's raw text, as people and logs have it: whole or
-- multi-line, with or without line ends, indented, flattened onto one line
-- ("550-5.1.1 a 550-5.1.1 b 550 5.1.1 c", as logs and DSNs write it), cut
-- after its first line (as DSNs often keep it), or after other words ("host
-- mx said: 550 ..."). nil and a message when the text holds no reply. Never
-- raises on the text.
function M.reply_text(s)
  local r, err = find_reply(s)
  if r then return r end
  return nil, err
end

--- The vocabulary of bounce reasons: a fresh list of
-- {name =, kind = "hard"|"soft", description =}.
function M.reasons()
  local list = {}
  for i, r in ipairs(core.reasons()) do
    list[i] = { name = r[1], kind = r[2], description = r[3] }
  end
  return list
end

-- policies -----------------------------------------------------------------

local Policy = { __name = "smtpcodes.Policy" }
Policy.__index = Policy
M.Policy = Policy

-- Classifies an override key: "enhanced" (with its canonical form),
-- "basic" (with its code) or "phrase" (lower case); nil and why for a bad key.
local function classify(key)
  if type(key) == "number" then
    local code = tointeger(key)
    local obj = code and knowledge.lookup(code)
    if obj and obj.code then return "basic", code end
    return nil, "not a reply code"
  end
  if type(key) ~= "string" then return nil, "a key is a code or a string" end
  if key:find("^%d+$") then
    local obj = knowledge.lookup(key)
    if obj then return "basic", obj.code end
    return nil, "not a reply code"
  end
  if key:find("^[%dXx]%.%d") then
    local obj = knowledge.lookup(key)
    if obj and obj.subject then return "enhanced", obj.code end
    return nil, "not an enhanced status code"
  end
  local phrase = lower(key):match("^%s*(.-)%s*$")
  if phrase == "" then return nil, "an empty phrase" end
  return "phrase", phrase
end

-- Compiles a table of rules keyed by basic code, enhanced code or phrase:
-- where(key) names a key in messages; rule(where, value) checks a value and
-- gives the rule, raising as `policy` does (it runs three calls below it).
local function compile(t, where_of, rule_of)
  local c = { enhanced = {}, basic = {}, phrase = {} }
  for key, value in pairs(t) do
    local where = where_of(key)
    local kind, k = classify(key)
    if not kind then argerror(1, "policy", format("%s: %s", where, k), 2) end
    local rule = rule_of(where, value)
    rule.key = k
    if kind == "phrase" then
      c.phrase[#c.phrase + 1] = rule
    else
      c[kind][k] = rule
    end
  end
  -- longer phrases are more specific: try them first
  sort(c.phrase, function(a, b)
    if #a.key ~= #b.key then return #a.key > #b.key end
    return a.key < b.key
  end)
  return c
end

local function key_name(key)
  return type(key) == "string" and quote(key) or tostring(key)
end

-- The overrides of one command: actions (or functions giving one).
local function compile_table(name, t)
  local c = compile(t, function(key)
    return format("overrides[%s][%s]", quote(name), key_name(key))
  end, function(where, action)
    if not (ACTIONS[action] or type(action) == "function") then
      argerror(1, "policy", format("%s: %s is not an action (ok, continue, retry, fail, close) "
        .. "or a function", where, type(action) == "string" and quote(action) or type(action)), 3)
    end
    return { action = action, where = where }
  end)
  return c -- not a tail call: errors name the caller of policy
end

-- The policy's own reason rules: values are reason names.
local function compile_reasons(t)
  if type(t) ~= "table" then argerror(1, "policy", "overrides.reasons must be a table", 1) end
  local c = compile(t, function(key)
    return format("overrides.reasons[%s]", key_name(key))
  end, function(where, reason)
    if type(reason) ~= "string" or not reason:find("^[%a_][%w_]*$") then
      argerror(1, "policy", format("%s: a reason is a name (letters, digits, _), not %s", where,
        type(reason) == "string" and quote(reason) or type(reason)), 3)
    end
    return { reason = reason, ref = "policy " .. where, own = true }
  end)
  return c -- not a tail call: errors name the caller of policy
end

--- A Policy: built-in decisions with the caller's overrides.
-- @tparam table overrides keyed by command name (or "*" for every command),
--   each a table keyed by basic code (550), enhanced code ("5.7.1" or
--   "X.7.1") or text phrase, valued by an action or a
--   function(reply, command) returning action[, reason]. The option
--   `require_tls = true` turns off the fallback from EHLO to HELO, and
--   `reasons = {...}` adds or overrides bounce-reason rules: keys as above,
--   values reason names (policy:reason and decide under the policy try
--   them before the built-in rules).
-- Raises, naming the bad key, for a malformed table.
function M.policy(overrides)
  checktype(overrides, 1, "policy", "table")
  local p = { commands = {}, require_tls = false }
  local spelled = {} -- command --> the key that named it
  for name, t in pairs(overrides) do
    if name == "require_tls" then
      if type(t) ~= "boolean" then argerror(1, "policy", "require_tls must be a boolean") end
      p.require_tls = t
    elseif name == "reasons" then
      p.reasons = compile_reasons(t)
    else
      if type(name) ~= "string" then
        argerror(1, "policy", format("key %s is not a command name", tostring(name)))
      end
      local cname = name
      if name ~= "*" then
        cname = knowledge.verb(name)
        if not cname then
          argerror(1, "policy", format("key %s is not a command name", quote(name)))
        end
      end
      if spelled[cname] then
        local a, b = spelled[cname], name
        if b < a then a, b = b, a end
        argerror(1, "policy", format("overrides[%s] and overrides[%s] both name %s", quote(a),
          quote(b), cname))
      end
      spelled[cname] = name
      if type(t) ~= "table" then
        argerror(1, "policy", format("overrides[%s] must be a table", quote(name)))
      end
      p.commands[cname] = compile_table(name, t)
    end
  end
  return setmetatable(p, Policy)
end

-- The override for this reply in one compiled table: action, reason, rule.
local function match_table(c, code, enhanced, text, obj, cmdname)
  local candidates = {}
  if enhanced then
    candidates[#candidates + 1] = c.enhanced[enhanced]
    candidates[#candidates + 1] = c.enhanced["X" .. enhanced:sub(2)]
  end
  candidates[#candidates + 1] = c.basic[code]
  if text and #c.phrase > 0 then
    local lowered = lower(text)
    for _, rule in ipairs(c.phrase) do
      if find(lowered, rule.key, 1, true) then candidates[#candidates + 1] = rule end
    end
  end
  for _, rule in ipairs(candidates) do
    local action, reason = rule.action, nil
    if type(action) == "function" then
      action, reason = action(obj or knowledge.lookup(code), cmdname)
      if action ~= nil and not ACTIONS[action] then
        error(format("policy function at %s returned %s, not an action", rule.where,
          quote(action)), 0)
      end
    end
    if action then return action, reason, "policy " .. rule.where end
  end
end

--- Decides a reply under this policy; the same as smtpcodes.decide(command,
-- reply, policy).
function Policy:decide(command, reply)
  util.checkself(self, Policy, "decide")
  return M.decide(command, reply, self)
end

--- The bounce reason of a reply under this policy: its own reason rules
-- (overrides.reasons) first, then the built-in ones; as smtpcodes.reason.
function Policy:reason(reply, command)
  util.checkself(self, Policy, "reason")
  return answer(reason_of("reason", reply, command, self))
end

-- decisions ----------------------------------------------------------------

local CLASS_RULE = {
  [2] = { "ok", "RFC 5321 §4.2.1: 2yz, positive completion" },
  [3] = { "continue", "RFC 5321 §4.2.1: 3yz, positive intermediate: send the rest" },
  [4] = { "retry", "RFC 5321 §4.2.1: 4yz, transient negative: the same command may work later" },
  [5] = { "fail", "RFC 5321 §4.2.1: 5yz, permanent negative: do not repeat it unchanged" },
}

-- A 552 to RCPT is RFC 5321's "too many recipients" (§4.5.3.1.10) when
-- its reason is: its enhanced code says so (X.5.3), or its wording ("too
-- many recipients", "recipient limit"). A bare 552, or 552 5.2.2, is a full
-- mailbox, and fails; decide and reason never disagree on which it is.
local function too_many_recipients(enhanced, text, policy)
  return rule_for(552, enhanced, text, "RCPT", policy).reason == "too_many_recipients"
end

-- The built-in rules: action and rule, and extra info fields.
local function builtin(name, code, enhanced, text, policy)
  local digit = idiv(code, 100)
  if code == 421 then
    return "close", "RFC 5321 §3.8: 421, the server is closing the transmission channel"
  elseif digit == 1 then
    return "close", "RFC 5321 §4.2: a first digit other than 2 to 5 is fatal"
  elseif name == "RCPT" and code == 552 and too_many_recipients(enhanced, text, policy) then
    return "retry", "RFC 5321 §4.5.3.1.10: 552 to RCPT for too many recipients is treated as "
      .. "452: send the rest in another transaction"
  elseif name == "EHLO" and (code == 500 or code == 502) then
    if policy and policy.require_tls then
      return "fail", "RFC 5321 §4.3.2: the server does not support EHLO, and TLS is required "
        .. "(no fallback to HELO)"
    end
    return "fail", "RFC 5321 §4.3.2: the server does not support EHLO; fall back to HELO "
      .. "(RFC 5321 §3.2)", "HELO"
  elseif name == "CONNECT" and digit == 5 then
    return "close", code == 521 and "RFC 7504: 521, this host does not accept mail"
      or "RFC 5321 §3.1: no SMTP service here; send QUIT"
  elseif name == "DATA" and code == 354 then
    return "continue", "RFC 5321 §3.3: 354, send the message data"
  elseif name == "AUTH" and code == 334 then
    return "continue", "RFC 4954 §4: 334, send the next response line"
  end
  local r = CLASS_RULE[digit]
  return r[1], r[2]
end

--- What a reply to a command means.
-- @param command a command name (any case) or a Command
-- @param reply a Reply, a Code or a reply code
-- @param[opt] policy a Policy
-- @treturn string "ok", "continue", "retry", "fail" or "close"
-- @treturn table info: scope ("recipient", "message" or "session"),
--   unexpected, rule, reason and kind (for retry, fail and close), code,
--   enhanced, command, fallback ("HELO" when EHLO should be retried as
--   HELO), policy (true when an override decided).
-- Raises for an unknown command or a bad argument.
function M.decide(command, reply, policy)
  local name, cmd = command_of(command, 1, "decide")
  local code, enhanced, text = reply_of(reply, 2, "decide")
  local obj = type(reply) == "table" and reply or nil
  if policy ~= nil and getmetatable(policy) ~= Policy then
    argerror(3, "decide", "Policy expected, got " .. util.typename(policy))
  end
  local scope = SCOPE[name] or "session"
  -- LMTP answers the final dot once per accepted recipient (RFC 2033 §4.2)
  if name == "DATA_END" and cmd and cmd.profile == "rfc2033" then scope = "recipient" end
  local info = {
    command = name, code = code, enhanced = enhanced,
    scope = scope, unexpected = not (cmd and cmd:allows(code)),
  }
  local action, reason, rule
  if policy then
    local specific = policy.commands[name]
    if specific then
      action, reason, rule = match_table(specific, code, enhanced, text, obj, name)
    end
    if not action and policy.commands["*"] then
      action, reason, rule = match_table(policy.commands["*"], code, enhanced, text, obj, name)
    end
    info.policy = action ~= nil or nil
  end
  if not action then
    action, rule, info.fallback = builtin(name, code, enhanced, text, policy)
    if not cmd then
      rule = format("%s (no table lists %s: decided by the first digit, RFC 5321 §4.2)", rule,
        name)
    elseif info.unexpected then
      rule = format("%s (%d is not a reply %s may get: decided by its first digit, RFC 5321 §4.2)",
        rule, code, name)
    end
  end
  if action == "close" then info.scope = "session" end
  info.rule = rule
  if action == "retry" or action == "fail" or action == "close" then
    local found
    if not reason then
      found = code >= 400 and rule_for(code, enhanced, text, name, policy) or nil
      reason = found and found.reason or "unknown"
    end
    info.reason = reason
    info.kind = kind_of(reason, name, found)
  end
  return action, info
end

return M
