# gm: one Makefile for libgm, every gm-* tool, tests, pages and benchmarks.
#
#   make                 build libgm and every tool into $(BUILD)/
#   make check           build and run every test (unit, shell, servers, pages)
#   make SANITIZE=1 check   the same under ASan + UBSan, in build-san/
#   make demo            run the pipeline on the embedded default (NDJSON, no server)
#   make bench           print speed figures beside their anchors
#   make install PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
VERSION := 0.1.0

PKGS    := rdkafka libpq libmongoc-1.0 yajl libcurl
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter
SAN_FLAGS :=

ifeq ($(SANITIZE),1)
BUILD   ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CFLAGS  := -O1 -g
else
BUILD   ?= build
endif

# pkg-config is asked only when building, so that `make clean` and
# `make install-deps` work on a machine that has none of the libraries yet.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lm -lpthread
CHECK_LIBS = $(shell pkg-config --libs check)

ALL_CFLAGS = $(WARN) $(CFLAGS) $(SAN_FLAGS) -Ilib $(PKG_CFLAGS) -DGM_VERSION='"$(VERSION)"'
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBGM   := $(BUILD)/libgm.a

TOOLS     := $(patsubst %/,%,$(wildcard gm-*/))
TOOL_BINS := $(TOOLS:%=$(BUILD)/bin/%)

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC  := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)

MAN_PAGES := $(wildcard man/*.[1-9])

.PHONY: all check unit-check shell-check man-check deps demo bench install uninstall clean
all: deps $(LIBGM) $(TOOL_BINS) $(HELPER_BINS)

# Installs missing Debian packages (as root) or names them (otherwise).
deps:
	@scripts/install-deps --quiet

$(BUILD)/%.o: %.c $(wildcard lib/*.h) $(wildcard gm-*/*.h) | deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBGM): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

.SECONDARY:
.SECONDEXPANSION:
# A tool's objects: every .c file of its folder.
tool_objs = $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)/*.c))
$(BUILD)/bin/%: $$(call tool_objs,$$*) $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBGM) $(PKG_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBGM) $(PKG_LIBS) $(CHECK_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBGM) $(PKG_LIBS)

check: all $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run-all

unit-check: all $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run-all unit

shell-check: all
	@BUILD=$(BUILD) tests/run-all shell

man-check:
	@BUILD=$(BUILD) tests/run-all man

demo: all
	@BUILD=$(BUILD) scripts/demo

bench: all
	@BUILD=$(BUILD) scripts/bench

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	for t in $(TOOL_BINS); do install -m 755 $$t $(DESTDIR)$(BINDIR)/; done
	for p in $(MAN_PAGES); do s=$${p##*.}; install -m 644 $$p $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for p in $(MAN_PAGES); do s=$${p##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${p#man/}; done

clean:
	rm -rf build build-san
