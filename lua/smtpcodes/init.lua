--- smtpcodes: SMTP reply codes for Lua 5.1 to 5.4 and LuaJIT.
--
-- Knowledge (every standard reply code, enhanced status code and per-command
-- reply table), a reply parser and streaming reader, decisions, and reply
-- building. `require "smtpcodes"` loads only the core (`smtpcodes.backend`
-- says which: "c" or "lua", the pure-Lua one); each part of the
-- API is loaded the first time it is used, and `smtpcodes[550]` is
-- `smtpcodes.lookup(550)`. `smtpcodes.opensmtpd` and `smtpcodes.postfix` are
-- the modules of those names.
-- @module smtpcodes
local loader = require("smtpcodes.loader")

local rawset, require, type = rawset, require, type

local M = { _VERSION = loader.core._VERSION, backend = loader.backend }

-- Which module provides each function of the API.
local provider = {
  lookup = "smtpcodes.knowledge",
  command = "smtpcodes.knowledge",
  commands = "smtpcodes.knowledge",
  profiles = "smtpcodes.knowledge",
  codes = "smtpcodes.knowledge",
  statuses = "smtpcodes.knowledge",
  search = "smtpcodes.knowledge",
  parse = "smtpcodes.reply",
  reader = "smtpcodes.reply",
  capabilities = "smtpcodes.reply",
  decide = "smtpcodes.decide",
  policy = "smtpcodes.decide",
  reason = "smtpcodes.decide",
  reasons = "smtpcodes.decide",
  format = "smtpcodes.format",
  bounces = "smtpcodes.bounces",
}

-- Modules reached as fields: smtpcodes.opensmtpd is require("smtpcodes.opensmtpd").
local submodule = { opensmtpd = "smtpcodes.opensmtpd", postfix = "smtpcodes.postfix" }

local lookup

return setmetatable(M, {
  __name = "smtpcodes",
  __index = function(_, key)
    if submodule[key] then
      local m = require(submodule[key])
      rawset(M, key, m)
      return m
    end
    local from = provider[key]
    if from then
      local f = require(from)[key]
      rawset(M, key, f)
      return f
    end
    local t = type(key)
    if t == "number" or (t == "string" and key:find("^[%dXx]")) then
      lookup = lookup or require("smtpcodes.knowledge").lookup
      return (lookup(key))
    end
    return nil
  end,
})
