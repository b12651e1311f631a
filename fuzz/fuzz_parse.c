/*
 * libFuzzer harness for smtpcodes.core.parse, the entry point that reads
 * untrusted server bytes. The input is a byte stream as a server might
 * send it; it is read reply after reply, as the streaming reader does, in
 * every mode (strict or not, end of stream or not, whole text or not) and
 * under default and tiny bounds. parse must never raise on such input (a
 * raise aborts, and libFuzzer reports it), and what it returns must hold
 * together: a reply and a position past it, false, or nil and a message.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

int luaopen_smtpcodes_core(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *state(void) {
  static lua_State *L = NULL;
  if (L == NULL) {
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "smtpcodes.core", luaopen_smtpcodes_core, 0);
    lua_setglobal(L, "core");
    /* the metatable and the shared empty warnings list */
    lua_newtable(L);
    lua_setglobal(L, "mt");
    lua_newtable(L);
    lua_setglobal(L, "nowarnings");
  }
  return L;
}

/* Reads every reply of s in one mode; aborts on a raise or a broken result. */
static void read_all(lua_State *L, int flags, lua_Integer max_line, lua_Integer max_lines) {
  lua_Integer pos = 1;
  size_t len;
  lua_tolstring(L, 1, &len);
  while ((size_t)pos <= len) {
    int top = lua_gettop(L);
    lua_getglobal(L, "core");
    lua_getfield(L, -1, "parse");
    lua_pushvalue(L, 1);
    lua_pushinteger(L, pos);
    lua_pushinteger(L, flags);
    lua_pushinteger(L, max_line);
    lua_pushinteger(L, max_lines);
    lua_getglobal(L, "mt");
    lua_getglobal(L, "nowarnings");
    if (lua_pcall(L, 7, 2, 0) != LUA_OK) abort(); /* untrusted input raised */
    if (lua_istable(L, -2)) {
      lua_Integer next = lua_tointeger(L, -1);
      if (next <= pos || (size_t)next > len + 1) abort(); /* no progress, or past the end */
      lua_getfield(L, -2, "code");
      if (lua_tointeger(L, -1) < 100 || lua_tointeger(L, -1) > 559) abort();
      pos = next;
    } else if (lua_isnil(L, -2)) {
      if (!lua_isstring(L, -1)) abort(); /* an error must be a message */
      pos = (lua_Integer)len + 1;
    } else {
      pos = (lua_Integer)len + 1; /* false: more bytes needed */
    }
    lua_settop(L, top);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = state();
  int flags;
  lua_settop(L, 0);
  lua_pushlstring(L, (const char *)data, size);
  for (flags = 0; flags < 8; flags++) {
    read_all(L, flags, 4096, 256);
    read_all(L, flags, 16, 4);
  }
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
