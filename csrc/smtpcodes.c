/*
 * smtpcodes.core: the C core of smtpcodes.
 *
 * Holds the static tables generated from data/ (basic reply codes, enhanced
 * status codes, per-command reply tables) with their lookups, and the reply
 * scanner that turns wire bytes into reply tables. The Lua layer in
 * lua/smtpcodes/ builds the public API on top; users never call this module
 * directly.
 *
 * No heap memory is allocated here but what Lua owns (strings, tables,
 * luaL_Buffer, and the full userdata that holds a reader's state), and
 * luaopen_smtpcodes_core is the only exported symbol.
 */
#include <stdint.h>
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

/* For the functions of the scanner's inner loop. */
#if defined(__GNUC__)
#define SC_HOT static inline __attribute__((always_inline))
#else
#define SC_HOT static inline
#endif

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

/* One machine reads replies line by line: sc_line takes one line into an
 * sc_acc, the state of the reply so far, and sc_make makes the reply when
 * its final line has come. parse drives it over a whole text; a reader
 * drives it over a stream, line by line as they complete, and holds between
 * chunks only the sc_acc, the text of the lines taken and the open line. */

/* The flag of a strict scan (core.STRICT): every deviation is an error,
 * not a warning. */
#define SC_STRICT 1

#define SC_RFC_LINE 512 /* RFC 5321 4.5.3.1.5: reply line with its CRLF */
#define SC_QUOTE_MAX 48 /* bytes of server text quoted in an error */
#define SC_ENH_MAX 9    /* "5.999.999": the longest enhanced code */

/* How a line ended. */
enum { SC_CRLF, SC_LFONLY, SC_NOEOL };

/* What sc_line made of a line. */
enum {
  SC_INNER, /* a line of the reply; more follow */
  SC_FINAL, /* the reply's final line */
  SC_SKIP,  /* an empty line before the reply */
  SC_FAIL   /* malformed: the message is pushed */
};

/* Deviations forgiven in lenient mode, in the order they are reported. */
enum {
  W_EMPTY, W_LF, W_NOEOL, W_LONG, W_BARE, W_CODES, W_ECLASS, W_EPARTIAL, W_EDIFF, W_DIGIT,
  W_AFTER, W_COUNT
};

static const char *const sc_warnings[W_COUNT] = {
  "empty line outside a reply",
  "line ends in LF without CR",
  "the final line has no line end",
  "longer than 512 octets with its line end (RFC 5321 4.5.3.1.5)",
  "code without separator before the final line",
  "reply code differs from line 1 (the final line's code is used)",
  "enhanced code's class disagrees with the reply code (not taken as enhanced)",
  "enhanced code missing on this line but present on others",
  "enhanced code differs from an earlier line's",
  "second digit of the reply code is not 0-5 (RFC 5321 4.2)",
  "a line after the final line repeats its code (kept in the reply)"
};

/* What the scan has learnt of the reply so far. */
typedef struct sc_acc {
  lua_Integer max_line;        /* the bounds: octets in a line, without its end */
  lua_Integer max_lines;       /* lines in a reply, empty ones included */
  const char *text;            /* the text of the line last taken */
  size_t tn;                   /* and its length */
  lua_Integer lineno;          /* lines taken, empty ones included */
  lua_Integer nlines;          /* lines with a code */
  lua_Integer enh_lines;       /* lines with an enhanced code */
  lua_Integer missing_line;    /* the first line without one */
  lua_Integer wline[W_COUNT];  /* the first line of each deviation seen */
  unsigned seen;               /* bit w: deviation w was seen */
  int first_code, code;
  uint32_t head;               /* for sc_line_again, set by parse: the */
  size_t again_max;            /* first code's three bytes (sc_mask3) and
                                  the longest line within every bound */
  size_t enhn, last_enhn;      /* lengths of the two codes below; 0: none */
  unsigned long enh_key;       /* the first code's key (sc_enhanced_len) */
  char enh[SC_ENH_MAX];        /* the first enhanced code */
  char last_enh[SC_ENH_MAX];   /* the final line's */
} sc_acc;

/* Readies a for a new reply (its bounds stay). */
static void sc_acc_init(sc_acc *a) {
  a->lineno = a->nlines = a->enh_lines = a->missing_line = 0;
  a->seen = 0;
  a->first_code = a->code = -1;
  a->enhn = a->last_enhn = 0;
}

/* Notes deviation w at line n, unless it was seen before. */
static void sc_warn(sc_acc *a, int w, lua_Integer n) {
  if (!(a->seen & (1u << w))) {
    a->seen |= 1u << w;
    a->wline[w] = n;
  }
}

