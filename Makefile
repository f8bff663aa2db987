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

# The libraries libgm calls, as pkg-config names them. Every binary is
# linked with --as-needed, so that it records only those its code calls
# (Debian's gcc passes the flag itself, but not under -fsanitize, where
# every binary recorded every library); tests/sh/linked-libraries.sh
# checks the lists. libyaml (yaml-0.1) reads gm-notify's
# configuration, Alertmanager's YAML; libcurl speaks its receivers'
# protocols (SMTP, HTTP); libmongoc (libmongoc-1.0) talks to MongoDB;
# zlib inflates gzip input (lib/reader.c); libmicrohttpd (lib/httpd.c) serves
# gm-metrics's /metrics and gm-report's --listen.
PKGS    := rdkafka libpq yajl yaml-0.1 libcurl libmongoc-1.0 zlib libmicrohttpd
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

ALL_CFLAGS = $(WARN) $(CFLAGS) $(SAN_FLAGS) -Ilib -I$(BUILD)/gen $(PKG_CFLAGS) -DGM_VERSION='"$(VERSION)"'
ALL_LDFLAGS = $(SAN_FLAGS) -Wl,--as-needed $(LDFLAGS)

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
# scripts/schema.sql, which makes the PostgreSQL tables the record types'
# descriptors (lib/rtype.c) define, goes into libgm as the C string
# gm_pg_schema_sql (run by lib/pg.c).
SCHEMA_C := $(BUILD)/gen/schema.c
LIB_OBJ  += $(SCHEMA_C:%.c=%.o)
LIBGM   := $(BUILD)/libgm.a

TOOLS     := $(patsubst %/,%,$(wildcard gm-*/))
TOOL_BINS := $(TOOLS:%=$(BUILD)/bin/%)

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRC  := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/%)

MAN_PAGES := $(wildcard man/*.[1-9])

# The architecture picture, man/gm-architecture.dot drawn by Graphviz's
# dot (gm(7) names it).
ARCH_PICS := $(BUILD)/gm-architecture.svg $(BUILD)/gm-architecture.png

.PHONY: all check check-build unit-check shell-check man-check deps demo bench install uninstall clean
all: deps $(LIBGM) $(TOOL_BINS) $(HELPER_BINS) $(ARCH_PICS)

# Installs missing Debian packages (as root) or names them (otherwise).
deps:
	@scripts/install-deps --quiet

$(BUILD)/%.o: %.c $(wildcard lib/*.h) $(wildcard gm-*/*.h) | deps
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(SCHEMA_C): scripts/schema.sql scripts/c-string
	@mkdir -p $(dir $@)
	@echo "GEN $@"
	@scripts/c-string gm_pg_schema_sql $< >$@.tmp && mv $@.tmp $@
$(SCHEMA_C:%.c=%.o): $(SCHEMA_C)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The parser's key lookup, generated from the record descriptors by
# scripts/gen-keys.c (why: see there), which links the few objects of
# libgm the descriptors need.
KEYS_H  := $(BUILD)/gen/keys.h
GEN_KEYS := $(BUILD)/scripts/gen-keys
$(GEN_KEYS): $(BUILD)/scripts/gen-keys.o $(BUILD)/lib/rtype.o $(BUILD)/lib/ts.o $(BUILD)/lib/money.o
	@mkdir -p $(dir $@)
	@$(CC) $(ALL_LDFLAGS) -o $@ $^

$(KEYS_H): $(GEN_KEYS)
	@mkdir -p $(dir $@)
	@echo "GEN $@"
	@$(GEN_KEYS) >$@.tmp && mv $@.tmp $@

$(BUILD)/lib/event.o: $(KEYS_H)

$(BUILD)/gm-architecture.%: man/gm-architecture.dot | deps
	@mkdir -p $(dir $@)
	@echo "DOT $@"
	@dot -T$* -o $@.tmp $< && mv $@.tmp $@

