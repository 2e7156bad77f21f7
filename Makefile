# AoEde — top-level Makefile.
#
#   make            build the four programs and aoebench into $(B)/
#   make check      install dependencies, build, run unit tests (also under
#                   ASan+UBSan), a bounded fuzz run and the integration tests
#   make demo       export a demo image in private network namespaces and use it
#   make fuzz       run every fuzz target for FUZZ_SECONDS each
#   make install    honours PREFIX and DESTDIR
#
# Our code is built with -Werror; library flags come from pkg-config.

PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
BINDIR		?= $(PREFIX)/bin
LIBEXECDIR	?= $(PREFIX)/libexec/aoede
MANDIR		?= $(PREFIX)/share/man
UNITDIR		?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d
DOCDIR		?= $(PREFIX)/share/doc/aoede
DESTDIR		?=

B		?= build
CC		?= gcc
SAN		?=
FUZZ		?=
FUZZ_SECONDS	?= 60
FUZZ_RUNS	?= 2000000
V		?=

PKGS		:= libevent msgpack libsystemd liburing libseccomp inih
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS	:= $(shell pkg-config --libs cmocka 2>/dev/null)

WARN		:= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wmissing-prototypes \
		   -Wstrict-prototypes -Wformat=2 -Wno-unused-parameter
HARDEN_CFLAGS	:= -fstack-protector-strong -fPIE
HARDEN_LDFLAGS	:= -pie -Wl,-z,relro,-z,now
ifeq ($(FUZZ),1)
OPT		:= -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
SAN_LDFLAGS	:= -fsanitize=address,undefined
else ifeq ($(SAN),1)
OPT		:= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_LDFLAGS	:= -fsanitize=address,undefined
else
OPT		:= -O2 -g -D_FORTIFY_SOURCE=2
SAN_LDFLAGS	:=
endif

ALL_CFLAGS	= -std=gnu11 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN_CFLAGS) -Iproto -Iblockd -Inetd -Isupervisor \
		  $(PKG_CFLAGS) -DLIBEXECDIR='"$(LIBEXECDIR)"' -MMD -MP $(CFLAGS)
ALL_LDFLAGS	= $(HARDEN_LDFLAGS) $(SAN_LDFLAGS) $(LDFLAGS)