/* Length of an enhanced status code (RFC 3463 2: class "." subject "."
 * detail, 1-3 digits each, no leading zeros) at the start of t, followed by a
 * space or by the end of t; 0 when there is none. *key is then a number that
 * only this code has (its three numbers in one). */
static size_t sc_enhanced_len(const char *t, size_t n, unsigned long *key) {
  size_t i = 2;
  int part;
  unsigned long k;
  if (n < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.') return 0;
  k = (unsigned long)(t[0] - '0');
  /* the common form, one digit each: "5.1.1" */
  if (SC_ISDIGIT(t[2]) && t[3] == '.' && SC_ISDIGIT(t[4]) && (n == 5 || t[5] == ' ')) {
    *key = (k * 1000 + (unsigned long)(t[2] - '0')) * 1000 + (unsigned long)(t[4] - '0');
    return 5;
  }
  for (part = 0; part < 2; part++) {
    size_t start = i;
    unsigned long v = 0;
    while (i < n && i - start < 4 && SC_ISDIGIT(t[i])) v = v * 10 + (unsigned long)(t[i++] - '0');
    if (i == start || i - start > 3 || (i - start > 1 && t[start] == '0')) return 0;
    k = k * 1000 + v;
    if (part == 0) {
      if (i >= n || t[i] != '.') return 0;
      i++;
    }
  }
  if (i < n && t[i] != ' ') return 0;
  *key = k;
  return i;
}

/* Pushes "line N: " and what (just what when N is 0). */
static void sc_pushat(lua_State *L, lua_Integer lineno, const char *what) {
  if (lineno <= 0) {
    lua_pushstring(L, what);
  } else {
    sc_pushint(L, lineno);
    lua_pushfstring(L, "line %s: %s", lua_tostring(L, -1), what);
    lua_remove(L, -2);
  }
}

/* Pushes "line N: what"; returns SC_FAIL. */
static int sc_fail(lua_State *L, lua_Integer lineno, const char *what) {
  sc_pushat(L, lineno, what);
  return SC_FAIL;
}

/* Pushes "line N: what: 'quoted text'", the text being the first bytes of
 * q[0, qn), escaped so that no control character reaches a log or a
 * terminal; returns SC_FAIL. */
static int sc_failq(lua_State *L, lua_Integer lineno, const char *what, const char *q,
                    size_t qn) {
  luaL_Buffer b;
  size_t i;
  luaL_buffinit(L, &b);
  sc_pushat(L, lineno, what);
  luaL_addvalue(&b);
  luaL_addstring(&b, ": '");
  for (i = 0; i < qn && i < SC_QUOTE_MAX; i++) {
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
  if (i < qn) luaL_addstring(&b, "...");
  luaL_addchar(&b, '\'');
  luaL_pushresult(&b);
  return SC_FAIL;
}

/* The length of an unterminated line p[0, n) as the bounds count it: a CR
 * at its end may be the start of its line end, which never counts. */
static size_t sc_openlen(const char *p, size_t n) {
  return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

/* True when only empty lines (CR and LF bytes) are left in s[pos, len). */
static int sc_only_line_ends(const char *s, size_t pos, size_t len) {
  for (; pos < len; pos++)
    if (s[pos] != '\r' && s[pos] != '\n') return 0;
  return 1;
}

/* The line just counted by sc_count, when it is not a CRLF line within the
 * bounds: its line end is noted, or the bound it crosses is reported. */
static int sc_count_more(lua_State *L, sc_acc *a, size_t ll, int eol) {
  lua_Integer lineno = a->lineno, max_line = a->max_line, max_lines = a->max_lines;
  if (eol == SC_LFONLY)
    sc_warn(a, W_LF, lineno);
  else if (eol == SC_NOEOL)
    sc_warn(a, W_NOEOL, lineno); /* "250 ok\r" has the text of "250 ok\r\n" */
  if (ll > (size_t)max_line) {
    sc_pushint(L, max_line);
    sc_pushat(L, lineno, lua_pushfstring(L, "line longer than %s octets (max_line)",
                                         lua_tostring(L, -1)));
    return SC_FAIL;
  }
  if (lineno > max_lines) {
    sc_pushint(L, max_lines);
    sc_pushat(L, lineno, lua_pushfstring(L, "more than %s lines in one reply (max_lines)",
                                         lua_tostring(L, -1)));
    return SC_FAIL;
  }
  return SC_SKIP;
}

/* Counts the next line, of ll octets (its line end not counted) ending as
 * eol says, against the bounds: SC_FAIL (message pushed) when it crosses
 * one. Every line counts, empty ones too. */
static inline int sc_count(lua_State *L, sc_acc *a, size_t ll, int eol) {
  if (++a->lineno <= a->max_lines && ll <= (size_t)a->max_line && eol == SC_CRLF) return SC_SKIP;
  return sc_count_more(L, a, ll, eol);
}

/* The mask that keeps the first three bytes of a word that memcpy loaded
 * from four, on any byte order. (The word is loaded, not assembled from
 * bytes, so that a load never waits for narrower stores to the same place.) */
SC_HOT uint32_t sc_mask3(void) {
  static const unsigned char bytes[4] = {0xff, 0xff, 0xff, 0};
  uint32_t m;
  memcpy(&m, bytes, 4);
  return m;
}

/* Sets a line's text in a: text[0, tn) without its enhanced code of en
 * octets, the blanks after that code and the blanks at its end. */
SC_HOT void sc_settext(sc_acc *a, const char *text, size_t tn, size_t en) {
  if (en > 0) {
    text += en;
    tn -= en;
    while (tn > 0 && *text == ' ') {
      text++;
      tn--;
    }
  }
  while (tn > 0 && (text[tn - 1] == ' ' || text[tn - 1] == '\t')) tn--;
  a->text = text;
  a->tn = tn;
}

/* Takes the line lp[0, ll) (its line end left off) into a: SC_INNER or
 * SC_FINAL with its text (enhanced code and trailing blanks taken off) in
 * a->text, a->tn; SC_SKIP for an empty line before the reply; SC_FAIL. */
SC_HOT int sc_line(lua_State *L, sc_acc *a, const char *lp, size_t ll, int eol) {
  const char *text;
  size_t tn, en;
  unsigned long key = 0;
  int c, bare, final;
  lua_Integer lineno;
  if (sc_count(L, a, ll, eol) == SC_FAIL) return SC_FAIL;
  lineno = a->lineno;
  if (ll == 0) {
    if (a->nlines > 0) return sc_fail(L, lineno, "empty line inside a multi-line reply");
    sc_warn(a, W_EMPTY, lineno);
    return SC_SKIP;
  }
  if (ll + 2 > SC_RFC_LINE) sc_warn(a, W_LONG, lineno);

  /* the code: exactly three digits, RFC 5321 4.2 grammar; the common
   * "xyz text" and "xyz-text" first, then the rest with its errors */
  bare = 0;
  if (ll < 4 || (unsigned char)(lp[0] - '1') >= 5 || !SC_ISDIGIT(lp[1]) || !SC_ISDIGIT(lp[2]) ||
      (lp[3] != ' ' && lp[3] != '-')) {
    if (!SC_ISDIGIT(lp[0])) return sc_failq(L, lineno, "no reply code", lp, ll);
    if (ll < 3 || !SC_ISDIGIT(lp[1]) || !SC_ISDIGIT(lp[2]) || (ll > 3 && SC_ISDIGIT(lp[3])))
      return sc_failq(L, lineno, "reply code is not three digits", lp, ll);
    if (lp[0] == '0' || lp[0] > '5')
      return sc_failq(L, lineno, "reply code out of range (first digit 1-5)", lp, ll);
    bare = ll == 3;
    if (!bare) return sc_failq(L, lineno, "bad separator after the reply code", lp, ll);
  }
  /* some sites answer 571: taken by its first digit, with a warning */
  if (lp[1] > '5') sc_warn(a, W_DIGIT, lineno);
  c = (lp[0] - '0') * 100 + (lp[1] - '0') * 10 + (lp[2] - '0');
  final = bare || lp[3] == ' ';
  a->nlines++;
  if (a->first_code < 0)
    a->first_code = c;
  else if (c != a->first_code)
    sc_warn(a, W_CODES, lineno);
  a->code = c;

  /* the text, with its enhanced code (RFC 2034 4) taken off */
  text = bare ? lp + 3 : lp + 4;
  tn = bare ? 0 : ll - 4;
  en = sc_enhanced_len(text, tn, &key);
  if (en > 0 && text[0] != lp[0]) {
    sc_warn(a, W_ECLASS, lineno);
    en = 0;
  }
  if (en > 0) {
    if (a->enhn == 0) {
      memcpy(a->enh, text, en);
      a->enhn = en;
      a->enh_key = key;
    } else if (key != a->enh_key) {
      sc_warn(a, W_EDIFF, lineno);
    }
    if (final) {
      memcpy(a->last_enh, text, en);
      a->last_enhn = en;
    }
    a->enh_lines++;
  } else if (a->missing_line == 0) {
    a->missing_line = lineno;
  }
  sc_settext(a, text, tn, en);
  return final ? SC_FINAL : SC_INNER;
}

/* sc_line for the common later line of a multi-line reply: a CRLF line
 * within every bound, "xyz-text" or "xyz text" with the first line's code
 * and the enhanced code taken so far (or none, as so far), where no
 * deviation can be seen. Returns SC_INNER or SC_FINAL as sc_line does, or
 * SC_SKIP, having changed nothing, when the line is not of that kind. */
SC_HOT int sc_line_again(sc_acc *a, const char *lp, size_t ll) {
  const char *text = lp + 4;
  size_t tn, en = a->enhn;
  uint32_t head;
  int final;
  if (a->nlines == 0 || a->lineno >= a->max_lines || ll < 4 + en || ll > a->again_max)
    return SC_SKIP;
  memcpy(&head, lp, 4);
  if ((head & sc_mask3()) != a->head || (lp[3] != ' ' && lp[3] != '-')) return SC_SKIP;
  tn = ll - 4;
  if (en > 0) { /* "x.y.z", the common length, is compared inline */
    if ((en == 5 ? memcmp(text, a->enh, 5) : memcmp(text, a->enh, en)) != 0 ||
        a->enh[0] != lp[0] || (tn > en && text[en] != ' '))
      return SC_SKIP;
  } else if (tn > 1 && text[1] == '.') {
    return SC_SKIP; /* perhaps an enhanced code, the first one */
  }
  final = lp[3] == ' ';
  a->lineno++;
  a->nlines++;
  a->code = a->first_code;
  if (en > 0) {
    if (final) {
      memcpy(a->last_enh, a->enh, SC_ENH_MAX);
      a->last_enhn = en;
    }
    a->enh_lines++;
  }
  sc_settext(a, text, tn, en);
  return final ? SC_FINAL : SC_INNER;
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

/* Pushes the reply that a's lines make, with the text t[0, tn) (the lines'
 * texts joined by "\n"; when t is NULL, the string on top of the stack,
 * which the reply then replaces): SC_FINAL. In strict mode a reply with a
 * deviation is refused instead: SC_FAIL, the first one's message pushed. */
static int sc_make(lua_State *L, sc_acc *a, int flags, const char *t, size_t tn) {
  const char *enh = NULL;
  size_t enhn = 0;
  int code = a->code, nwarn = 0, firstw = -1, i;
  int cls = code / 100, cat = code / 10 % 10; /* first and second digits */

  /* The enhanced code: the final line's, else the first one seen. */
  if (a->last_enhn > 0) {
    enh = a->last_enh;
    enhn = a->last_enhn;
  } else if (a->enhn > 0) {
    enh = a->enh;
    enhn = a->enhn;
  }
  if (enh != NULL) {
    if (a->enh_lines < a->nlines) sc_warn(a, W_EPARTIAL, a->missing_line);
    if (enh[0] - '0' != cls) {
      sc_warn(a, W_ECLASS, a->lineno);
      enh = NULL;
    }
  }

  /* warnings: errors in strict mode */
  for (i = 0; a->seen != 0 && i < W_COUNT; i++) {
    if (a->seen & (1u << i)) {
      nwarn++;
      if (firstw < 0 || a->wline[i] < a->wline[firstw]) firstw = i;
    }
  }
  if (nwarn > 0 && (flags & SC_STRICT)) {
    if (t == NULL) lua_pop(L, 1);
    sc_pushat(L, a->wline[firstw], sc_warnings[firstw]);
    return SC_FAIL;
  }

  /* the reply, its hash part sized for its fields: code, text, class,
   * category (none for 571), enhanced and warnings when there are some */
  lua_createtable(L, 0, 3 + (cat <= 5) + (enh != NULL) + (nwarn > 0));
  sc_pushkey(L, U_CODE);
  lua_pushinteger(L, code);
  lua_rawset(L, -3);
  sc_pushkey(L, U_TEXT);
  if (t != NULL)
    lua_pushlstring(L, t, tn);
  else
    lua_pushvalue(L, -3);
  lua_rawset(L, -3);
  sc_pushkey(L, U_CLASS);
  sc_pushkey(L, U_CLASSES + cls - 1);
  lua_rawset(L, -3);
  if (cat <= 5) { /* none for 571 */
    sc_pushkey(L, U_CATEGORY);
    sc_pushkey(L, U_CATEGORIES + cat);
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
      if (a->seen & (1u << i)) {
        sc_pushat(L, a->wline[i], sc_warnings[i]);
        lua_rawseti(L, -2, ++n);
      }
    }
    lua_rawset(L, -3);
  }
  lua_pushvalue(L, lua_upvalueindex(U_MT));
  lua_setmetatable(L, -2);
  if (t == NULL) lua_replace(L, -2);
  return SC_FINAL;
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

/* A text of up to this many octets is joined on the C stack; a longer one
 * in a luaL_Buffer. */
#define SC_SMALL 512

/* The one reply of s[0, len): pushes it (SC_FINAL) or a message (SC_FAIL).
 * Lines of the same code after the final line are kept: after a bare code
 * they show that it was meant as an inner line; after "xyz text", they are
 * the separate final lines that some servers (old Exchange in its EHLO
 * reply) send for one reply. A later line like the first one is taken by
 * sc_line_again, any other by sc_line; a reader takes every line by
 * sc_line, so that fuzz_parse, which compares the two, checks one path
 * against the other. */
static int sc_parse(lua_State *L, const char *s, size_t len, int flags, lua_Integer max_line,
                    lua_Integer max_lines) {
  sc_acc a;
  size_t at = 0;
  /* The text: a reply of one line, the most common, makes it from the line
   * itself; more lines are joined in small, or in b when s is long. */
  const char *first = s;
  size_t firstn = 0, sn = 0;
  char small[SC_SMALL];
  luaL_Buffer b;
  int joined = 0;
  a.max_line = max_line;
  a.max_lines = max_lines;
  a.again_max = (size_t)max_line < SC_RFC_LINE - 2 ? (size_t)max_line : SC_RFC_LINE - 2;
  sc_acc_init(&a);
  for (;;) {
    const char *lp = s + at, *nl, *t;
    size_t rest = len - at, ll, adv, tn;
    int eol, st;
    nl = (const char *)memchr(lp, '\n', rest);
    if (nl == NULL) {
      if (rest == 0 && a.nlines == 0)
        return sc_fail(L, 0, "incomplete reply: no reply line");
      if (rest == 0)
        return sc_fail(L, a.lineno, "incomplete reply: no final line after this one");
      adv = rest;
      ll = sc_openlen(lp, rest);
      eol = SC_NOEOL;
    } else {
      ll = (size_t)(nl - lp);
      adv = ll + 1;
      eol = SC_LFONLY;
      if (ll > 0 && lp[ll - 1] == '\r') {
        ll--;
        eol = SC_CRLF;
      }
    }
    st = eol == SC_CRLF ? sc_line_again(&a, lp, ll) : SC_SKIP;
    if (st == SC_SKIP) st = sc_line(L, &a, lp, ll, eol);
    if (st == SC_FAIL) return SC_FAIL;
    at += adv;
    if (st == SC_SKIP) continue;
    t = a.text;
    tn = a.tn;
    if (a.nlines == 1) { /* the first line: what sc_line_again compares */
      uint32_t head = 0;
      if (ll >= 4)
        memcpy(&head, lp, 4);
      else
        memcpy(&head, lp, 3);
      a.head = head & sc_mask3();
      first = t;
      firstn = tn;
    } else if (len <= SC_SMALL) { /* the text is shorter than s */
      if (!joined) {
        joined = 1;
        memcpy(small, first, firstn);
        sn = firstn;
      }
      small[sn++] = '\n';
      memcpy(small + sn, t, tn);
      sn += tn;
    } else {
      if (!joined) {
        joined = 1;
        luaL_buffinit(L, &b);
        luaL_addlstring(&b, first, firstn);
      }
      luaL_addchar(&b, '\n');
      luaL_addlstring(&b, t, tn);
    }
    if (st == SC_FINAL) {
      const char *nx = s + at;
      if (sc_only_line_ends(s, at, len)) break;
      if (ll == 3)
        while (*nx == '\r' || *nx == '\n') nx++;
      if ((size_t)(nx - s) + 3 <= len && memcmp(nx, lp, 3) == 0 &&
          ((size_t)(nx - s) + 3 == len || !SC_ISDIGIT(nx[3]))) {
        if (ll == 3)
          sc_warn(&a, W_BARE, a.lineno);
        else
          sc_warn(&a, W_AFTER, a.lineno + 1);
        continue;
      }
      return sc_failq(L, a.lineno + 1, "more text after the final line", s + at, len - at);
    }
  }
  if (at < len) sc_warn(&a, W_EMPTY, a.lineno + 1);
  if (!joined) return sc_make(L, &a, flags, first, firstn);
  if (len <= SC_SMALL) return sc_make(L, &a, flags, small, sn);
  luaL_pushresult(&b);
  return sc_make(L, &a, flags, NULL, 0);
}

/* parse(text [, opts]) --> reply | nil, err
 * smtpcodes.parse: one complete reply; opts.strict, opts.max_line and
 * opts.max_lines as documented in README.md. */
static int l_parse(lua_State *L) {
  size_t len;
  const char *s;
  int flags = 0;
  lua_Integer max_line = SC_MAX_LINE, max_lines = SC_MAX_LINES;
  if (lua_type(L, 1) != LUA_TSTRING) return sc_typeerror(L, 1, "string");
  s = lua_tolstring(L, 1, &len);
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "strict");
    if (lua_toboolean(L, -1)) flags |= SC_STRICT;
    lua_pop(L, 1);
    max_line = sc_bound(L, "max_line", max_line);
    max_lines = sc_bound(L, "max_lines", max_lines);
  }
  if (sc_parse(L, s, len, flags, max_line, max_lines) == SC_FINAL) return 1;
  lua_pushnil(L);
  lua_insert(L, -2);
  return 2;
}

/* ---------------------------------------------------------- the reader */

/* The state of a reader, in its field `state`: its options, and the reply
 * still open: what the scan has learnt of it, the text of its lines so far
 * and its open line. A full userdata (memory Lua owns, so that nothing
 * leaks when an error is raised) with a metatable of its own, replaced by a
 * larger one when it must grow. */
typedef struct sc_held {
  int flags;    /* SC_STRICT or 0 */
  int failed;   /* an error was returned: the reader's field err holds it */
  sc_acc acc;   /* the bounds, and the lines of the open reply taken so far */
  size_t raw;   /* bytes of the open reply taken in: buffered() */
  size_t cap;   /* bytes the data can hold */
  size_t tlen;  /* data[0, tlen): the text of those lines, joined by "\n" */
  size_t olen;  /* data[tlen, tlen + olen): the open line, as it came */
} sc_held;

#define SC_HELD_DATA(h) ((char *)((h) + 1))
#define SC_HELD_MIN 256         /* the data of a new state */
#define SC_HELD_KEEP ((size_t)64 * 1024) /* more is given back by sc_done */

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

static void sc_clear(sc_held *h) {
  sc_acc_init(&h->acc);
  h->raw = h->tlen = h->olen = 0;
}

/* A new state with room for cap bytes and the options of `like` (the
 * defaults when NULL), pushed. */
static sc_held *sc_newstate(lua_State *L, size_t cap, const sc_held *like) {
  sc_held *h = (sc_held *)lua_newuserdata(L, sizeof(sc_held) + cap);
  memset(h, 0, sizeof *h);
  sc_clear(h);
  h->cap = cap;
  h->acc.max_line = like != NULL ? like->acc.max_line : SC_MAX_LINE;
  h->acc.max_lines = like != NULL ? like->acc.max_lines : SC_MAX_LINES;
  h->flags = like != NULL ? like->flags : 0;
  lua_pushvalue(L, lua_upvalueindex(U_STATEMT));
  lua_setmetatable(L, -2);
  return h;
}

/* Stores the state on top in the reader at index 1. */
static void sc_setstate(lua_State *L) {
  lua_pushvalue(L, lua_upvalueindex(U_KSTATE));
  lua_insert(L, -2);
  lua_rawset(L, 1);
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
  h = sc_newstate(L, SC_HELD_MIN, NULL);
  sc_setstate(L);
  return h;
}

/* The most a state can need: the texts of max_lines lines of max_line
 * octets with their separators, and an open line with its CR. */
static size_t sc_most(const sc_held *h) {
  const lua_Integer quarter = (lua_Integer)(SIZE_MAX / 4);
  size_t line = (size_t)h->acc.max_line + 2, lines = (size_t)h->acc.max_lines + 1;
  if (h->acc.max_line > quarter || h->acc.max_lines > quarter || line > SIZE_MAX / lines)
    return SIZE_MAX;
  return line * lines;
}

/* The state h, with room for `need` bytes: when it has not, a larger one
 * (four times, within what the bounds can need) with the same contents,
 * stored in the reader at index 1. Pointers into h's data are then stale. */
static sc_held *sc_room(lua_State *L, sc_held *h, size_t need) {
  sc_held *g;
  size_t cap, most;
  if (h->cap >= need) return h;
  most = sc_most(h);
  cap = h->cap <= SIZE_MAX / 4 && h->cap * 4 > need ? h->cap * 4 : need;
  if (cap > most && need <= most) cap = most;
  g = sc_newstate(L, cap, h);
  *g = *h;
  g->cap = cap;
  memcpy(SC_HELD_DATA(g), SC_HELD_DATA(h), h->tlen + h->olen);
  sc_setstate(L);
  return g;
}

/* Adds p[0, n) to h's open line, in a larger state when h has no room;
 * returns the state. */
static sc_held *sc_hold(lua_State *L, sc_held *h, const char *p, size_t n) {
  h = sc_room(L, h, h->tlen + h->olen + n);
  memcpy(SC_HELD_DATA(h) + h->tlen + h->olen, p, n);
  h->olen += n;
  return h;
}

/* The state h cleared, when the open reply is done with (complete,
 * refused, or forgotten by reset): a large one, grown for a long reply, is
 * replaced by a small one with its options, stored in the reader at index
 * 1, so that its memory is given back. */
static sc_held *sc_done(lua_State *L, sc_held *h) {
  if (h->cap <= SC_HELD_KEEP) {
    sc_clear(h);
    return h;
  }
  h = sc_newstate(L, SC_HELD_MIN, h);
  sc_setstate(L);
  return h;
}

/* The error on top: kept in the reader's field err until reset; returns
 * nil, err and the list at index list (an empty one when list is 0). */
static int sc_rfail(lua_State *L, sc_held *h, int list) {
  h = sc_done(L, h);
  h->failed = 1;
  lua_pushvalue(L, lua_upvalueindex(U_KERR));
  lua_pushvalue(L, -2);
  lua_rawset(L, 1);
  lua_pushnil(L);
  lua_insert(L, -2);
  if (list != 0)
    lua_pushvalue(L, list);
  else
    lua_newtable(L);
  return 3;
}

/* Takes what sc_line gave for the open reply's line: st, and its text in
 * h->acc (in h's data when held, else in the chunk). The text is added to
 * the held text, and at the final line the reply is pushed and the state
 * done with (sc_done). Returns st, or SC_FAIL with the message pushed when
 * a strict reply is refused. */
static int sc_take(lua_State *L, sc_held **hp, int st, int held) {
  sc_held *h = *hp;
  const char *t = h->acc.text;
  size_t tn = h->acc.tn;
  h->olen = 0; /* the held line, if any, is taken: its text moves down */
  if (st == SC_FINAL && h->acc.nlines == 1) {
    st = sc_make(L, &h->acc, h->flags, t, tn); /* its text is the line's */
  } else {
    size_t sep = h->acc.nlines > 1;
    char *d;
    if (!held) {
      h = *hp = sc_room(L, h, h->tlen + sep + tn);
    }
    d = SC_HELD_DATA(h);
    if (sep) d[h->tlen] = '\n'; /* a held line's code: its text starts later */
    memmove(d + h->tlen + sep, t, tn);
    h->tlen += sep + tn;
    if (st != SC_FINAL) return st;
    st = sc_make(L, &h->acc, h->flags, d, h->tlen);
  }
  if (st == SC_FAIL) return SC_FAIL;
  *hp = sc_done(L, h);
  return SC_FINAL;
}

/* reader:feed(chunk) --> replies | nil, err, replies
 * The Reader's feed method itself (see smtpcodes.reply). Each line is
 * taken as soon as it is complete: where it is when the chunk holds it
 * whole, else from the held open line. */
static int l_rfeed(lua_State *L) {
  size_t clen, cpos = 0;
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
  while (cpos < clen) {
    const char *lp = chunk + cpos, *line = lp;
    const char *nl = (const char *)memchr(lp, '\n', clen - cpos);
    size_t add = nl != NULL ? (size_t)(nl - lp) + 1 : clen - cpos, ll;
    int eol = SC_LFONLY, st, held = h->olen > 0;
    if (nl == NULL) { /* more of the open line */
      size_t total = h->olen + add - (chunk[clen - 1] == '\r');
      if (total > (size_t)h->acc.max_line) {
        sc_count(L, &h->acc, total, SC_NOEOL);
        return sc_rfail(L, h, list);
      }
      h = sc_hold(L, h, lp, add);
      h->raw += add;
      break;
    }
    ll = h->olen + add - 1;
    if (ll > 0 && (nl > lp ? nl[-1] : SC_HELD_DATA(h)[h->tlen + h->olen - 1]) == '\r') {
      ll--;
      eol = SC_CRLF;
    }
    if (held) { /* else the line is whole in the chunk */
      if (ll > (size_t)h->acc.max_line) { /* refused before it is copied */
        sc_count(L, &h->acc, ll, eol);
        return sc_rfail(L, h, list);
      }
      h = sc_hold(L, h, lp, add);
      line = SC_HELD_DATA(h) + h->tlen;
    }
    cpos += add;
    h->raw += add;
    st = sc_line(L, &h->acc, line, ll, eol);
    if (st == SC_SKIP) {
      h->olen = 0;
      continue;
    }
    if (st != SC_FAIL) st = sc_take(L, &h, st, held);
    if (st == SC_FAIL) return sc_rfail(L, h, list);
    if (st == SC_FINAL) {
      if (list == 0) { /* the list, made on first use, under the reply */
        lua_newtable(L);
        lua_insert(L, -2);
        list = lua_gettop(L) - 1;
      }
      lua_rawseti(L, list, ++n);
    }
  }
  if (n == 0) {
    lua_pushvalue(L, lua_upvalueindex(U_EMPTY));
    return 1;
  }
  lua_settop(L, list);
  return 1;
}

/* reader:finish() --> reply | nil | nil, err
 * The open line is the last one, without its line end. */
static int l_rfinish(lua_State *L) {
  sc_held *h;
  const char *line;
  int st = SC_INNER;
  sc_checkreader(L);
  lua_settop(L, 1);
  h = sc_state(L);
  if (h->failed) {
    lua_pushnil(L);
    lua_pushvalue(L, lua_upvalueindex(U_KERR));
    lua_rawget(L, 1);
    return 2;
  }
  line = SC_HELD_DATA(h) + h->tlen;
  if (h->acc.nlines == 0 && sc_only_line_ends(line, 0, h->olen)) {
    sc_clear(h);
    lua_pushnil(L);
    return 1;
  }
  if (h->olen > 0) {
    st = sc_line(L, &h->acc, line, sc_openlen(line, h->olen), SC_NOEOL);
    if (st == SC_INNER || st == SC_FINAL) st = sc_take(L, &h, st, 1);
  }
  if (st == SC_FINAL) return 1;
  if (st != SC_FAIL)
    sc_fail(L, h->acc.lineno, "incomplete reply: no final line after this one");
  sc_rfail(L, h, 0);
  lua_pop(L, 1);
  return 2;
}

/* reader:buffered() --> bytes taken in of a reply not yet complete */
static int l_rbuffered(lua_State *L) {
  sc_checkreader(L);
  lua_pushinteger(L, (lua_Integer)sc_state(L)->raw);
  return 1;
}

/* reader:reset() --> reader, with nothing held and no error */
static int l_rreset(lua_State *L) {
  sc_held *h;
  sc_checkreader(L);
  lua_settop(L, 1);
  h = sc_done(L, sc_state(L));
  h->failed = 0;
  lua_pushvalue(L, lua_upvalueindex(U_KERR));
  lua_pushnil(L);
  lua_rawset(L, 1);
  return 1;
}

/* state(flags, max_line, max_lines) --> a new state for a Reader's field
 * state, with these options (read once, when the reader is made). */
static int l_rstate(lua_State *L) {
  sc_held like;
  like.flags = (int)sc_checkinteger(L, 1) & SC_STRICT;
  like.acc.max_line = sc_checkinteger(L, 2);
  like.acc.max_lines = sc_checkinteger(L, 3);
  luaL_argcheck(L, like.acc.max_line > 0 && like.acc.max_lines > 0, 2, "bounds must be positive");
  sc_newstate(L, SC_HELD_MIN, &like);
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

/* core.scanner(mt, classes, categories) --> parse
 * smtpcodes.parse, making replies with the metatable mt and the class
 * names classes[1..5] and category names categories[0..5]. */
static int l_scanner(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  sc_check_names(L, 2, 3);
  lua_settop(L, 3);
  sc_push_scan_upvalues(L, 1, 2, 3);
  lua_pushcclosure(L, l_parse, U_COUNT);
  return 1;
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
  lua_pushinteger(L, SC_MAX_LINE);
  lua_setfield(L, -2, "MAX_LINE");
  lua_pushinteger(L, SC_MAX_LINES);
  lua_setfield(L, -2, "MAX_LINES");
  lua_pushliteral(L, SMTPCODES_VERSION);
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
