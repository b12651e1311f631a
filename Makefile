# smtpcodes: build, test and install. Every variable can be overridden:
#   make LUA=lua5.3 LUA_INCDIR=/usr/include/lua5.3 PREFIX=/usr/local
#
# LUA names the interpreter: lua5.1, lua5.2, lua5.3, lua5.4 or luajit (or a
# path to one). The headers, the build directory and the install paths
# follow from it. Without LUA=, `make test` runs the suite under all five
# interpreters and every other goal uses lua5.4.
LUAS       := lua5.1 lua5.2 lua5.3 lua5.4 luajit
ifeq ($(filter command line environment,$(origin LUA)),)
LUA        := lua5.4
TEST_LUAS  := $(LUAS)
else
TEST_LUAS  := $(LUA)
endif
# 5.1 for LuaJIT, whose modules use the Lua 5.1 paths and ABI
LUA_VERSION ?= $(shell $(LUA) -e 'io.write((_VERSION:gsub("^Lua ", "")))' 2>/dev/null || echo 5.4)
LUA_PC     ?= $(if $(findstring luajit,$(notdir $(LUA))),luajit,lua$(LUA_VERSION))
ifdef LUA_INCDIR
LUA_CFLAGS := -I$(LUA_INCDIR)
else
LUA_CFLAGS ?= $(shell pkg-config --cflags $(LUA_PC) 2>/dev/null || echo -I/usr/include/$(LUA_PC))
endif
CC         ?= cc
CFLAGS     ?= -O2 -g
WARN       := -std=c99 -Wall -Wextra -pedantic -Wshadow -Wwrite-strings \
              -Wmissing-prototypes -Wstrict-prototypes
LIBFLAG    ?= -shared
PREFIX     ?= /usr/local
LIBDIR     ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
LUADIR     ?= $(PREFIX)/share/lua/$(LUA_VERSION)
BINDIR     ?= $(PREFIX)/bin
BUSTED     ?= $(LUA) $(shell command -v busted 2>/dev/null || echo /usr/bin/busted)
LUACHECK   ?= luacheck

# Debian packages each goal needs (installed by tools/deps.sh): every
# interpreter with its headers, busted, LuaSocket and lua-cjson (packaged
# for every version), and the mail software of the integration specs.
DEPS_LUA   := lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev \
              lua5.4 liblua5.4-dev luajit libluajit-5.1-dev
DEPS_BUILD := $(DEPS_LUA) pkg-config gcc make
DEPS_TEST  := $(DEPS_BUILD) lua-busted lua-check luarocks lua-socket lua-cjson opensmtpd swaks \
              dovecot-lmtpd \
              libdb5.3 libicu72 libnsl2 libsasl2-2 libssl3 netbase zip unzip

# Quality gates (make check): their tools.
DEPS_CHECK := $(DEPS_TEST) clang clang-tidy cppcheck valgrind libclang-rt-14-dev \
              libfuzzer-14-dev lua-ldoc
CLANG      ?= clang
STRICT     := -std=c99 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wwrite-strings \
              -Wmissing-prototypes -Wstrict-prototypes -Wconversion
FUZZ_TIME  ?= 60

BUILD := build/$(notdir $(LUA))
CORE  := $(BUILD)/smtpcodes/core.so
SAN_CORE := build/sanitize/smtpcodes/core.so
FUZZERS  := build/fuzz/fuzz_parse build/fuzz/fuzz_lookup
# Postfix, unpacked beside OpenSMTPD (the two packages conflict) for the
# integration specs; it runs from there on a loopback port.
POSTFIX := build/postfix/usr/sbin/postfix
GEN   := csrc/replies_gen.h csrc/enhanced_gen.h csrc/commands_gen.h csrc/reasons_gen.h \
         lua/smtpcodes/luacore.lua
RUN   := LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./$(BUILD)/?.so;;'

all: $(CORE)

$(CORE): csrc/smtpcodes.c csrc/smtpcodes.h csrc/compat.h $(GEN)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden $(LUA_CFLAGS) -Icsrc \
	      $(LIBFLAG) -o $@ csrc/smtpcodes.c

deps-build:
	@sh tools/deps.sh $(DEPS_BUILD)

deps-test:
	@sh tools/deps.sh $(DEPS_TEST)

