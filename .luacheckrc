-- Every file must run on Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT: "min" allows only
-- the globals all of them have (no utf8, no table.unpack, no math.tointeger).
-- `make lint` also reads every file with luac5.1 -p for the syntax.
std = "min"
max_line_length = 100
files["spec/**/*_spec.lua"] = { std = "+busted" }
files["spec/helpers.lua"] = { std = "+busted" }
-- generated: one row of data per line
files["lua/smtpcodes/luacore.lua"] = { max_line_length = false }
-- not a module: tools/gentables.lua appends it to the generated tables
exclude_files = { "build/**", "lua_modules/**", ".luarocks/**", "tools/luacore_body.lua" }