# gm-report's page (gm-report/page/) and Chart.js, as Debian's
# libjs-chart.js installs it, with its licence, go into the binary as C
# strings (gm-report/assets.h): the page it writes needs no file beside
# it. A "</script" in Chart.js would end the element it is inlined in.
# The OpenAPI document that --listen serves as /openapi.json goes in
# too, with its length.
CHARTJS     := /usr/share/javascript/chart.js/chart.min.js
CHARTJS_DOC := /usr/share/doc/libjs-chart.js/copyright
REPORT_ASSETS_C := $(BUILD)/gen/report_assets.c
$(REPORT_ASSETS_C): gm-report/page/report.html gm-report/page/report.css gm-report/page/report.js gm-report/page/openapi.json scripts/c-string $(wildcard $(CHARTJS) $(CHARTJS_DOC)) | deps
	@mkdir -p $(dir $@)
	@echo "GEN $@"
	@! grep -qi '</script' $(CHARTJS) || { echo "$(CHARTJS) holds </script" >&2; exit 1; }
	@awk '/^License: Expat$$/ { on = 1; next } on && /^ / { sub(/^ /, ""); if ($$0 == ".") $$0 = ""; print; got = 1; next } \
		on && got { exit } { on = 0 }' $(CHARTJS_DOC) >$@.license
	@test -s $@.license || { echo "no Expat licence in $(CHARTJS_DOC)" >&2; exit 1; }
	@{ printf '#include <stddef.h>\n' && \
		scripts/c-string gm_report_html gm-report/page/report.html && \
		scripts/c-string gm_report_css gm-report/page/report.css && \
		scripts/c-string gm_report_js gm-report/page/report.js && \
		scripts/c-string gm_report_chartjs $(CHARTJS) && \
		scripts/c-string gm_report_chartjs_license $@.license && \
		scripts/c-string report_openapi gm-report/page/openapi.json && \
		printf 'const size_t report_openapi_len = sizeof report_openapi - 1;\n'; } >$@.tmp && mv $@.tmp $@
$(REPORT_ASSETS_C:%.c=%.o): $(REPORT_ASSETS_C)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/bin/gm-report: $(REPORT_ASSETS_C:%.c=%.o)

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

# The unit tests of gm-notify's own modules (tests/unit/test_notify_*.c)
# link its objects but main's.
NOTIFY_OBJ = $(filter-out %/main.o,$(call tool_objs,gm-notify))
$(BUILD)/tests/test_notify_%: $(BUILD)/tests/unit/test_notify_%.o $$(NOTIFY_OBJ) $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(NOTIFY_OBJ) $(LIBGM) $(PKG_LIBS) $(CHECK_LIBS)

# The unit tests of gm-etl's own modules (tests/unit/test_etl_*.c) link
# its objects but main's.
ETL_OBJ = $(filter-out %/main.o,$(call tool_objs,gm-etl))
$(BUILD)/tests/test_etl_%: $(BUILD)/tests/unit/test_etl_%.o $$(ETL_OBJ) $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(ETL_OBJ) $(LIBGM) $(PKG_LIBS) $(CHECK_LIBS)

# The unit tests of gm-rfm's rules (tests/unit/test_rfm_*.c) link its
# objects but main's.
RFM_OBJ = $(filter-out %/main.o,$(call tool_objs,gm-rfm))
$(BUILD)/tests/test_rfm_%: $(BUILD)/tests/unit/test_rfm_%.o $$(RFM_OBJ) $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(RFM_OBJ) $(LIBGM) $(PKG_LIBS) $(CHECK_LIBS)

# The unit tests of gm-report's modules (tests/unit/test_report_*.c)
# link its objects but main's.
REPORT_OBJ = $(filter-out %/main.o,$(call tool_objs,gm-report)) $(REPORT_ASSETS_C:%.c=%.o)
$(BUILD)/tests/test_report_%: $(BUILD)/tests/unit/test_report_%.o $$(REPORT_OBJ) $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(REPORT_OBJ) $(LIBGM) $(PKG_LIBS) $(CHECK_LIBS)

# notify-send, the program tests/sh/gm-notify-send.sh sends with, is
# linked with gm-notify's objects as those tests are.
$(BUILD)/tests/notify-send: $(BUILD)/tests/helpers/notify-send.o $$(NOTIFY_OBJ) $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(NOTIFY_OBJ) $(LIBGM) $(PKG_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/helpers/%.o $(LIBGM)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBGM) $(PKG_LIBS)

# check-build: what make check runs, built (.ci/run builds build-san/ so
# while build/'s tests run).
check-build: all $(UNIT_BINS)

check: check-build
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