deps-check:
	@sh tools/deps.sh $(DEPS_CHECK)

# The main job: the command-line tool explaining a code, an enhanced code
# and a command's reply table.
run: deps-build
	@$(MAKE) -s all
	@echo '$$ smtpcodes 550'; $(RUN) $(LUA) bin/smtpcodes 550
	@echo; echo '$$ smtpcodes 4.7.1'; $(RUN) $(LUA) bin/smtpcodes 4.7.1
	@echo; echo '$$ smtpcodes rcpt'; $(RUN) $(LUA) bin/smtpcodes rcpt

# An interactive interpreter with this checkout on its paths and the module
# loaded as `smtpcodes`.
repl: all
	@$(RUN) $(LUA) -e 'smtpcodes = require "smtpcodes"' -i

gen:
	$(LUA) tools/gentables.lua data csrc lua/smtpcodes

check-gen:
	@mkdir -p build/gen
	@$(LUA) tools/gentables.lua data build/gen build/gen
	@for f in $(GEN); do diff -u $$f build/gen/$$(basename $$f) || \
	  { echo "$$f is stale: run 'make gen'" >&2; exit 1; }; done

# luacheck against the subset common to every Lua (.luacheckrc), and every
# file through luac5.1 -p, which refuses what Lua 5.1 cannot read (//, the
# bitwise operators, goto, attribs).
LUAFILES = $$(find lua spec tools examples bench -name '*.lua') bin/smtpcodes
lint:
	$(LUACHECK) -q lua bin/smtpcodes spec tools examples bench
	@for f in $(LUAFILES); do luac5.1 -p $$f || exit 1; done; rm -f luac.out

$(POSTFIX):
	@mkdir -p build/postfix-deb
	@cd build/postfix-deb && { apt-get download postfix >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get download postfix; }; }
	dpkg -x build/postfix-deb/postfix_*.deb build/postfix
	@touch $@

# The suite under each interpreter of TEST_LUAS, each with the C core built
# for it and again with the pure-Lua core; a failure under one interpreter
# does not stop the others.
test: deps-test
	@$(MAKE) -s lint check-gen LUA=lua5.4
	@status=0; for l in $(TEST_LUAS); do \
	  $(MAKE) -s test-one LUA=$$l || status=1; done; exit $$status

test-one: all $(POSTFIX)
	@echo "=== $(LUA), C core ($(CORE))"; status=0; \
	SMTPCODES_BACKEND=c $(BUSTED) --cpath='./$(BUILD)/?.so' || status=1; \
	echo "=== $(LUA), pure-Lua core"; \
	SMTPCODES_BACKEND=lua $(BUSTED) --cpath='./$(BUILD)/?.so' || status=1; \
	exit $$status

# Speed and memory, side by side with plain Lua and LuaSocket's socket.tp,
# for the C core and the pure-Lua one.
bench: deps-test all $(BUILD)/bench/floor.so
	@LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH='./$(BUILD)/?.so;./$(BUILD)/bench/?.so;;' \
	  $(LUA) bench/bench.lua

# The floor of the benchmark (bench/floor.c), built for each Lua like the
# core, never installed.
$(BUILD)/bench/floor.so: bench/floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -fPIC $(LUA_CFLAGS) $(LIBFLAG) -o $@ bench/floor.c

# Quality gates -------------------------------------------------------------

# The C core compiles without a warning under gcc and clang, against the
# headers of every Lua.
warnings: deps-check
	@for pc in lua5.1 lua5.2 lua5.3 lua5.4 luajit; do for cc in gcc $(CLANG); do \
	  echo "$$cc ($$pc) $(STRICT)"; \
	  $$cc $(STRICT) -O2 -fPIC $$(pkg-config --cflags $$pc) -Icsrc -c -o /dev/null \
	    csrc/smtpcodes.c || exit 1; \
	done; done

# cppcheck, every check. Suppressed, with the reason: missingInclude,
# because the Lua headers are left out on purpose (with them cppcheck checks
# Lua's own configurations, not ours).
cppcheck: deps-check
	@out=$$(cppcheck --enable=all --std=c99 --inline-suppr --quiet \
	  --suppress=missingInclude \
	  -DLUA_VERSION_NUM=504 -Icsrc --template='{file}:{line}: {severity}: {message} [{id}]' \
	  csrc/smtpcodes.c 2>&1); test -z "$$out" && echo "cppcheck: clean" || { echo "$$out"; exit 1; }

