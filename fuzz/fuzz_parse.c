/*
 * libFuzzer harness for the reply scanner, the code that reads untrusted
 * server bytes: the three functions of core.scanner. The input is a byte
 * stream as a server might send it. It is read with scan_all (the streaming
 * reader's path) under default and tiny bounds, strict or not; reply after
 * reply with scan in every mode; whole with parse, with and without
 * options; and by the reader's state machine, in chunks of several sizes. None may raise on such input (a raise aborts, and libFuzzer
 * reports it), and what they return must hold together.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

int luaopen_smtpcodes_core(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Globals of the fuzzing state: parse, scan, scan_all, opts. */
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
    lua_call(L, 1, 3);
    lua_setglobal(L, "scan_all");
    lua_setglobal(L, "scan");
    lua_setglobal(L, "parse");
    lua_newtable(L);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "strict");
    lua_pushinteger(L, 16);
    lua_setfield(L, -2, "max_line");
    lua_pushinteger(L, 4);
    lua_setfield(L, -2, "max_lines");
    lua_setglobal(L, "opts");
    /* feed(s): the reader's state machine on s, in chunks of 1, 3, 64 and
     * all bytes, under default and tiny bounds, strict or not, then finish;
     * whatever it returns must hold together */
    if (luaL_loadstring(L,
          "local core = ...\n"
          "local R = { __index = {} }\n"
          "local feed, finish, buffered, reset, state = core.reader(R, {},\n"
          "  {'p', 'c', 'i', 't', 'f'}, {[0] = 's', 'i', 'c', 'u', 'u', 'm'})\n"
          "return function(s)\n"
          "  for _, size in ipairs { 1, 3, 64, #s + 1 } do\n"
          "    for _, o in ipairs { { 0, 4096, 256 }, { 1, 16, 4 } } do\n"
          "      local r = setmetatable({ state = state(o[1], o[2], o[3]) }, R)\n"
          "      for i = 1, #s, size do\n"
          "        local out, err = feed(r, s:sub(i, i + size - 1))\n"
          "        if not out then assert(type(err) == 'string') break end\n"
          "        for _, x in ipairs(out) do assert(x.code >= 100 and x.text) end\n"
          "        assert(buffered(r) <= o[2] * o[3] + o[2] + 2)\n"
          "      end\n"
          "      local x, err = finish(r)\n"
          "      assert(x == nil or x.code, err)\n"
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

static void with_scan(lua_State *L, size_t len, int flags, lua_Integer max_line,
                      lua_Integer max_lines) {
  lua_Integer pos = 1;
  while ((size_t)pos <= len) {
    int top = lua_gettop(L);
    lua_getglobal(L, "scan");
    lua_pushvalue(L, 1);
    lua_pushinteger(L, pos);
    lua_pushinteger(L, flags & 3); /* STRICT, EOF; not WHOLE: read reply after reply */
    lua_pushinteger(L, max_line);
    lua_pushinteger(L, max_lines);
    call(L, 5, 2);
    if (lua_istable(L, -2)) {
      lua_Integer next = lua_tointeger(L, -1);
      check_reply(L, -2);
      if (next <= pos || (size_t)next > len + 1) abort(); /* no progress, or past the end */
      pos = next;
    } else if (lua_isnil(L, -2)) {
      if (!lua_isstring(L, -1)) abort(); /* an error is a message */
      pos = (lua_Integer)len + 1;
    } else {
      if (lua_tointeger(L, -1) < 0 || (size_t)lua_tointeger(L, -1) > len) abort();
      pos = (lua_Integer)len + 1; /* more bytes needed */
    }
    lua_settop(L, top);
  }
}

static void with_scan_all(lua_State *L, size_t len, int strict, lua_Integer max_line,
                          lua_Integer max_lines) {
  lua_getglobal(L, "scan_all");
  lua_pushvalue(L, 1);
  lua_pushinteger(L, strict);
  lua_pushinteger(L, max_line);
  lua_pushinteger(L, max_lines);
  call(L, 4, 3);
  if (lua_istable(L, -3)) {
    lua_Integer n = (lua_Integer)lua_rawlen(L, -3), next = lua_tointeger(L, -2);
    if (next < 1 || (size_t)next > len + 1) abort();
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, -3, i);
      check_reply(L, -1);
      lua_pop(L, 1);
    }
  } else if (!lua_isnil(L, -3) || !lua_isstring(L, -2) || !lua_istable(L, -1)) {
    abort();
  }
  lua_pop(L, 3);
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
  for (int flags = 0; flags < 4; flags++) {
    with_scan(L, size, flags, 4096, 256);
    with_scan(L, size, flags, 16, 4);
  }
  for (int strict = 0; strict <= 1; strict++) {
    with_scan_all(L, size, strict, 4096, 256);
    with_scan_all(L, size, strict, 16, 4);
  }
  with_parse(L, 0);
  with_parse(L, 1);
  lua_getglobal(L, "feed");
  lua_pushvalue(L, 1);
  call(L, 1, 0);
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
