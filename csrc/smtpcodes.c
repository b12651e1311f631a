/*
 * smtpcodes.core: the C core of smtpcodes.
 *
 * Holds the static tables generated from data/ (basic reply codes, enhanced
 * status codes, per-command reply tables) with their lookups, and the reply
 * scanner that turns wire bytes into reply tables. The Lua layer in
 * lua/smtpcodes/ builds the public API on top; users never call this module
 * directly.
 *
 * No heap memory is allocated here (Lua strings and luaL_Buffer only), no
 * state is kept, and luaopen_smtpcodes_core is the only exported symbol.
 */
#include <stdlib.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#include "compat.h"
#include "smtpcodes.h"

#include "replies_gen.h"
#include "enhanced_gen.h"
#include "commands_gen.h"
#include "reasons_gen.h"

#define SC_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define SC_ISDIGIT(c) ((unsigned char)((c) - '0') < 10)

/* ------------------------------------------------------------ basic codes */

static int sc_cmp_reply(const void *key, const void *elem) {
  int k = *(const int *)key, c = ((const sc_reply *)elem)->code;
  return (k > c) - (k < c);
}

static const sc_reply *sc_find_reply(lua_Integer code) {
  int k;
  if (code < 0 || code > 999) return NULL;
  k = (int)code;
  return bsearch(&k, sc_replies, SC_COUNT(sc_replies), sizeof sc_replies[0], sc_cmp_reply);
}

/* core.reply(code) --> text, references, explanation | fail */
static int l_reply(lua_State *L) {
  const sc_reply *r = sc_find_reply(sc_checkinteger(L, 1));
  if (r == NULL) {
    sc_pushfail(L);
    return 1;
  }
  lua_pushstring(L, r->text);
  lua_pushstring(L, r->refs);
  lua_pushstring(L, r->explanation);
  return 3;
}