# each program's main() lives in <dir>/main.c; the rest of a folder is a
# library that its unit tests link against
PROTO_SRCS	:= $(wildcard proto/*.c)
SUP_SRCS	:= $(filter-out supervisor/main.c,$(wildcard supervisor/*.c))
NETD_SRCS	:= $(filter-out netd/main.c,$(wildcard netd/*.c))
BLOCKD_SRCS	:= $(filter-out blockd/main.c,$(wildcard blockd/*.c))
CTL_SRCS	:= $(filter-out ctl/main.c,$(wildcard ctl/*.c))
BENCH_SRCS	:= $(filter-out aoebench/main.c,$(wildcard aoebench/*.c))

obj		= $(patsubst %.c,$(B)/obj/%.o,$(1))

LIB_PROTO	:= $(B)/libaoede.a
LIB_SUP		:= $(B)/libsupervisor.a
LIB_NETD	:= $(B)/libnetd.a
LIB_BLOCKD	:= $(B)/libblockd.a
LIB_CTL		:= $(B)/libctl.a
LIB_BENCH	:= $(B)/libaoebench.a

PROGS		:= $(B)/aoede $(B)/aoede-netd $(B)/aoede-blockd $(B)/aoectl $(B)/aoebench

UNIT_SRCS	:= $(wildcard tests/unit/test_*.c)
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRCS))
FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS	:= $(patsubst tests/fuzz/%.c,build/fuzz/fuzzers/%,$(FUZZ_SRCS))

# per-test extra link flags (e.g. -Wl,--wrap=pwrite) live next to the test
-include $(wildcard tests/unit/*.mk)

.PHONY: all check unit unit-run asan-unit fuzz fuzz-check fuzz-build integration \
	demo deps users install uninstall clean bench lint soak check-kernel
.DEFAULT_GOAL := all

all: $(PROGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  CC      $<";)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_PROTO): $(call obj,$(PROTO_SRCS))
$(LIB_SUP): $(call obj,$(SUP_SRCS))
$(LIB_NETD): $(call obj,$(NETD_SRCS))
$(LIB_BLOCKD): $(call obj,$(BLOCKD_SRCS))
$(LIB_CTL): $(call obj,$(CTL_SRCS))
$(LIB_BENCH): $(call obj,$(BENCH_SRCS))
$(B)/lib%.a:
	@mkdir -p $(dir $@)
	@rm -f $@
	$(if $(V),,@echo "  AR      $@";)ar rcs $@ $^

$(B)/aoede: $(B)/obj/supervisor/main.o $(LIB_SUP) $(LIB_PROTO)
$(B)/aoede-netd: $(B)/obj/netd/main.o $(LIB_NETD) $(LIB_PROTO)
$(B)/aoede-blockd: $(B)/obj/blockd/main.o $(LIB_BLOCKD) $(LIB_PROTO)
$(B)/aoectl: $(B)/obj/ctl/main.o $(LIB_CTL) $(LIB_PROTO)
$(B)/aoebench: $(B)/obj/aoebench/main.o $(LIB_BENCH) $(LIB_PROTO)
$(B)/aoe-reflector: $(B)/obj/bench/reflector.o $(LIB_PROTO)
$(B)/aoe-switchcost: $(B)/obj/bench/switchcost.o $(LIB_PROTO)
$(PROGS) $(B)/aoe-reflector $(B)/aoe-switchcost:
	$(if $(V),,@echo "  LD      $@";)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# unit tests: tests/unit/test_<folder>_<unit>.c links that folder's library
test_lib = $(strip \
	$(if $(filter test_blockd_%,$(1)),$(LIB_BLOCKD)) \
	$(if $(filter test_netd_%,$(1)),$(LIB_NETD)) \
	$(if $(filter test_supervisor_%,$(1)),$(LIB_SUP)) \
	$(if $(filter test_ctl_%,$(1)),$(LIB_CTL)) \
	$(if $(filter test_aoebench_%,$(1)),$(LIB_BENCH)) \
	$(LIB_PROTO))

.SECONDEXPANSION:
$(B)/unit/%: $(B)/obj/tests/unit/%.o $$(call test_lib,$$*)
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  LD      $@";)$(CC) $(ALL_LDFLAGS) $(TEST_LDFLAGS_$*) -o $@ $^ $(CMOCKA_LIBS) $(PKG_LIBS)

unit: $(UNIT_BINS)

unit-run: unit
	@tests/lib/run-unit.sh $(UNIT_BINS)

asan-unit:
	$(MAKE) B=build/asan SAN=1 unit-run

# --- fuzzing (clang + libFuzzer) ---------------------------------------
fuzz-build:
	$(MAKE) B=build/fuzz CC=clang FUZZ=1 build/fuzz/libaoede.a build/fuzz/libblockd.a \
	    build/fuzz/libnetd.a build/fuzz/libsupervisor.a $(FUZZ_BINS)

build/fuzz/fuzzers/fuzz_%: build/fuzz/obj/tests/fuzz/fuzz_%.o build/fuzz/libblockd.a \
    build/fuzz/libnetd.a build/fuzz/libsupervisor.a build/fuzz/libaoede.a
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  LD      $@";)clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

fuzz-check: deps fuzz-build
	@tests/lib/run-fuzz.sh runs $(FUZZ_RUNS) $(FUZZ_BINS)

fuzz: deps fuzz-build
	@tests/lib/run-fuzz.sh seconds $(FUZZ_SECONDS) $(FUZZ_BINS)

# --- the real Linux initiator: the full matrix (make check runs a subset) ---
KERNEL_MATRIX	:= "-p discover,data,fs,restarts" "-p -m 9000 discover,data,fs,restarts" \
		   "-p -n 2 discover,data,fs" "-p -m 9000 -n 2 discover,data,fs,restarts" \
		   "-a -w -R 6 restarts" "-a -r readonly" "-c 2 -m 9000 data,fs"

check-kernel: deps all users
	@pass=0; fail=0; for opts in $(KERNEL_MATRIX); do \
		echo "== tests/vm/run.sh $$opts"; \
		if AOEDE_BUILD=$(B) sh tests/vm/run.sh $$opts; then pass=$$((pass + 1)); \
		else fail=$$((fail + 1)); echo "FAIL: run.sh $$opts"; fi; \
	done; echo "check-kernel: $$pass passed, $$fail failed"; [ $$fail -eq 0 ]

# --- static analysis (CI runs it after make check) ----------------------
LINT_SRCS	:= $(wildcard proto/*.c netd/*.c blockd/*.c supervisor/*.c ctl/*.c aoebench/*.c bench/*.c)

lint: deps
	@echo "== gcc -fanalyzer"
	@for f in $(LINT_SRCS); do \
		$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -fanalyzer -Werror -Wall -Wextra \
		    -Wno-unused-parameter -Iproto -Iblockd -Inetd -Isupervisor $(PKG_CFLAGS) \
		    -DLIBEXECDIR='"$(LIBEXECDIR)"' \
		    -c $$f -o /dev/null || exit 1; \
	done
	@echo "== cppcheck"
	@cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
	    --std=c11 -D_GNU_SOURCE --include=/usr/include/x86_64-linux-gnu/sys/queue.h \
	    -Iproto -Iblockd -Inetd -Isupervisor --suppress=missingIncludeSystem \
	    proto netd blockd supervisor ctl aoebench bench
	@echo "lint: clean"

# --- benchmarks (not in make check) ---------------------------------
# BENCH_QUICK=1 for a short matrix, BENCH_DISK=1 for images on disk; see
# bench/run.sh for the other BENCH_* knobs and docs/performance.md
bench: deps all users $(B)/aoe-reflector $(B)/aoe-switchcost
	@AOEDE_BUILD=$(B) sh bench/run.sh
	@echo "== blockd's cache against none (bench/cache.sh)"
	@AOEDE_BUILD=$(B) sh bench/cache.sh | tee bench/cache.txt

# --- soak (not in make check): DURATION seconds of verified load with faults
DURATION	?= 3600
soak: deps all users
	@DURATION=$(DURATION) sh tests/soak.sh $(B)

# --- the whole test suite ---------------------------------------------
integration: all users
	@tests/lib/run-integration.sh $(B)

check: deps
	$(MAKE) all users
	$(MAKE) unit-run
	$(MAKE) asan-unit
	$(MAKE) fuzz-check
	$(MAKE) integration

demo: deps
	$(MAKE) all users
	@tests/demo.sh $(B)

deps:
	@tests/lib/deps.sh

# the unprivileged users netd and blockd drop to (see units/aoede.sysusers)
users:
	@tests/lib/users.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(B)/aoede $(DESTDIR)$(SBINDIR)/aoede
	install -m 0755 $(B)/aoede-netd $(B)/aoede-blockd $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 $(B)/aoectl $(B)/aoebench $(DESTDIR)$(SBINDIR)/
	install -d $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0644 units/aoede.service units/aoede.socket $(DESTDIR)$(UNITDIR)/
	install -m 0644 units/aoede.sysusers $(DESTDIR)$(SYSUSERSDIR)/aoede.conf
	install -m 0644 $(wildcard docs/*.8) $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 $(wildcard docs/*.5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(wildcard examples/*.conf) $(DESTDIR)$(DOCDIR)/examples/
	@if [ -z "$(DESTDIR)" ]; then tests/lib/users.sh; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/aoede $(DESTDIR)$(SBINDIR)/aoectl $(DESTDIR)$(SBINDIR)/aoebench
	rm -f $(DESTDIR)$(LIBEXECDIR)/aoede-netd $(DESTDIR)$(LIBEXECDIR)/aoede-blockd
	rm -f $(DESTDIR)$(SYSUSERSDIR)/aoede.conf
	rm -f $(DESTDIR)$(UNITDIR)/aoede.service $(DESTDIR)$(UNITDIR)/aoede.socket
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(wildcard docs/*.8)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard docs/*.5)))
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
