/*
 * libFuzzer harness for the reply scanner, the code that reads untrusted
 * server bytes. The input is a byte stream as a server might send it. It is
 * read whole by parse, with and without options, and by a reader in chunks
 * of 1, 3, 64 and all bytes, under default and tiny bounds, strict or not.
 * None may raise on such input (a raise aborts, and libFuzzer reports it),
 * what they return must hold together, and a reader must give the same
 * replies and the same error whatever the chunks.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

int luaopen_smtpcodes_core(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Globals of the fuzzing state: parse, opts and feed. */
static lua_State *state(void) {
  static lua_State *L = NULL;
  if (L == NULL) {
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "smtpcodes.core", luaopen_smtpcodes_core, 0);
    /* the reply metatable, the class names and the category names */
    if (luaL_loadstring(L, "local core = ... return core.scanner({}, "
                           "{'p', 'c', 'i', 't', 'f'}, {[0] = 's', 'i', 'c', 'u', 'u', 'm'})") !=
        LUA_OK)
      abort();
    lua_insert(L, -2);
    lua_call(L, 1, 1);
    lua_setglobal(L, "parse");
    lua_newtable(L);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "strict");
    lua_pushinteger(L, 16);
    lua_setfield(L, -2, "max_line");
    lua_pushinteger(L, 4);
    lua_setfield(L, -2, "max_lines");
    lua_setglobal(L, "opts");
    /* feed(s): a reader on s, in chunks of 1, 3, 64 and all bytes, under
     * default and tiny bounds, strict or not, then finish: whatever it
     * returns must hold together, and be the same for every chunking */
    if (luaL_loadstring(L,
          "local core = ...\n"
          "local R = { __index = {} }\n"
          "local feed, finish, buffered, reset, state = core.reader(R, {},\n"
          "  {'p', 'c', 'i', 't', 'f'}, {[0] = 's', 'i', 'c', 'u', 'u', 'm'})\n"
          "return function(s)\n"
          "  for _, o in ipairs { { 0, 4096, 256 }, { 1, 16, 4 } } do\n"
          "    local first\n"
          "    for _, size in ipairs { 1, 3, 64, #s + 1 } do\n"
          "      local r = setmetatable({ state = state(o[1], o[2], o[3]) }, R)\n"
          "      local got = {}\n"
          "      for i = 1, #s, size do\n"
          "        local out, err, before = feed(r, s:sub(i, i + size - 1))\n"
          "        for _, x in ipairs(out or before) do\n"
          "          assert(x.code >= 100 and x.text)\n"
          "          got[#got + 1] = x.code .. ' ' .. x.text\n"
          "        end\n"
          "        if not out then assert(type(err) == 'string') got[#got + 1] = err break end\n"
          "        local held = buffered(r)\n"
          "        assert(held <= i + size - 1 and held <= o[3] * (o[2] + 2) + o[2] + 1)\n"
          "      end\n"
          "      local x, err = finish(r)\n"
          "      assert(x == nil or x.code, err)\n"
          "      got[#got + 1] = x and x.code .. ' ' .. x.text or tostring(err)\n"
          "      got = table.concat(got, '\\n')\n"
          "      assert(first == nil or got == first)\n"
          "      first = got\n"
          "      reset(r)\n"
          "    end\n"
          "  end\n"
          "end") != LUA_OK)
      abort();
    luaL_requiref(L, "smtpcodes.core", luaopen_smtpcodes_core, 0);
    lua_call(L, 1, 1);
    lua_setglobal(L, "feed");
  }
  return L;
}

/* Calls the function below the nargs values on top; aborts on a raise. */
static void call(lua_State *L, int nargs, int nresults) {
  if (lua_pcall(L, nargs, nresults, 0) != LUA_OK) abort(); /* untrusted input raised */
}

static void check_reply(lua_State *L, int idx) {
  lua_Integer code;
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) abort();
  lua_getfield(L, idx, "code");
  code = lua_tointeger(L, -1);
  if (code < 100 || code > 599) abort();
  lua_getfield(L, idx, "class");
  if (!lua_isstring(L, -1)) abort();
  lua_pop(L, 1);
  lua_getfield(L, idx, "text");
  if (!lua_isstring(L, -1)) abort();
  lua_pop(L, 2);
}

static void with_parse(lua_State *L, int with_opts) {
  lua_getglobal(L, "parse");
  lua_pushvalue(L, 1);
  if (with_opts) lua_getglobal(L, "opts");
  call(L, with_opts ? 2 : 1, 2);
  if (lua_istable(L, -2))
    check_reply(L, -2);
  else if (!lua_isnil(L, -2) || !lua_isstring(L, -1))
    abort();
  lua_pop(L, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = state();
  lua_settop(L, 0);
  lua_pushlstring(L, (const char *)data, size);
  with_parse(L, 0);
  with_parse(L, 1);
  lua_getglobal(L, "feed");
  lua_pushvalue(L, 1);
  call(L, 1, 0);
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
