/*
 * libFuzzer harness for the smtpcodes.core entry points that take a name:
 * core.command(profile, name) with any bytes as the name, in every profile.
 * None may raise on any name, and a command found must come with its lists.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

int luaopen_smtpcodes_core(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const profiles[] = {"rfc5321", "rfc821"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static lua_State *L = NULL;
  size_t i;
  if (L == NULL) {
    L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "smtpcodes.core", luaopen_smtpcodes_core, 0);
    lua_setglobal(L, "core");
  }
  for (i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
    lua_settop(L, 0);
    lua_getglobal(L, "core");
    lua_getfield(L, -1, "command");
    lua_pushstring(L, profiles[i]);
    lua_pushlstring(L, (const char *)data, size);
    if (lua_pcall(L, 2, 4, 0) != LUA_OK) abort();
    if (!lua_isnil(L, -4) && !(lua_istable(L, -4) && lua_istable(L, -3) && lua_istable(L, -2)))
      abort();
  }
  lua_settop(L, 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}
