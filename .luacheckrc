std = "lua54"
max_line_length = 100
files["spec/**/*_spec.lua"] = { std = "+busted" }
files["spec/helpers.lua"] = { std = "+busted" }
exclude_files = { "build/**", "lua_modules/**", ".luarocks/**" }