# clang-tidy with the checks of .clang-tidy (every warning an error).
tidy: deps-check
	clang-tidy --quiet csrc/smtpcodes.c -- -std=c99 $(LUA_CFLAGS) -Icsrc
	@echo "clang-tidy: clean"

$(SAN_CORE): csrc/smtpcodes.c csrc/smtpcodes.h csrc/compat.h $(GEN)
	@mkdir -p $(@D)
	$(CLANG) -std=c99 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	  -fno-sanitize-recover=all -shared-libasan -fPIC $(LUA_CFLAGS) -Icsrc -shared \
	  -o $@ csrc/smtpcodes.c

# The whole suite with the core built under AddressSanitizer and
# UndefinedBehaviorSanitizer (lua5.4 itself is not instrumented, so the
# runtime is preloaded; the core allocates nothing, so leak checking is left
# to make valgrind, which also sees the programs the specs start).
sanitize: deps-check all $(POSTFIX) $(SAN_CORE)
	SMTPCODES_BACKEND=c SMTPCODES_CORE=$(SAN_CORE) ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LD_PRELOAD=$$($(CLANG) -print-file-name=libclang_rt.asan-x86_64.so) \
	$(BUSTED) --cpath=./build/sanitize/?.so

# The whole suite under valgrind memcheck: any error, or any byte definitely
# lost, fails.
valgrind: deps-check all $(POSTFIX)
	@SMTPCODES_BACKEND=c SPEC_SCALE=0.1 valgrind --error-exitcode=99 --leak-check=full \
	  --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	  --log-file=build/valgrind.log $(BUSTED) --cpath='./$(BUILD)/?.so'; status=$$?; \
	  grep -E 'ERROR SUMMARY|definitely lost|in use at exit' build/valgrind.log; exit $$status

build/fuzz/fuzz_%: fuzz/fuzz_%.c csrc/smtpcodes.c csrc/smtpcodes.h csrc/compat.h $(GEN)
	@mkdir -p $(@D)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  $(LUA_CFLAGS) -Icsrc $< csrc/smtpcodes.c $$(pkg-config --libs $(LUA_PC)) -o $@

# libFuzzer on every C entry point that takes bytes, FUZZ_TIME seconds each,
# seeded from the spec fixtures. Crashes land in build/fuzz/crashes/: once
# fixed, each becomes a file of spec/fixtures/fuzz/.
fuzz: deps-check $(FUZZERS)
	@mkdir -p build/fuzz/crashes
	@for f in $(FUZZERS); do \
	  corpus=build/fuzz/corpus-$$(basename $$f); mkdir -p $$corpus; \
	  cp spec/fixtures/replies/*.txt spec/fixtures/fuzz/*.txt $$corpus/; \
	  echo "$$f: $(FUZZ_TIME) s"; \
	  $$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/crashes/$$(basename $$f)- $$corpus 2>build/fuzz/log || \
	    { tail -40 build/fuzz/log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|Done' build/fuzz/log; \
	done

# The API reference, from the LDoc comments; any warning fails.
docs: deps-check
	@out=$$(ldoc . 2>&1); echo "$$out"; \
	  ! echo "$$out" | grep -v -e '^reading configuration' -e '^output written' | grep -q .

# Every quality gate.
check: warnings cppcheck tidy docs sanitize valgrind fuzz

install: $(CORE)
	install -d $(DESTDIR)$(LIBDIR)/smtpcodes $(DESTDIR)$(LUADIR)/smtpcodes $(DESTDIR)$(BINDIR)
	install -m 0755 $(CORE) $(DESTDIR)$(LIBDIR)/smtpcodes/core.so
	install -m 0644 lua/smtpcodes/*.lua $(DESTDIR)$(LUADIR)/smtpcodes/
	install -m 0755 bin/smtpcodes $(DESTDIR)$(BINDIR)/smtpcodes

clean:
	rm -rf build smtpcodes csrc/*.o

.PHONY: all deps-build deps-test deps-check run repl gen check-gen lint test test-one bench warnings \
        cppcheck tidy \
        sanitize valgrind fuzz docs check install clean
