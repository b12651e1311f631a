/*
 * smtpcodes.core: static SMTP reply-code tables and the reply scanner.
 * Row types shared by smtpcodes.c and the generated *_gen.h headers.
 */
#ifndef SMTPCODES_H
#define SMTPCODES_H

#if defined(_WIN32)
#define SMTPCODES_API __declspec(dllexport)
#else
#define SMTPCODES_API __attribute__((visibility("default")))
#endif

#define SMTPCODES_VERSION "0.1.0"

/* A basic reply code (data/replies.tsv). */
typedef struct sc_reply {
  int code;
  const char *text;
  const char *refs;        /* "; "-separated */
  const char *explanation;
} sc_reply;

/* An enhanced status code class or subject (data/enhanced-classes.tsv). */
typedef struct sc_eclass {
  int digit;
  const char *title;
  const char *refs;
  const char *description;
} sc_eclass;

/* A detail code X.subject.detail (data/enhanced.tsv). */
typedef struct sc_status {
  int subject;
  int detail;
  const char *title;       /* NULL where the registry gives no sample text */
  const char *basic;       /* "451,550", "4XX", "any" or "" */
  const char *refs;
  const char *description;
} sc_status;

/* One code a command may get, with the references that list it. */
typedef struct sc_ccode {
  int code;
  const char *refs;
} sc_ccode;

/* A command of a profile (data/commands.tsv). */
typedef struct sc_command {
  const char *profile;
  const char *name;
  const sc_ccode *codes;   /* sorted by code */
  int ncodes;
  int any;                 /* bit d set: every dyz code is allowed */
  const char *anyrefs;     /* references for `any`, or NULL */
} sc_command;

/* A bounce reason and whether it is hard, soft or follows the class. */
typedef struct sc_reason {
  const char *name;
  const char *kind;        /* "hard" (the address is bad) or "soft" */
  const char *description;
} sc_reason;

/* A rule that maps a reply to a bounce reason (data/reason-rules.tsv). */
typedef struct sc_rule {
  const char *match;       /* "enhanced", "basic" or "phrase" */
  const char *key;
  const char *command;     /* NULL: any command */
  const char *reason;
  int strong;
  const char *refs;
} sc_rule;

#endif
