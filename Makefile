# smtpcodes: build, test and install. Every variable can be overridden:
#   make LUA=lua5.4 LUA_INCDIR=/usr/include/lua5.4 PREFIX=/usr/local
LUA        ?= lua5.4
LUA_PC     ?= lua5.4
ifdef LUA_INCDIR
LUA_CFLAGS := -I$(LUA_INCDIR)
else
LUA_CFLAGS ?= $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null || echo -I/usr/include/lua5.4)
endif
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -std=c99 -Wall -Wextra -pedantic -Wshadow -Wwrite-strings \
              -Wmissing-prototypes -Wstrict-prototypes
LIBFLAG    ?= -shared
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib/lua/5.4
LUADIR     ?= $(PREFIX)/share/lua/5.4
BINDIR     ?= $(PREFIX)/bin
BUSTED     ?= $(LUA) $(shell command -v busted 2>/dev/null || echo /usr/bin/busted)
LUACHECK   ?= luacheck

# Debian packages each goal needs (installed by tools/deps.sh).
DEPS_BUILD := lua5.4 liblua5.4-dev pkg-config gcc make
DEPS_TEST  := $(DEPS_BUILD) lua-busted lua-check luarocks lua-socket opensmtpd swaks \
              libdb5.3 libicu72 libnsl2 libsasl2-2 libssl3 netbase

CORE  := build/smtpcodes/core.so
# Postfix, unpacked beside OpenSMTPD (the two packages conflict) for the
# integration specs; it runs from there on a loopback port.
POSTFIX := build/postfix/usr/sbin/postfix
GEN   := csrc/replies_gen.h csrc/enhanced_gen.h csrc/commands_gen.h csrc/reasons_gen.h
RUN   := LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./build/?.so;;'

all: $(CORE)

$(CORE): csrc/smtpcodes.c csrc/smtpcodes.h $(GEN)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden $(LUA_CFLAGS) -Icsrc \
	      $(LIBFLAG) -o $@ csrc/smtpcodes.c

deps-build:
	@sh tools/deps.sh $(DEPS_BUILD)

deps-test:
	@sh tools/deps.sh $(DEPS_TEST)

# The main job: the command-line tool explaining a code, an enhanced code
# and a command's reply table.
run: deps-build
	@$(MAKE) -s all
	@echo '$$ smtpcodes 550'; $(RUN) $(LUA) bin/smtpcodes 550
	@echo; echo '$$ smtpcodes 4.7.1'; $(RUN) $(LUA) bin/smtpcodes 4.7.1
	@echo; echo '$$ smtpcodes rcpt'; $(RUN) $(LUA) bin/smtpcodes rcpt

gen:
	$(LUA) tools/gentables.lua data csrc

check-gen:
	@mkdir -p build/gen
	@$(LUA) tools/gentables.lua data build/gen
	@for h in $(notdir $(GEN)); do diff -u csrc/$$h build/gen/$$h || \
	  { echo "csrc/$$h is stale: run 'make gen'" >&2; exit 1; }; done

lint:
	$(LUACHECK) -q lua bin/smtpcodes spec tools examples

$(POSTFIX):
	@mkdir -p build/postfix-deb
	@cd build/postfix-deb && { apt-get download postfix >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get download postfix; }; }
	dpkg -x build/postfix-deb/postfix_*.deb build/postfix
	@touch $@

test: deps-test
	@$(MAKE) -s all $(POSTFIX)
	@$(MAKE) -s lint
	@$(MAKE) -s check-gen
	$(BUSTED)

install: $(CORE)
	install -d $(DESTDIR)$(LIBDIR)/smtpcodes $(DESTDIR)$(LUADIR)/smtpcodes $(DESTDIR)$(BINDIR)
	install -m 0755 $(CORE) $(DESTDIR)$(LIBDIR)/smtpcodes/core.so
	install -m 0644 lua/smtpcodes/*.lua $(DESTDIR)$(LUADIR)/smtpcodes/
	install -m 0755 bin/smtpcodes $(DESTDIR)$(BINDIR)/smtpcodes

clean:
	rm -rf build smtpcodes csrc/*.o

.PHONY: all deps-build deps-test run gen check-gen lint test install clean
