/*
 * The few C API differences between Lua 5.1 (and LuaJIT 2.1), 5.2, 5.3
 * and 5.4 that smtpcodes.core meets, as static helpers with the sc_ prefix:
 * no luaL_* name is defined here, so nothing clashes with LuaJIT's own 5.2
 * extensions or with another module's shims.
 */
#ifndef SMTPCODES_COMPAT_H
#define SMTPCODES_COMPAT_H

#include <math.h>
#include <stdio.h>

#include "lua.h"
#include "lauxlib.h"

#if !defined(LUA_VERSION_NUM) || LUA_VERSION_NUM < 501 || LUA_VERSION_NUM > 504
#error "smtpcodes needs the headers of Lua 5.1, 5.2, 5.3, 5.4 or LuaJIT 2.1"
#endif

/* The length of a string, table or full userdata, without metamethods. */
#if LUA_VERSION_NUM == 501
#define sc_rawlen(L, i) lua_objlen(L, i)
#else
#define sc_rawlen(L, i) lua_rawlen(L, i)
#endif

/* "Not found" for a lookup: nil on every version (5.4's luaL_pushfail). */
#define sc_pushfail(L) lua_pushnil(L)

/* luaL_typeerror of 5.4: "T expected, got U", U from __name when the
 * value's metatable has one. */
static int sc_typeerror(lua_State *L, int arg, const char *tname) {
  const char *got;
  if (luaL_getmetafield(L, arg, "__name") != 0 && lua_type(L, -1) == LUA_TSTRING)
    got = lua_tostring(L, -1);
  else
    got = luaL_typename(L, arg);
  return luaL_argerror(L, arg, lua_pushfstring(L, "%s expected, got %s", tname, got));
}

/* The integer value of index i, as 5.3's lua_tointegerx: *ok is 0 for a
 * value that is not a number with an integral value (5.1 and 5.2 would
 * truncate 250.5; a numeric string converts, as in every version). */
static lua_Integer sc_tointeger(lua_State *L, int i, int *ok) {
#if LUA_VERSION_NUM >= 503
  return lua_tointegerx(L, i, ok);
#else
  lua_Number n;
  *ok = 0;
  if (!lua_isnumber(L, i)) return 0;
  n = lua_tonumber(L, i);
  /* within the range where a double holds every integer exactly */
  if (n != floor(n) || n < -9007199254740992.0 || n > 9007199254740992.0) return 0;
  *ok = 1;
  return (lua_Integer)n;
#endif
}

/* luaL_checkinteger that refuses a number with a fraction on every version. */
static lua_Integer sc_checkinteger(lua_State *L, int arg) {
  int ok;
  lua_Integer v = sc_tointeger(L, arg, &ok);
  if (!ok) {
    if (lua_isnumber(L, arg)) luaL_argerror(L, arg, "number has no integer representation");
    sc_typeerror(L, arg, "number");
  }
  return v;
}

/* lua_pushinteger for values beyond 2^31 on every version, as a string in
 * messages: 5.1 and 5.2 have no %I in lua_pushfstring. */
static const char *sc_pushint(lua_State *L, lua_Integer v) {
  char num[32];
  snprintf(num, sizeof num, "%lld", (long long)v);
  lua_pushstring(L, num); /* returns void in 5.1 */
  return lua_tostring(L, -1);
}

/* A new table with the functions of l (luaL_newlib of 5.2, which 5.1 lacks). */
static void sc_newlib(lua_State *L, const luaL_Reg *l) {
  int n = 0;
  while (l[n].name != NULL) n++;
  lua_createtable(L, 0, n);
  for (; l->name != NULL; l++) {
    lua_pushcfunction(L, l->func);
    lua_setfield(L, -2, l->name);
  }
}

#endif
