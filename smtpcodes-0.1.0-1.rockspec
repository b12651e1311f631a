rockspec_format = "3.0"
package = "smtpcodes"
version = "0.1.0-1"
source = {
  url = "git+https://github.com/smtpcodes/smtpcodes.git",
  tag = "v0.1.0",
}
description = {
  summary = "SMTP reply codes for Lua 5.1-5.4 and LuaJIT: knowledge, replies, decisions, built replies",
  detailed = [[
Every standard SMTP reply code and enhanced status code with texts,
references and plain-language explanations, the codes each command may
return, a bounded parser and streaming reader for what real servers send,
decisions (ok, continue, retry, fail, close) and injection-safe replies.
A C core holds the tables, with a pure-Lua core generated from the same
data where C modules cannot load; a Lua layer holds the API.]],
  homepage = "https://github.com/smtpcodes/smtpcodes",
  license = "MIT",
}
dependencies = {
  "lua >= 5.1, < 5.5",
}
build = {
  type = "builtin",
  modules = {
    ["smtpcodes.core"] = { sources = { "csrc/smtpcodes.c" }, incdirs = { "csrc" } },
    ["smtpcodes.loader"] = "lua/smtpcodes/loader.lua",
    ["smtpcodes.luacore"] = "lua/smtpcodes/luacore.lua",
    ["smtpcodes"] = "lua/smtpcodes/init.lua",
    ["smtpcodes.util"] = "lua/smtpcodes/util.lua",
    ["smtpcodes.knowledge"] = "lua/smtpcodes/knowledge.lua",
    ["smtpcodes.reply"] = "lua/smtpcodes/reply.lua",
    ["smtpcodes.decide"] = "lua/smtpcodes/decide.lua",
    ["smtpcodes.format"] = "lua/smtpcodes/format.lua",
    ["smtpcodes.bounces"] = "lua/smtpcodes/bounces.lua",
    ["smtpcodes.opensmtpd"] = "lua/smtpcodes/opensmtpd.lua",
    ["smtpcodes.postfix"] = "lua/smtpcodes/postfix.lua",
  },
  install = {
    bin = { smtpcodes = "bin/smtpcodes" },
  },
}
test_dependencies = { "busted" }
test = { type = "busted" }