/* core.codes() --> {code, ...} (a fresh list, sorted) */
static int l_codes(lua_State *L) {
  size_t i;
  lua_createtable(L, (int)SC_COUNT(sc_replies), 0);
  for (i = 0; i < SC_COUNT(sc_replies); i++) {
    lua_pushinteger(L, sc_replies[i].code);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* ---------------------------------------------------- enhanced status codes */

static int sc_cmp_status(const void *key, const void *elem) {
  const int *k = (const int *)key;
  const sc_status *s = (const sc_status *)elem;
  int a = k[0] * 1000 + k[1], b = s->subject * 1000 + s->detail;
  return (a > b) - (a < b);
}

/* core.status(subject, detail) --> title | false, basic, references, description | fail */
static int l_status(lua_State *L) {
  lua_Integer subject = sc_checkinteger(L, 1), detail = sc_checkinteger(L, 2);
  const sc_status *s = NULL;
  if (subject >= 0 && subject <= 999 && detail >= 0 && detail <= 999) {
    int key[2];
    key[0] = (int)subject;
    key[1] = (int)detail;
    s = bsearch(key, sc_statuses, SC_COUNT(sc_statuses), sizeof sc_statuses[0], sc_cmp_status);
  }
  if (s == NULL) {
    sc_pushfail(L);
    return 1;
  }
  if (s->title != NULL)
    lua_pushstring(L, s->title);
  else
    lua_pushboolean(L, 0);
  lua_pushstring(L, s->basic);
  lua_pushstring(L, s->refs);
  lua_pushstring(L, s->description);
  return 4;
}

/* core.statuses() --> {"X.s.d", ...} (a fresh list, in registry order) */
static int l_statuses(lua_State *L) {
  size_t i;
  lua_createtable(L, (int)SC_COUNT(sc_statuses), 0);
  for (i = 0; i < SC_COUNT(sc_statuses); i++) {
    lua_pushfstring(L, "X.%d.%d", sc_statuses[i].subject, sc_statuses[i].detail);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

static int sc_push_eclass(lua_State *L, const sc_eclass *list, size_t n) {
  lua_Integer digit = sc_checkinteger(L, 1);
  size_t i;
  for (i = 0; i < n; i++) {
    if (list[i].digit == digit) {
      lua_pushstring(L, list[i].title);
      lua_pushstring(L, list[i].refs);
      lua_pushstring(L, list[i].description);
      return 3;
    }
  }
  sc_pushfail(L);
  return 1;
}

/* core.class(digit) --> title, references, description | fail */
static int l_class(lua_State *L) {
  return sc_push_eclass(L, sc_eclasses, SC_COUNT(sc_eclasses));
}

/* core.subject(digit) --> title, references, description | fail */
static int l_subject(lua_State *L) {
  return sc_push_eclass(L, sc_esubjects, SC_COUNT(sc_esubjects));
}

/* --------------------------------------------------------------- commands */

typedef struct sc_cmdkey {
  const char *profile;
  const char *name;
} sc_cmdkey;

static int sc_cmp_command(const void *key, const void *elem) {
  const sc_cmdkey *k = (const sc_cmdkey *)key;
  const sc_command *c = (const sc_command *)elem;
  int r = strcmp(k->profile, c->profile);
  return r != 0 ? r : strcmp(k->name, c->name);
}

/* core.command(profile, NAME) --> codes, references, anyclasses, anyrefs | fail
 * profile must be one of core.profiles(); NAME is upper case. */
static int l_command(lua_State *L) {
  sc_cmdkey key;
  const sc_command *c;
  int i, n = 0;
  key.profile = sc_profiles[luaL_checkoption(L, 1, NULL, sc_profiles)];
  key.name = luaL_checkstring(L, 2);
  c = bsearch(&key, sc_commands, SC_COUNT(sc_commands), sizeof sc_commands[0], sc_cmp_command);
  if (c == NULL) {
    sc_pushfail(L);
    return 1;
  }
  lua_createtable(L, c->ncodes, 0);
  lua_createtable(L, c->ncodes, 0);
  for (i = 0; i < c->ncodes; i++) {
    lua_pushinteger(L, c->codes[i].code);
    lua_rawseti(L, -3, i + 1);
    lua_pushstring(L, c->codes[i].refs);
    lua_rawseti(L, -2, i + 1);
  }
  lua_createtable(L, 2, 0);
  for (i = 1; i <= 5; i++) {
    if (c->any & (1 << i)) {
      lua_pushinteger(L, i);
      lua_rawseti(L, -2, ++n);
    }
  }
  if (c->anyrefs != NULL)
    lua_pushstring(L, c->anyrefs);
  else
    lua_pushnil(L);
  return 4;
}

/* core.commands(profile) --> {NAME, ...} (a fresh list, sorted) */
static int l_commands(lua_State *L) {
  const char *profile = sc_profiles[luaL_checkoption(L, 1, NULL, sc_profiles)];
  size_t i;
  int n = 0;
  lua_newtable(L);
  for (i = 0; i < SC_COUNT(sc_commands); i++) {
    if (strcmp(sc_commands[i].profile, profile) == 0) {
      lua_pushstring(L, sc_commands[i].name);
      lua_rawseti(L, -2, ++n);
    }
  }
  return 1;
}

/* core.profiles() --> {name, ...} (the default first) */
static int l_profiles(lua_State *L) {
  int i;
  lua_newtable(L);
  for (i = 0; sc_profiles[i] != NULL; i++) {
    lua_pushstring(L, sc_profiles[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* ---------------------------------------------------------------- reasons */

/* core.reasons() --> {{name, kind, description}, ...} (fresh tables) */
static int l_reasons(lua_State *L) {
  size_t i;
  lua_createtable(L, (int)SC_COUNT(sc_reasons), 0);
  for (i = 0; i < SC_COUNT(sc_reasons); i++) {
    lua_createtable(L, 3, 0);
    lua_pushstring(L, sc_reasons[i].name);
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, sc_reasons[i].kind);
    lua_rawseti(L, -2, 2);
    lua_pushstring(L, sc_reasons[i].description);
    lua_rawseti(L, -2, 3);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* core.rules() --> {{match, key, command | false, reason, strong, references}, ...}
 * in the order of the data file (fresh tables) */
static int l_rules(lua_State *L) {
  size_t i;
  lua_createtable(L, (int)SC_COUNT(sc_rules), 0);
  for (i = 0; i < SC_COUNT(sc_rules); i++) {
    const sc_rule *r = &sc_rules[i];
    lua_createtable(L, 6, 0);
    lua_pushstring(L, r->match);
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, r->key);
    lua_rawseti(L, -2, 2);
    if (r->command != NULL)
      lua_pushstring(L, r->command);
    else
      lua_pushboolean(L, 0);
    lua_rawseti(L, -2, 3);
    lua_pushstring(L, r->reason);
    lua_rawseti(L, -2, 4);
    lua_pushboolean(L, r->strong);
    lua_rawseti(L, -2, 5);
    lua_pushstring(L, r->refs);
    lua_rawseti(L, -2, 6);
    lua_rawseti(L, -2, (int)i + 1);
  }
  return 1;
}

/* The first place of needle (n bytes, n > 0) in hay (h bytes), or NULL. */
static const char *sc_find(const char *hay, size_t h, const char *needle, size_t n) {
  const char *p = hay, *end = hay + h;
  while ((size_t)(end - p) >= n) {
    p = (const char *)memchr(p, needle[0], (size_t)(end - p) - n + 1);
    if (p == NULL) return NULL;
    if (memcmp(p, needle, n) == 0) return p;
    p++;
  }
  return NULL;
}

/* core.phrases(lowered, command) --> strong, weak
 * The phrase rules found in a reply's lower-cased text, as plain substrings,
 * in the order of the data: the place (1 for the first phrase rule) of the
 * first strong one and of the first weak one, nil for none. A rule for one
 * command counts only for that command (a string, or nil for none). */
static int l_phrases(lua_State *L) {
  size_t len, i;
  const char *text = luaL_checklstring(L, 1, &len);
  const char *command = luaL_optstring(L, 2, NULL);
  lua_Integer n = 0, weak = 0;
  for (i = 0; i < SC_COUNT(sc_rules); i++) {
    const sc_rule *r = &sc_rules[i];
    if (r->match[0] != 'p') continue; /* "phrase" */
    n++;
    if (r->command != NULL && (command == NULL || strcmp(r->command, command) != 0)) continue;
    if (weak != 0 && !r->strong) continue;
    if (sc_find(text, len, r->key, strlen(r->key)) == NULL) continue;
    if (r->strong) {
      lua_pushinteger(L, n);
      if (weak != 0)
        lua_pushinteger(L, weak);
      else
        lua_pushnil(L);
      return 2;
    }
    weak = n;
  }
  lua_pushnil(L);
  if (weak != 0)
    lua_pushinteger(L, weak);
  else
    lua_pushnil(L);
  return 2;
}

/* ----------------------------------------------------------- reply scanner */

/* Flags of core.parse. */
#define SC_STRICT 1 /* every deviation is an error, not a warning */
#define SC_EOF 2    /* no byte follows s: a last line without line end is complete */
#define SC_WHOLE 4  /* s holds one reply: what follows it is examined, not left */

#define SC_RFC_LINE 512 /* RFC 5321 4.5.3.1.5: reply line with its CRLF */

/* What one scan found: a reply, the need for more bytes, or an error. */
enum { SC_REPLY, SC_MORE, SC_ERROR };
#define SC_QUOTE_MAX 48 /* bytes of server text quoted in an error */

/* Deviations forgiven in lenient mode, in the order they are reported. */
enum {
  W_EMPTY, W_LF, W_NOEOL, W_LONG, W_BARE, W_CODES, W_ECLASS, W_EPARTIAL, W_EDIFF, W_DIGIT,
  W_AFTER, W_COUNT
};

static const char *const sc_warnings[W_COUNT] = {
  "line %d: empty line outside a reply",
  "line %d: line ends in LF without CR",
  "line %d: the final line has no line end",
  "line %d: longer than 512 octets with its line end (RFC 5321 4.5.3.1.5)",
  "line %d: code without separator before the final line",
  "line %d: reply code differs from line 1 (the final line's code is used)",
  "line %d: enhanced code's class disagrees with the reply code (not taken as enhanced)",
  "line %d: enhanced code missing on this line but present on others",
  "line %d: enhanced code differs from an earlier line's",
  "line %d: second digit of the reply code is not 0-5 (RFC 5321 4.2)",
  "line %d: a line after the final line repeats its code (kept in the reply)"
};

/* Length of an enhanced status code (RFC 3463 2: class "." subject "."
 * detail, 1-3 digits each, no leading zeros) at the start of t, followed by a
 * space or by the end of t; 0 when there is none. */
static size_t sc_enhanced_len(const char *t, size_t n) {
  size_t i = 2;
  int part;
  if (n < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.') return 0;
  for (part = 0; part < 2; part++) {
    size_t start = i;
    while (i < n && i - start < 4 && SC_ISDIGIT(t[i])) i++;
    if (i == start || i - start > 3 || (i - start > 1 && t[start] == '0')) return 0;
    if (part == 0) {
      if (i >= n || t[i] != '.') return 0;
      i++;
    }
  }
  if (i < n && t[i] != ' ') return 0;
  return i;
}

/* Pushes "line N: what: 'quoted text'", with the server's bytes escaped so
 * that no control character reaches a log or a terminal; returns SC_ERROR. */
static int sc_fail(lua_State *L, int lineno, const char *what, const char *q, size_t qn) {
  luaL_Buffer b;
  size_t n = qn < SC_QUOTE_MAX ? qn : SC_QUOTE_MAX;
  luaL_buffinit(L, &b);
  if (lineno > 0) {
    lua_pushfstring(L, "line %d: ", lineno);
    luaL_addvalue(&b);
  }
  luaL_addstring(&b, what);
  if (q != NULL) {
    luaL_addstring(&b, ": '");
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)q[i];
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
        luaL_addchar(&b, (char)c);
      } else {
        char esc[5];
        static const char hex[] = "0123456789abcdef";
        esc[0] = '\\';
        esc[1] = 'x';
        esc[2] = hex[c >> 4];
        esc[3] = hex[c & 15];
        luaL_addlstring(&b, esc, 4);
      }
    }
    if (n < qn) luaL_addstring(&b, "...");
    luaL_addchar(&b, '\'');
  }
  luaL_pushresult(&b);
  return SC_ERROR;
}

/* True when the line at p (of 4 octets or more) starts with a code the
 * scanner takes: three digits, the first 1 to 5. */
static int sc_goodcode(const char *p) {
  return SC_ISDIGIT(p[0]) && SC_ISDIGIT(p[1]) && SC_ISDIGIT(p[2]) && p[0] >= '1' && p[0] <= '5';
}

/* The length of an unterminated line p[0, n) as the bounds count it: a CR
 * at its end may be the start of its line end, which never counts. */
static size_t sc_openlen(const char *p, size_t n) {
  return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

/* The messages of the two bounds, pushed on the stack. */
static const char *sc_toolong(lua_State *L, lua_Integer max_line) {
  sc_pushint(L, max_line);
  return lua_pushfstring(L, "line longer than %s octets (max_line)", lua_tostring(L, -1));
}

static const char *sc_toomany(lua_State *L, lua_Integer max_lines) {
  sc_pushint(L, max_lines);
  return lua_pushfstring(L, "more than %s lines in one reply (max_lines)", lua_tostring(L, -1));
}

/* True when only empty lines (CR and LF bytes) are left in s[pos, len). */
static int sc_only_line_ends(const char *s, size_t pos, size_t len) {
  for (; pos < len; pos++)
    if (s[pos] != '\r' && s[pos] != '\n') return 0;
  return 1;
}

/* Upvalues of the scanning functions: the field names of a reply, interned
 * once, the names of the five classes and six categories of a code (first
 * and second digit), and the Reply metatable. */
enum {
  U_CODE = 1, U_ENHANCED, U_TEXT, U_CLASS, U_CATEGORY, U_WARNINGS,
  U_CLASSES,                    /* 5 names: digits 1 to 5 */
  U_CATEGORIES = U_CLASSES + 5, /* 6 names: digits 0 to 5 */
  U_MT = U_CATEGORIES + 6,
  U_COUNT = U_MT
};
static const char *const sc_fields[U_WARNINGS] = {"code", "enhanced", "text", "class",
                                                   "category", "warnings"};

/* Pushes the field name `key` for the reply on top; its value follows. */
#define sc_pushkey(L, key) lua_pushvalue(L, lua_upvalueindex(key))

/* In a stream: does s hold the end of the reply that starts at byte offset
 * at? Also true when the reply crosses a bound or goes wrong, so that the
 * full scan reports it. When false, *open is the length of the unterminated
 * line. This look-ahead allocates nothing: a reply split over chunks is not
 * turned into strings until it is whole. */
static int sc_complete(const char *s, size_t len, size_t at, lua_Integer max_line,
                       lua_Integer max_lines, size_t *open) {
  lua_Integer n = 0;
  int text = 0; /* a line with text was seen */
  while (at < len) {
    const char *lp = s + at;
    const char *nl = memchr(lp, '\n', len - at);
    size_t ll;
    if (nl == NULL) {
      *open = len - at;
      return sc_openlen(lp, *open) > (size_t)max_line;
    }
    ll = (size_t)(nl - lp);
    at += ll + 1;
    if (ll > 0 && lp[ll - 1] == '\r') ll--;
    /* empty lines count toward max_lines too: they are held like others */
    if (ll > (size_t)max_line || ++n > max_lines) return 1;
    if (ll == 0) {
      if (text) return 1; /* an empty line inside a reply: an error */
      continue;           /* stray empty lines before it: warnings */
    }
    text = 1;
    /* a final line, or one the scan will refuse: the reply is done */
    if (ll < 4 || lp[3] != '-' || !sc_goodcode(lp)) return 1;
  }
  *open = 0;
  return 0;
}

/* The offset just past the last line of s that can end a reply (any line
 * but "xyz-..."), or 0. Every reply that starts before it is complete. */
static size_t sc_last_final(const char *s, size_t len) {
  size_t e = len;
  while (e > 0 && s[e - 1] != '\n') e--; /* leave out the open line */
  while (e > 0) {
    size_t start = e - 1, ll;
    while (start > 0 && s[start - 1] != '\n') start--;
    ll = e - 1 - start;
    if (ll > 0 && s[start + ll - 1] == '\r') ll--;
    if (ll < 4 || s[start + 3] != '-') return e;
    e = start;
  }
  return 0;
}

/* Notes deviation w at line n, unless it was seen before. */
#define SC_WARN(w, n) \
  do { \
    if (!(seen & (1u << (w)))) { \
      seen |= 1u << (w); \
      wline[w] = (n); \
    } \
  } while (0)

/* Scans one reply of s starting at byte offset *pos. SC_REPLY: pushes the
 * reply table (with the Reply metatable: fields code, text (the lines joined
 * by "\n"), class, category, and enhanced and warnings when there are any;
 * lines are made from the text in Lua when read) and moves *pos past it. SC_MORE: s
 * ends before the reply does and SC_EOF is not set; pushes nothing and sets
 * *open to the length of the unterminated line. SC_ERROR: pushes a message
 * naming the line and the fault. The text is built in one buffer: a reply
 * of any number of lines makes one string. */
static int sc_scan(lua_State *L, const char *s, size_t len, size_t *pos, int flags,
                   lua_Integer max_line, lua_Integer max_lines, size_t *open) {
  int lineno = 0, nlines = 0, first_code = -1, code = -1, final = 0;
  int wline[W_COUNT] = {0};           /* the first line of each deviation seen */
  unsigned seen = 0;               /* bit w: deviation w was seen */
  const char *enh = NULL, *last_enh = NULL;  /* first and final-line enhanced codes */
  size_t enhn = 0, last_enhn = 0;
  int enh_lines = 0, missing_line = 0;
  const int base = lua_gettop(L); /* the text is made above this index */
  size_t at = *pos;                /* *pos moves only past a whole reply */
  /* The text: the lines joined by "\n". A reply of one line, the most
   * common, makes its text from the line itself; a buffer is started only
   * when a second line comes. */
  luaL_Buffer b;
  int buffered = 0;
  const char *first = NULL;
  size_t firstn = 0;

  while (!final) {
    const char *lp = s + at, *nl, *text;
    size_t rest = len - at, ll, adv, tn, en;
    int c, bare;

    nl = memchr(lp, '\n', rest);
    if (nl == NULL) {
      if (!(flags & SC_EOF)) {
        if (sc_openlen(lp, rest) > (size_t)max_line)
          return sc_fail(L, lineno + 1, sc_toolong(L, max_line), NULL, 0);
        *open = rest;
        return SC_MORE;
      }
      if (rest == 0) {
        if (nlines == 0) return sc_fail(L, 0, "incomplete reply: no reply line", NULL, 0);
        return sc_fail(L, lineno, "incomplete reply: no final line after this one", NULL, 0);
      }
      adv = rest;
      ll = sc_openlen(lp, rest); /* "250 ok\r" has the text of "250 ok\r\n" */
      SC_WARN(W_NOEOL, lineno + 1);
    } else {
      ll = (size_t)(nl - lp);
      adv = ll + 1;
      if (ll > 0 && lp[ll - 1] == '\r')
        ll--;
      else
        SC_WARN(W_LF, lineno + 1);
    }
    lineno++;
    if (ll > (size_t)max_line)
      return sc_fail(L, lineno, sc_toolong(L, max_line), NULL, 0);
    if (lineno > max_lines) /* empty lines count too */
      return sc_fail(L, lineno, sc_toomany(L, max_lines), NULL, 0);
    if (ll == 0) {
      if (nlines > 0) return sc_fail(L, lineno, "empty line inside a multi-line reply", NULL, 0);
      SC_WARN(W_EMPTY, lineno);
      at += adv;
      continue;
    }
    if (ll + 2 > SC_RFC_LINE) SC_WARN(W_LONG, lineno);

    /* the code: exactly three digits, RFC 5321 4.2 grammar */
    if (!SC_ISDIGIT(lp[0])) return sc_fail(L, lineno, "no reply code", lp, ll);
    if (ll < 3 || !SC_ISDIGIT(lp[1]) || !SC_ISDIGIT(lp[2]) || (ll > 3 && SC_ISDIGIT(lp[3])))
      return sc_fail(L, lineno, "reply code is not three digits", lp, ll);
    if (lp[0] == '0' || lp[0] > '5')
      return sc_fail(L, lineno, "reply code out of range (first digit 1-5)", lp, ll);
    /* some sites answer 571: taken by its first digit, with a warning */
    if (lp[1] > '5') SC_WARN(W_DIGIT, lineno);
    c = (lp[0] - '0') * 100 + (lp[1] - '0') * 10 + (lp[2] - '0');
    bare = ll == 3;
    if (!bare && lp[3] != ' ' && lp[3] != '-')
      return sc_fail(L, lineno, "bad separator after the reply code", lp, ll);
    final = bare || lp[3] == ' ';
    nlines++;
    if (first_code < 0)
      first_code = c;
    else if (c != first_code)
      SC_WARN(W_CODES, lineno);
    code = c;

    /* the text, with its enhanced code (RFC 2034 4) taken off */
    text = bare ? lp + 3 : lp + 4;
    tn = bare ? 0 : ll - 4;
    en = sc_enhanced_len(text, tn);
    if (en > 0 && text[0] != lp[0]) {
      SC_WARN(W_ECLASS, lineno);
      en = 0;
    }
    if (en > 0) {
      if (enh == NULL) {
        enh = text;
        enhn = en;
      } else if (!(seen & (1u << W_EDIFF)) && (en != enhn || memcmp(enh, text, en) != 0)) {
        SC_WARN(W_EDIFF, lineno);
      }
      if (final) {
        last_enh = text;
        last_enhn = en;
      }
      enh_lines++;
      text += en;
      tn -= en;
      while (tn > 0 && *text == ' ') {
        text++;
        tn--;
      }
    } else if (!missing_line) {
      missing_line = lineno;
    }
    while (tn > 0 && (text[tn - 1] == ' ' || text[tn - 1] == '\t')) tn--;
    if (nlines == 1) {
      first = text;
      firstn = tn;
    } else {
      if (!buffered) {
        buffered = 1;
        luaL_buffinit(L, &b); /* nothing else is on the stack above base */
        luaL_addlstring(&b, first, firstn);
      }
      luaL_addchar(&b, '\n');
      luaL_addlstring(&b, text, tn);
    }
    at += adv;

    /* In a whole text, lines of the same code after the final line are
     * kept: after a bare code they show that it was meant as an inner line;
     * after "xyz text", they are the separate final lines that some servers
     * (old Exchange in its EHLO reply) send for one reply. */
    if (final && (flags & SC_WHOLE) && !sc_only_line_ends(s, at, len)) {
      const char *nx = s + at;
      if (bare)
        while (*nx == '\r' || *nx == '\n') nx++;
      if ((size_t)(nx - s) + 3 <= len && memcmp(nx, lp, 3) == 0 &&
          ((size_t)(nx - s) + 3 == len || !SC_ISDIGIT(nx[3]))) {
        int w = bare ? W_BARE : W_AFTER;
        SC_WARN(w, lineno + (bare ? 0 : 1));
        final = 0;
      }
    }
  }

  if (flags & SC_WHOLE) {
    if (!sc_only_line_ends(s, at, len))
      return sc_fail(L, lineno + 1, "more text after the final line", s + at, len - at);
    if (at < len) SC_WARN(W_EMPTY, lineno + 1);
    at = len;
  }

  /* The enhanced code: the final line's, else the first one seen. */
  if (last_enh != NULL) {
    enh = last_enh;
    enhn = last_enhn;
  }
  if (enh != NULL) {
    if (enh_lines < nlines) SC_WARN(W_EPARTIAL, missing_line);
    if (enh[0] - '0' != code / 100) {
      SC_WARN(W_ECLASS, lineno);
      enh = NULL;
    }
  }

  /* warnings: errors in strict mode */
  {
    int nwarn = 0, firstw = -1, i;
    for (i = 0; seen != 0 && i < W_COUNT; i++) {
      if (seen & (1u << i)) {
        nwarn++;
        if (firstw < 0 || wline[i] < wline[firstw]) firstw = i;
      }
    }
    if (nwarn > 0 && (flags & SC_STRICT)) {
      lua_settop(L, base);
      lua_pushfstring(L, sc_warnings[firstw], wline[firstw]);
      return SC_ERROR;
    }
    if (buffered) /* base + 1: the text */
      luaL_pushresult(&b);
    else
      lua_pushlstring(L, first, firstn);
    lua_createtable(L, 0, 6); /* the reply */
    sc_pushkey(L, U_CODE);
    lua_pushinteger(L, code);
    lua_rawset(L, -3);
    sc_pushkey(L, U_TEXT);
    lua_pushvalue(L, base + 1);
    lua_rawset(L, -3);
    sc_pushkey(L, U_CLASS);
    sc_pushkey(L, U_CLASSES + code / 100 - 1);
    lua_rawset(L, -3);
    if (code / 10 % 10 <= 5) { /* none for 571 */
      sc_pushkey(L, U_CATEGORY);
      sc_pushkey(L, U_CATEGORIES + code / 10 % 10);
      lua_rawset(L, -3);
    }
    if (enh != NULL) {
      sc_pushkey(L, U_ENHANCED);
      lua_pushlstring(L, enh, enhn);
      lua_rawset(L, -3);
    }
    if (nwarn > 0) {
      int n = 0;
      sc_pushkey(L, U_WARNINGS);
      lua_createtable(L, nwarn, 0);
      for (i = 0; i < W_COUNT; i++) {
        if (seen & (1u << i)) {
          lua_pushfstring(L, sc_warnings[i], wline[i]);
          lua_rawseti(L, -2, ++n);
        }
      }
      lua_rawset(L, -3);
    }
  }
  lua_pushvalue(L, lua_upvalueindex(U_MT));
  lua_setmetatable(L, -2);
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
  *pos = at;
  return SC_REPLY;
}

/* Reads a positive integer option of the table at index 2 (the public
 * parse's opts), or gives def when it is absent. */
static lua_Integer sc_bound(lua_State *L, const char *name, lua_Integer def) {
  lua_Integer v = def;
  lua_getfield(L, 2, name);
  if (!lua_isnil(L, -1)) {
    int ok = 0;
    if (lua_type(L, -1) == LUA_TNUMBER) v = sc_tointeger(L, -1, &ok);
    if (!ok || v < 1) {
      lua_pushfstring(L, "opts.%s must be a positive integer", name);
      luaL_argerror(L, 2, lua_tostring(L, -1));
    }
  }
  lua_pop(L, 1);
  return v;
}

/* Default bounds of parse and the reader (core.MAX_LINE, core.MAX_LINES):
 * RFC 5321 allows 512 octets a line, and real EHLO replies have a few dozen
 * lines; these leave room for sloppy servers and still bound memory. */
#define SC_MAX_LINE 4096
#define SC_MAX_LINES 256

/* parse(text [, opts]) --> reply | nil, err
 * smtpcodes.parse: one complete reply; opts.strict, opts.max_line and
 * opts.max_lines as documented in README.md. */
static int l_parse(lua_State *L) {
  size_t len, pos = 0, open = 0;
  const char *s;
  if (lua_type(L, 1) != LUA_TSTRING) return sc_typeerror(L, 1, "string");
  s = lua_tolstring(L, 1, &len);
  int flags = SC_EOF | SC_WHOLE;
  lua_Integer max_line = SC_MAX_LINE, max_lines = SC_MAX_LINES;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "strict");
    if (lua_toboolean(L, -1)) flags |= SC_STRICT;
    lua_pop(L, 1);
    max_line = sc_bound(L, "max_line", max_line);
    max_lines = sc_bound(L, "max_lines", max_lines);
  }
  lua_settop(L, 2);
  if (sc_scan(L, s, len, &pos, flags, max_line, max_lines, &open) == SC_REPLY) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* scan(s, init, flags, max_line, max_lines)
 *   --> reply [, nextpos] | false, open | nil, err
 * One reply of s from byte init: the reply (and, unless SC_WHOLE, the
 * position after it); false and the length of the open line when more
 * bytes are needed; nil and a message for malformed input. */
static int l_scan(lua_State *L) {
  size_t len, pos, open = 0;
  const char *s = luaL_checklstring(L, 1, &len);
  lua_Integer init = sc_checkinteger(L, 2);
  int flags = (int)sc_checkinteger(L, 3);
  lua_Integer max_line = sc_checkinteger(L, 4);
  lua_Integer max_lines = sc_checkinteger(L, 5);
  luaL_argcheck(L, init >= 1 && (size_t)init <= len + 1, 2, "out of range");
  luaL_argcheck(L, max_line > 0 && max_lines > 0, 4, "bounds must be positive");
  lua_settop(L, 5);
  pos = (size_t)init - 1;
  switch (sc_scan(L, s, len, &pos, flags, max_line, max_lines, &open)) {
    case SC_REPLY:
      if (flags & SC_WHOLE) return 1;
      lua_pushinteger(L, (lua_Integer)pos + 1);
      return 2;
    case SC_MORE:
      lua_pushboolean(L, 0);
      lua_pushinteger(L, (lua_Integer)open);
      return 2;
    default:
      lua_pushnil(L);
      lua_insert(L, -2);
      return 2;
  }
}

/* Scans the stream s[0, len) for every complete reply (no SC_EOF, no
 * SC_WHOLE) into the list at index list, after its *n replies. SC_REPLY: all
 * scanned; *pos is the first byte not used, *open the length of the open
 * line. SC_ERROR: the message is pushed. */
static int sc_stream(lua_State *L, const char *s, size_t len, int flags, lua_Integer max_line,
                     lua_Integer max_lines, int list, int *n, size_t *pos, size_t *open) {
  size_t end = sc_last_final(s, len);
  const int top = lua_gettop(L);
  *pos = 0;
  *open = 0;
  while (*pos < len) {
    int st;
    /* past the last final line the reply is unfinished: it is only looked
     * at, unless it crosses a bound, and scanned once it is whole */
    if (*pos >= end && !sc_complete(s, len, *pos, max_line, max_lines, open)) break;
    st = sc_scan(L, s, len, pos, flags & SC_STRICT, max_line, max_lines, open);
    if (st == SC_REPLY) {
      lua_rawseti(L, list, ++*n);
    } else if (st == SC_MORE) {
      break;
    } else {
      return SC_ERROR;
    }
  }
  lua_settop(L, top); /* drop the lines of an unfinished reply */
  if (*pos >= len) *open = 0;
  return SC_REPLY;
}

/* scan_all(s, flags, max_line, max_lines) --> replies, nextpos, open | nil, err, replies
 * Every complete reply of the stream s (no SC_EOF, no SC_WHOLE): the list of
 * replies, the position of the first byte not used and the length of the
 * open line; or nil, a message and the replies before the error. */
static int l_scan_all(lua_State *L) {
  size_t len, pos = 0, open = 0;
  const char *s = luaL_checklstring(L, 1, &len);
  int flags = (int)sc_checkinteger(L, 2) & SC_STRICT;
  lua_Integer max_line = sc_checkinteger(L, 3);
  lua_Integer max_lines = sc_checkinteger(L, 4);
  int n = 0;
  luaL_argcheck(L, max_line > 0 && max_lines > 0, 3, "bounds must be positive");
  lua_settop(L, 4);
  /* 5: the replies, sized for replies of about 128 octets */
  lua_createtable(L, (int)(len / 128 < 1024 ? len / 128 + 1 : 1024), 0);
  if (sc_stream(L, s, len, flags, max_line, max_lines, 5, &n, &pos, &open) == SC_ERROR) {
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_pushvalue(L, 5);
    return 3;
  }
  lua_pushinteger(L, (lua_Integer)pos + 1);
  lua_pushinteger(L, (lua_Integer)open);
  return 3;
}

/* ---------------------------------------------------------- the reader */

/* The state of a reader, in its field `state`: its options, and the bytes
 * of the reply still open with what the scan has learnt of them, so that
 * the next chunk is scanned from where the last one stopped. A full
 * userdata (memory Lua owns, so that nothing leaks when an error is raised)
 * with a metatable of its own, grown fourfold into a new one. */
typedef struct sc_held {
  lua_Integer max_line, max_lines;
  int flags;          /* SC_STRICT or 0 */
  int failed;         /* an error was returned: the reader's field err holds it */
  size_t cap;         /* bytes the data can hold */
  size_t len;         /* bytes held */
  size_t scanned;     /* data[0, scanned) is whole lines: the open line follows */
  lua_Integer nlines; /* whole lines held */
  int text;           /* one of them has text (an empty line then ends the reply) */
} sc_held;

#define SC_HELD_DATA(h) ((char *)((h) + 1))

/* Upvalues of the reader functions: those of the scanner (1 to U_MT), then
 * the Reader metatable, the metatable of states, the field names err and
 * state, and the empty list that feed returns when it completes nothing. */
enum {
  U_READER = U_MT + 1, U_STATEMT, U_KERR, U_KSTATE, U_EMPTY, U_RCOUNT = U_EMPTY
};

/* Checks that argument 1 is a Reader. */
static void sc_checkreader(lua_State *L) {
  int ok = lua_getmetatable(L, 1) && lua_rawequal(L, -1, lua_upvalueindex(U_READER));
  if (!ok) sc_typeerror(L, 1, "smtpcodes.Reader");
  lua_pop(L, 1);
}

/* A new state with room for cap bytes, pushed. */
static sc_held *sc_newstate(lua_State *L, size_t cap) {
  sc_held *h = (sc_held *)lua_newuserdata(L, sizeof(sc_held) + cap);
  memset(h, 0, sizeof *h);
  h->cap = cap;
  h->max_line = SC_MAX_LINE;
  h->max_lines = SC_MAX_LINES;
  lua_pushvalue(L, lua_upvalueindex(U_STATEMT));
  lua_setmetatable(L, -2);
  return h;
}

/* The state of the reader at index 1; made anew (with the default options)
 * when its field holds none. */
static sc_held *sc_state(lua_State *L) {
  sc_held *h;
  lua_pushvalue(L, lua_upvalueindex(U_KSTATE));
  lua_rawget(L, 1);
  /* a full userdata of exactly a state's size is one (only C makes those) */
  h = lua_type(L, -1) == LUA_TUSERDATA ? (sc_held *)lua_touserdata(L, -1) : NULL;
  if (h != NULL && (size_t)sc_rawlen(L, -1) >= sizeof(sc_held) &&
      (size_t)sc_rawlen(L, -1) == sizeof(sc_held) + h->cap) {
    lua_pop(L, 1);
    return h;
  }
  lua_pop(L, 1);
  lua_pushvalue(L, lua_upvalueindex(U_KSTATE));
  h = sc_newstate(L, 256);
  lua_rawset(L, 1);
  return h;
}

/* The state h, with room for `need` bytes: a new, larger one when it has
 * not, stored in the reader at index 1. */
static sc_held *sc_room(lua_State *L, sc_held *h, size_t need) {
  sc_held *g;
  size_t cap;
  if (h->cap >= need) return h;
  /* by four: a long reply is copied into few new states (each one a large
   * allocation, whose pages are all touched again) */
  cap = h->cap * 4 > need ? h->cap * 4 : need;
  lua_pushvalue(L, lua_upvalueindex(U_KSTATE));
  g = sc_newstate(L, cap);
  memcpy(g, h, sizeof *g);
  g->cap = cap;
  memcpy(SC_HELD_DATA(g), SC_HELD_DATA(h), h->len);
  lua_rawset(L, 1);
  return g;
}

static void sc_clear(sc_held *h) {
  h->len = h->scanned = 0;
  h->nlines = 0;
  h->text = 0;
}

/* Learns the whole lines of data[scanned, len): counted, and whether one
 * has text (they are inner lines: the scan has seen no end of reply). */
static void sc_learn(sc_held *h) {
  const char *d = SC_HELD_DATA(h);
  for (;;) {
    const char *nl = memchr(d + h->scanned, '\n', h->len - h->scanned);
    size_t ll;
    if (nl == NULL) break;
    ll = (size_t)(nl - (d + h->scanned));
    if (ll > 0 && nl[-1] == '\r') ll--;
    if (ll > 0) h->text = 1;
    h->nlines++;
    h->scanned = (size_t)(nl - d) + 1;
  }
}

/* The error on top: kept in the reader's field err until reset; returns
 * nil, err and the list at index list. */
static int sc_rfail(lua_State *L, sc_held *h, int list) {
  sc_clear(h);
  h->failed = 1;
  lua_pushvalue(L, lua_upvalueindex(U_KERR));
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
  lua_pushnil(L);
  lua_insert(L, -2);
  lua_pushvalue(L, list);
  return 3;
}

/* The list at *list, made on first use. */
#define sc_list(L, list) \
  do { \
    if (*(list) == 0) { \
      lua_newtable(L); \
      *(list) = lua_gettop(L); \
    } \
  } while (0)

/* reader:feed(chunk) --> replies | nil, err, replies
 * The Reader's feed method itself (see smtpcodes.reply). */
static int l_rfeed(lua_State *L) {
  size_t clen, cpos = 0, pos, open;
  const char *chunk;
  int n = 0, list = 0;
  sc_held *h;
  sc_checkreader(L);
  if (lua_type(L, 2) != LUA_TSTRING) return sc_typeerror(L, 2, "string");
  chunk = lua_tolstring(L, 2, &clen);
  lua_settop(L, 2);
  h = sc_state(L);
  if (h->failed) {
    lua_pushnil(L);
    lua_pushvalue(L, lua_upvalueindex(U_KERR));
    lua_rawget(L, 1);
    lua_newtable(L);
    return 3;
  }

  /* The open reply goes on: line by line, each line copied to the held
   * bytes and checked, until the reply is complete. */
  while (h->len > 0 && cpos < clen) {
    const char *lp = chunk + cpos;
    const char *nl = memchr(lp, '\n', clen - cpos);
    size_t add = nl != NULL ? (size_t)(nl - lp) + 1 : clen - cpos;
    size_t have = h->len - h->scanned, ll;
    const char *line;
    int done;
    if (nl == NULL) { /* only more of the open line */
      size_t total = have + add;
      if (chunk[clen - 1] == '\r') total--;
      if (total > (size_t)h->max_line) {
        sc_list(L, &list);
        sc_fail(L, (int)h->nlines + 1, sc_toolong(L, h->max_line), NULL, 0);
        return sc_rfail(L, h, list);
      }
    } else {
      ll = have + (size_t)(nl - lp);
      if (ll > 0 && (nl > lp ? nl[-1] : SC_HELD_DATA(h)[h->len - 1]) == '\r') ll--;
      if (ll > (size_t)h->max_line || h->nlines + 1 > h->max_lines) {
        sc_list(L, &list);
        sc_fail(L, (int)h->nlines + 1, ll > (size_t)h->max_line ? sc_toolong(L, h->max_line)
                : sc_toomany(L, h->max_lines), NULL, 0);
        return sc_rfail(L, h, list);
      }
    }
    h = sc_room(L, h, h->len + add);
    memcpy(SC_HELD_DATA(h) + h->len, lp, add);
    h->len += add;
    cpos += add;
    if (nl == NULL) break;
    /* the line just completed: data[scanned, len) */
    line = SC_HELD_DATA(h) + h->scanned;
    ll = h->len - h->scanned - 1;
    if (ll > 0 && line[ll - 1] == '\r') ll--;
    h->scanned = h->len;
    h->nlines++;
    /* the reply ends with a line that is not "xyz-...", and the scan is due
     * at a line it will refuse: an empty line after text, a bad code */
    if (ll == 0)
      done = h->text;
    else
      done = ll < 4 || line[3] != '-' || !sc_goodcode(line);
    if (ll > 0) h->text = 1;
    if (done) {
      sc_list(L, &list);
      pos = 0;
      if (sc_scan(L, SC_HELD_DATA(h), h->len, &pos, h->flags, h->max_line, h->max_lines, &open) !=
          SC_REPLY)
        return sc_rfail(L, h, list);
      lua_rawseti(L, list, ++n);
      sc_clear(h);
    }
  }

  /* Nothing held: the rest of the chunk is scanned where it is, and the
   * start of a reply it ends with is kept (within bounds: the scan checks). */
  if (cpos < clen) {
    const char *rest = chunk + cpos;
    size_t rlen = clen - cpos;
    sc_list(L, &list);
    if (sc_stream(L, rest, rlen, h->flags, h->max_line, h->max_lines, list, &n, &pos, &open) ==
        SC_ERROR)
      return sc_rfail(L, h, list);
    if (pos < rlen) {
      h = sc_room(L, h, rlen - pos);
      memcpy(SC_HELD_DATA(h), rest + pos, rlen - pos);
      h->len = rlen - pos;
      sc_learn(h);
    }
  }
  if (n == 0) {
    lua_pushvalue(L, lua_upvalueindex(U_EMPTY));
    return 1;
  }
  lua_settop(L, list);
  return 1;
}

/* reader:finish() --> reply | nil | nil, err */
static int l_rfinish(lua_State *L) {
  sc_held *h;
  size_t pos = 0, open = 0;
  sc_checkreader(L);
  lua_settop(L, 1);
  h = sc_state(L);
  if (h->failed) {
    lua_pushnil(L);
    lua_pushvalue(L, lua_upvalueindex(U_KERR));
    lua_rawget(L, 1);
    return 2;
  }
  if (sc_only_line_ends(SC_HELD_DATA(h), 0, h->len)) {
    sc_clear(h);
    lua_pushnil(L);
    return 1;
  }
  lua_newtable(L); /* 2: for sc_rfail */
  if (sc_scan(L, SC_HELD_DATA(h), h->len, &pos, h->flags | SC_EOF | SC_WHOLE, h->max_line,
              h->max_lines, &open) != SC_REPLY) {
    sc_rfail(L, h, 2);
    lua_pop(L, 1); /* nil, err */
    return 2;
  }
  sc_clear(h);
  return 1;
}

/* reader:buffered() --> bytes held */
static int l_rbuffered(lua_State *L) {
  sc_checkreader(L);
  lua_pushinteger(L, (lua_Integer)sc_state(L)->len);
  return 1;
}

/* reader:reset() --> reader, with nothing held and no error */
static int l_rreset(lua_State *L) {
  sc_held *h;
  sc_checkreader(L);
  lua_settop(L, 1);
  h = sc_state(L);
  sc_clear(h);
  h->failed = 0;
  lua_pushvalue(L, lua_upvalueindex(U_KERR));
  lua_pushnil(L);
  lua_rawset(L, 1);
  return 1;
}

/* state(flags, max_line, max_lines) --> a new state for a Reader's field
 * state, with these options (read once, when the reader is made). */
static int l_rstate(lua_State *L) {
  int flags = (int)sc_checkinteger(L, 1) & SC_STRICT;
  lua_Integer max_line = sc_checkinteger(L, 2), max_lines = sc_checkinteger(L, 3);
  sc_held *h;
  luaL_argcheck(L, max_line > 0 && max_lines > 0, 2, "bounds must be positive");
  h = sc_newstate(L, 256);
  h->flags = flags;
  h->max_line = max_line;
  h->max_lines = max_lines;
  return 1;
}

/* Pushes the upvalues of the scanning functions for the reply metatable at
 * mt and the class and category names at classes and categories. */
static void sc_push_scan_upvalues(lua_State *L, int mt, int classes, int categories) {
  int i;
  luaL_checkstack(L, U_RCOUNT, NULL);
  for (i = 0; i < U_WARNINGS; i++) lua_pushstring(L, sc_fields[i]);
  for (i = 1; i <= 5; i++) lua_rawgeti(L, classes, i);
  for (i = 0; i <= 5; i++) lua_rawgeti(L, categories, i);
  lua_pushvalue(L, mt);
}

static void sc_check_names(lua_State *L, int classes, int categories) {
  int i;
  luaL_checktype(L, classes, LUA_TTABLE);
  luaL_checktype(L, categories, LUA_TTABLE);
  for (i = 1; i <= 5; i++) {
    lua_rawgeti(L, classes, i);
    luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, classes, "five class names expected");
    lua_pop(L, 1);
  }
  for (i = 0; i <= 5; i++) {
    lua_rawgeti(L, categories, i);
    luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, categories, "six category names expected");
    lua_pop(L, 1);
  }
}

/* core.scanner(mt, classes, categories) --> parse, scan, scan_all
 * The three scanning functions, making replies with the metatable mt and
 * the class names classes[1..5] and category names categories[0..5]. */
static int l_scanner(lua_State *L) {
  static const lua_CFunction fns[] = {l_parse, l_scan, l_scan_all};
  int f;
  luaL_checktype(L, 1, LUA_TTABLE);
  sc_check_names(L, 2, 3);
  lua_settop(L, 3);
  for (f = 0; f < 3; f++) {
    sc_push_scan_upvalues(L, 1, 2, 3);
    lua_pushcclosure(L, fns[f], U_COUNT);
  }
  return 3;
}

/* core.reader(reader_mt, reply_mt, classes, categories)
 *   --> feed, finish, buffered, reset, state
 * The methods of a Reader, a table whose metatable is reader_mt, and the
 * maker of its field state: state(flags, max_line, max_lines). The methods
 * keep the error they returned in its field err until reset. When feed
 * completes no reply it returns one shared empty list (reader_mt.EMPTY, if
 * set, else a new table given here), which callers must not modify. */
static int l_reader(lua_State *L) {
  static const lua_CFunction fns[] = {l_rfeed, l_rfinish, l_rbuffered, l_rreset, l_rstate};
  int f;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TTABLE);
  sc_check_names(L, 3, 4);
  lua_settop(L, 4);
  lua_newtable(L); /* 5: the metatable of states */
  lua_pushliteral(L, "smtpcodes.ReaderState");
  lua_setfield(L, 5, "__name");
  lua_getfield(L, 1, "EMPTY"); /* 6: the shared empty list */
  if (!lua_istable(L, 6)) {
    lua_pop(L, 1);
    lua_newtable(L);
  }
  for (f = 0; f < 5; f++) {
    sc_push_scan_upvalues(L, 2, 3, 4);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 5);
    lua_pushliteral(L, "err");
    lua_pushliteral(L, "state");
    lua_pushvalue(L, 6);
    lua_pushcclosure(L, fns[f], U_RCOUNT);
  }
  return 5;
}

/* ------------------------------------------------------------------- open */

static const luaL_Reg sc_funcs[] = {
  {"reply", l_reply},
  {"codes", l_codes},
  {"status", l_status},
  {"statuses", l_statuses},
  {"class", l_class},
  {"subject", l_subject},
  {"command", l_command},
  {"commands", l_commands},
  {"profiles", l_profiles},
  {"reasons", l_reasons},
  {"rules", l_rules},
  {"phrases", l_phrases},
  {"scanner", l_scanner},
  {"reader", l_reader},
  {NULL, NULL}
};

SMTPCODES_API int luaopen_smtpcodes_core(lua_State *L);
/* Called by Lua's require, never from C: */
/* cppcheck-suppress unusedFunction */
SMTPCODES_API int luaopen_smtpcodes_core(lua_State *L) {
  sc_newlib(L, sc_funcs);
  lua_pushinteger(L, SC_STRICT);
  lua_setfield(L, -2, "STRICT");
  lua_pushinteger(L, SC_EOF);
  lua_setfield(L, -2, "EOF");
  lua_pushinteger(L, SC_WHOLE);
  lua_setfield(L, -2, "WHOLE");
  lua_pushinteger(L, SC_MAX_LINE);
  lua_setfield(L, -2, "MAX_LINE");
  lua_pushinteger(L, SC_MAX_LINES);
  lua_setfield(L, -2, "MAX_LINES");
  lua_pushliteral(L, SMTPCODES_VERSION);
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
