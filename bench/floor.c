/*
 * bench/floor.c: the floor of smtpcodes.parse, for `make bench`. floor.build
 * makes, without scanning anything, a table of the same shape as the Reply
 * that parse returns for a reply whose text is `text` (lines joined by "\n"):
 * the same stored fields (code, text, class, category, and enhanced when
 * given), the text made from bytes as the scanner makes it, and the same
 * metatable. What parse costs beyond this is the cost of scanning.
 * Not part of smtpcodes: built into build/bench/ by the Makefile only.
 */
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

/* floor.build(code, text [, enhanced]) --> table; upvalues: the field
 * names, the class and category names, the metatable */
static int l_build(lua_State *L) {
  size_t tl, el = 0;
  lua_Integer code = luaL_checkinteger(L, 1);
  const char *text = luaL_checklstring(L, 2, &tl);
  const char *enh = luaL_optlstring(L, 3, NULL, &el);
  lua_createtable(L, 0, enh != NULL ? 5 : 4); /* sized as parse sizes it */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushinteger(L, code);
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushlstring(L, text, tl);
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(3));
  lua_pushvalue(L, lua_upvalueindex(6 + (int)(code / 100) - 1));
  lua_rawset(L, -3);
  lua_pushvalue(L, lua_upvalueindex(4));
  lua_pushvalue(L, lua_upvalueindex(11 + (int)(code / 10 % 10)));
  lua_rawset(L, -3);
  if (enh != NULL) {
    lua_pushvalue(L, lua_upvalueindex(5));
    lua_pushlstring(L, enh, el);
    lua_rawset(L, -3);
  }
  lua_pushvalue(L, lua_upvalueindex(17));
  lua_setmetatable(L, -2);
  return 1;
}

/* floor.builder(mt, classes, categories) --> build */
static int l_builder(lua_State *L) {
  static const char *const fields[] = {"code", "text", "class", "category", "enhanced"};
  int i;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 3, LUA_TTABLE);
  for (i = 0; i < 5; i++) lua_pushstring(L, fields[i]);
  for (i = 1; i <= 5; i++) lua_rawgeti(L, 2, i);
  for (i = 0; i <= 5; i++) lua_rawgeti(L, 3, i);
  lua_pushvalue(L, 1);
  lua_pushcclosure(L, l_build, 17);
  return 1;
}

int luaopen_floor(lua_State *L);
int luaopen_floor(lua_State *L) {
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, l_builder);
  lua_setfield(L, -2, "builder");
  return 1;
}
