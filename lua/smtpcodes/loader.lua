--- Internal: chooses the core, the C module `smtpcodes.core` or the pure-Lua
-- `smtpcodes.luacore` generated from the same data. Not part of the API:
-- `smtpcodes.backend` says which one is in use.
--
-- The environment variable SMTPCODES_BACKEND decides: unset or empty, the C
-- core when it loads and the Lua one otherwise; "c", the C core or an error;
-- "lua", the Lua core. Any other value is an error.
-- @module smtpcodes.loader
local error, pcall, require, tostring = error, pcall, require, tostring
local getenv = os.getenv

local M = {}

local wanted = getenv("SMTPCODES_BACKEND")
if wanted == nil or wanted == "" then
  local ok, core = pcall(require, "smtpcodes.core")
  if ok then
    M.core, M.backend = core, "c"
  else
    M.core, M.backend = require("smtpcodes.luacore"), "lua"
    M.c_error = tostring(core)
  end
elseif wanted == "c" then
  M.core, M.backend = require("smtpcodes.core"), "c"
elseif wanted == "lua" then
  M.core, M.backend = require("smtpcodes.luacore"), "lua"
else
  error(("SMTPCODES_BACKEND is '%s': it must be 'c', 'lua' or unset"):format(wanted), 0)
end

return M
