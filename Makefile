# keyrite: GNU make, no autotools.  `make help` lists the targets.
#
# Build outputs go to $(BUILD) (build/, or build-asan/ for check-asan).
# Libraries come from pkg-config; flags are evaluated lazily so that
# `make check` can install missing packages (deps) before it needs them.

BUILD	?= build
PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
SAN	?=

ifeq ($(V),1)
Q	=
else
Q	= @
endif

# Debian packages needed to build, test and demo keyrite.
DEB_PKGS = gcc libc6-dev make pkg-config \
	openssl libssl-dev libncurses-dev libqrencode-dev libusb-1.0-0-dev \
	libudev-dev libblkid-dev libcriterion-dev libp11-kit-dev libgfshare-dev \
	libcairo2-dev softhsm2 opensc gnutls-bin valgrind umockdev \
	libumockdev-dev iproute2 util-linux tmux zbar-tools poppler-utils strace \
	python3 python3-cryptography faketime zlib1g-dev libjpeg-dev libzbar-dev libpoppler-glib-dev \
	libcups2-dev fonts-dejavu-core cups printer-driver-cups-pdf \
	imagemagick sbsigntool osslsigncode shim-unsigned binutils \
	python3-jsonschema chromium mandoc man-db \
	dosfstools e2fsprogs
# The ones a plain `make` needs; it says which are missing before compiling.
BUILD_PKGS = gcc libc6-dev make pkg-config libssl-dev libncurses-dev \
	libqrencode-dev libusb-1.0-0-dev libp11-kit-dev libcairo2-dev \
	zlib1g-dev libjpeg-dev libzbar-dev libpoppler-glib-dev libcups2-dev
# Another engineer's apt (or the machine's own updates) may hold the lock
# on a fresh machine: wait for it rather than fail.
APT_LOCK_WAIT = 600

# Debian packages that make image and make image-test need besides the
# above; make check does not install them.
IMAGE_PKGS = debootstrap squashfs-tools xorriso grub-pc-bin \
	grub-efi-amd64-bin grub-common mtools dosfstools binutils git \
	qemu-system-x86 ovmf tmux openssl

PKG_LIBS = libcrypto libusb-1.0 p11-kit-1 blkid
# The TUI's libraries: linked into the keyrite command only.
UI_PKGS = ncursesw libqrencode
UI_CFLAGS = $(shell pkg-config --cflags $(UI_PKGS))
UI_LDLIBS = $(shell pkg-config --libs $(UI_PKGS))
# The paper record (src/record/paper.c, scan.c) and printing
# (src/host/printer.c): cairo, libqrencode, zlib, zbar, poppler-glib,
# libjpeg and libcups (no .pc file in Debian 12).  Linked into the paper
# helper, keyrite-paper, only: the keyrite command, which holds secrets,
# maps none of them (docs/architecture.md, "The paper helper";
# tests/integration/t-linkage.sh checks it).  GLib's headers are included
# as system headers so that -Werror applies to our code only.
PAPER_PKGS = cairo libqrencode zlib zbar poppler-glib libjpeg
PAPER_LDLIBS = $(shell pkg-config --libs $(PAPER_PKGS)) -lcups
PKG_CFLAGS = $(shell pkg-config --cflags $(PKG_LIBS)) \
	$(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(PAPER_PKGS)))
# zlib: the QR chunks' gzip (src/record/qrchunk.c), in both programs.
PKG_LDLIBS = $(shell pkg-config --libs $(PKG_LIBS) zlib) -lm

WARN = -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla \
	-Wstrict-prototypes -Wmissing-prototypes -Wcast-qual -Wwrite-strings \
	-Wimplicit-fallthrough -Wnull-dereference
HARDEN = -fstack-protector-strong -fPIE -ftrivial-auto-var-init=zero
LDHARDEN = -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

ifeq ($(SAN),1)
OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
LDSAN = -fsanitize=address,undefined
else
OPT = -O2 -g -D_FORTIFY_SOURCE=2
LDSAN =
endif

KR_CFLAGS = -std=c11 -D_DEFAULT_SOURCE $(OPT) $(WARN) $(HARDEN) \
	-MMD -MP -Isrc $(PKG_CFLAGS) $(CFLAGS)
KR_LDFLAGS = $(LDHARDEN) $(LDSAN) $(LDFLAGS)
KR_LDLIBS = $(PKG_LDLIBS) -lpthread $(LDLIBS)

# src/ holds one folder per layer, lowest first (docs/architecture.md):
# base, host, crypto, card, record, audit, ceremony; ui/ sits above ceremony and
# src/cli/ (the keyrite command) above ui/.  Headers are included as
# "layer/name.h" (-Isrc), or bare from their own folder;
# tests/check-layers.sh keeps every include pointing down.
LAYERS = base host crypto card record audit ceremony
# The engine library is every layer's *.c but the paper helper's
# implementations; the command is src/cli/.
CMD_SRCS = $(wildcard src/cli/*.c)
# Compiled into keyrite-paper only; keyrite gets the *-client.c files,
# which keep their API and run them in the helper (src/host/paperproc.h).
PAPER_IMPL_SRCS = src/record/paper.c src/record/scan.c src/host/printer.c
PAPER_CLIENT_SRCS = src/record/paper-client.c src/record/scan-client.c \
	src/host/printer-client.c
LIB_SRCS = $(filter-out $(PAPER_IMPL_SRCS),\
	$(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c)))
LIB_OBJS = $(LIB_SRCS:src/%.c=$(BUILD)/src/%.o)
CMD_OBJS = $(CMD_SRCS:src/%.c=$(BUILD)/src/%.o)
# The TUI (ui/) is a frontend like src/cli/: part of the command.
UI_SRCS = $(wildcard ui/*.c)
UI_OBJS = $(UI_SRCS:ui/%.c=$(BUILD)/ui/%.o)
LIB	= $(BUILD)/libkeyrite.a
KEYRITE	= $(BUILD)/keyrite
# The paper helper: src/paper/ and the library with the implementations
# in place of the clients (also what test_paper and bench_paper link).
PAPER_LIB_OBJS = $(filter-out $(PAPER_CLIENT_SRCS:src/%.c=$(BUILD)/src/%.o),\
	$(LIB_OBJS)) $(PAPER_IMPL_SRCS:src/%.c=$(BUILD)/src/%.o)
PAPER_LIB = $(BUILD)/libkeyrite-paper.a
PAPER_HELPER = $(BUILD)/keyrite-paper

UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_SRCS = $(wildcard tests/helpers/*.c)
HELPER_BINS = $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/helpers/%)
BENCH_SRCS = $(wildcard tests/bench/bench_*.c)
BENCH_BINS = $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps depcheck check check-asan test layers unit integration \
	demo bench install clean help killsweep man image image-test
.DEFAULT_GOAL := all

all: $(KEYRITE) $(PAPER_HELPER)

help:
	@echo "make            build $(KEYRITE)"
	@echo "make deps       install the Debian packages keyrite needs (root)"
	@echo "make check      deps, then unit and integration tests"
	@echo "make check-asan the same tests built with ASan and UBSan"
	@echo "make demo       a rehearsal in the TUI with five virtual cards"
	@echo "make killsweep  kill a ceremony at every syscall, check each (~11 min)"
	@echo "make bench      benchmarks against peer implementations"
	@echo "make fuzz       run every parser's libFuzzer harness (FUZZ_SECONDS each)"
	@echo "make image      the bootable appliance: $(BUILD)/keyrite-<version>.iso (root)"
	@echo "make image-test build it twice, compare, boot it in qemu (11-30 min)"
	@echo "make install    install into \$$DESTDIR\$$PREFIX ($(PREFIX)):"
	@echo "                keyrite, its paper helper, the scripts, man pages, docs"
	@echo "make man        check the manual pages with mandoc -T lint"
	@echo "make clean      remove build outputs"

# --- dependencies -----------------------------------------------------------

# The Debian packages of $(1) that are not installed, space-separated.
missing_pkgs = dpkg-query -W -f='$${Package} $${Status}\n' $(1) 2>&1 | \
	awk -v want="$(1)" 'BEGIN { n = split(want, w, " "); \
	    for (i = 1; i <= n; i++) miss[w[i]] = 1 } \
	    / install ok installed$$/ { delete miss[$$1] } \
	    END { for (p in miss) printf " %s", p }'

# Installs only what is missing; when not root, prints the command instead.
# apt-get install waits for the dpkg lock (DPkg::Lock::Timeout); apt-get
# update does not wait for the lists lock, so it is tried again while
# another apt holds it, for as long.
deps:
	$(Q)missing=$$($(call missing_pkgs,$(DEB_PKGS))); \
	if [ -z "$$missing" ]; then \
		echo "deps: all $(words $(DEB_PKGS)) packages present"; \
	elif [ "$$(id -u)" != 0 ]; then \
		echo "deps: missing:$$missing"; \
		echo "deps: as root run: apt-get update && apt-get install -y --no-install-recommends$$missing"; \
		exit 1; \
	else \
		echo "deps: installing:$$missing"; \
		t0=$$(date +%s); \
		until DEBIAN_FRONTEND=noninteractive apt-get update -qq \
		    2> $(BUILD)-apt.err || ! grep -q 'Could not get lock' \
		    $(BUILD)-apt.err; do \
			[ $$(( $$(date +%s) - t0 )) -lt $(APT_LOCK_WAIT) ] || break; \
			echo "deps: apt is busy ($$(grep -o 'held by process [0-9]* ([^)]*)' $(BUILD)-apt.err | head -1)); waiting"; \
			sleep 5; \
		done; cat $(BUILD)-apt.err >&2; rm -f $(BUILD)-apt.err; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    -o DPkg::Lock::Timeout=$(APT_LOCK_WAIT) \
		    --no-install-recommends $$missing; \
	fi

# Before anything compiles: the packages a build needs, named when
# missing, instead of a compiler error about a header.
depcheck:
	$(Q)command -v dpkg-query > /dev/null || exit 0; \
	missing=$$($(call missing_pkgs,$(BUILD_PKGS))); \
	if [ -n "$$missing" ]; then \
		echo "keyrite needs Debian packages that are not installed:$$missing"; \
		echo "run 'make deps' as root (it installs every package keyrite needs)"; \
		exit 1; \
	fi

# --- build ------------------------------------------------------------------

$(BUILD)/src/%.o: src/%.c | depcheck
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KR_CFLAGS) -c -o $@ $<

$(BUILD)/ui/%.o: ui/%.c | depcheck
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KR_CFLAGS) -Iui $(UI_CFLAGS) -c -o $@ $<

# cmd-tui.c calls into ui/ through "ui/ui.h".
$(BUILD)/src/cli/cmd-tui.o: KR_CFLAGS += -I.

$(LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# keyrite never runs without its paper helper beside it: whatever builds
# it builds the helper too.
$(KEYRITE): $(CMD_OBJS) $(UI_OBJS) $(LIB) | $(PAPER_HELPER)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KR_LDFLAGS) -o $@ $(CMD_OBJS) $(UI_OBJS) $(LIB) \
	    $(KR_LDLIBS) $(UI_LDLIBS)

$(PAPER_LIB): $(PAPER_LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(PAPER_HELPER): $(BUILD)/src/paper/keyrite-paper.o $(PAPER_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(KR_LDFLAGS) -o $@ $< $(PAPER_LIB) $(KR_LDLIBS) \
	    $(PAPER_LDLIBS)

# Unit tests: one Criterion binary per tests/unit/test_<module>.c, linked
# with libkeyrite.a; test_paper tests the implementations themselves
# (paper.c, scan.c) and links the helper's library instead.
# Unit tests that run whole ceremonies (test_engine) start the helper as
# keyrite does, beside the running program: build/tests/keyrite-paper.
UNIT_LIB = $(LIB)
UNIT_LDLIBS =
$(BUILD)/tests/keyrite-paper: $(PAPER_HELPER)
	@mkdir -p $(@D)
	$(Q)ln -sf ../keyrite-paper $@
$(BUILD)/tests/test_paper: UNIT_LIB = $(PAPER_LIB)
$(BUILD)/tests/test_paper: UNIT_LDLIBS = $(PAPER_LDLIBS)
$(BUILD)/tests/test_paper: $(PAPER_LIB)
$(BUILD)/tests/%: tests/unit/%.c $(LIB) | $(BUILD)/tests/keyrite-paper
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KR_CFLAGS) -Wno-missing-prototypes $(KR_LDFLAGS) -o $@ $< \
	    $(UNIT_LIB) $(KR_LDLIBS) $(UNIT_LDLIBS) \
	    $(shell pkg-config --libs criterion)

# Test helpers: small programs integration tests call (never installed).
# watch-usb-umockdev runs a ceremony that prints: the paper helper goes
# beside them too.
$(BUILD)/helpers/keyrite-paper: $(PAPER_HELPER)
	@mkdir -p $(@D)
	$(Q)ln -sf ../keyrite-paper $@
$(HELPER_BINS): | $(BUILD)/helpers/keyrite-paper
$(BUILD)/helpers/%: tests/helpers/%.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KR_CFLAGS) $(KR_LDFLAGS) -o $@ $< $(LIB) $(KR_LDLIBS)

# bench_paper measures paper.c in its own process: the helper's library.
BENCH_LIB = $(LIB)
BENCH_LDLIBS =
$(BUILD)/bench/bench_paper: BENCH_LIB = $(PAPER_LIB)
$(BUILD)/bench/bench_paper: BENCH_LDLIBS = $(PAPER_LDLIBS)
$(BUILD)/bench/bench_paper: $(PAPER_LIB)
$(BUILD)/bench/%: tests/bench/%.c $(LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KR_CFLAGS) $(KR_LDFLAGS) -o $@ $< $(BENCH_LIB) $(KR_LDLIBS) \
	    $(BENCH_LDLIBS) -lgfshare

-include $(wildcard $(BUILD)/src/*/*.d $(BUILD)/ui/*.d $(BUILD)/tests/*.d \
	$(BUILD)/bench/*.d $(BUILD)/helpers/*.d)
-include tests/tests.mk
# make fuzz: libFuzzer harnesses, one per parser (clang; not in make check).
-include tests/fuzz/fuzz.mk

# --- tests ------------------------------------------------------------------

check: deps
	$(Q)$(MAKE) --no-print-directory test

check-asan: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan SAN=1 test

test: layers man $(KEYRITE) $(UNIT_BINS) $(HELPER_BINS) $(TEST_EXTRA)
	$(Q)BUILD=$(BUILD) SAN=$(SAN) tests/run-unit.sh $(UNIT_BINS)
	$(Q)BUILD=$(BUILD) SAN=$(SAN) KEYRITE=$(abspath $(KEYRITE)) \
	    tests/integration/run.sh

# Every include points down the layers (src/<layer>/, ui/, src/cli/).
layers:
	$(Q)tests/check-layers.sh

# The manual pages (mdoc): no error or warning from mandoc's lint.
MAN_PAGES = $(wildcard docs/man/*.[1-9])
man:
	$(Q)mandoc -T lint -W warning $(MAN_PAGES) && \
	    echo "man: $(words $(MAN_PAGES)) pages pass mandoc -T lint"

unit: $(UNIT_BINS)
	$(Q)BUILD=$(BUILD) SAN=$(SAN) tests/run-unit.sh $(UNIT_BINS)

integration: $(KEYRITE) $(HELPER_BINS) $(TEST_EXTRA)
	$(Q)BUILD=$(BUILD) SAN=$(SAN) KEYRITE=$(abspath $(KEYRITE)) \
	    tests/integration/run.sh

# Every kill point of a root-ca-create and a drill (make check runs a
# sample in tests/integration/t-killsweep.sh); about 11 minutes here.
# Then every kill point of a custodian-reshare (t-killsweep-reshare.sh).
killsweep: deps
	$(Q)$(MAKE) --no-print-directory $(KEYRITE)
	$(Q)KEYRITE=$(abspath $(KEYRITE)) KR_TOP=$(CURDIR) \
	    sh tests/integration/killsweep.sh full both
	$(Q)KEYRITE=$(abspath $(KEYRITE)) KR_TOP=$(CURDIR) \
	    sh tests/integration/killsweep-reshare.sh full

# --- demo, bench, install ---------------------------------------------------

# A rehearsal on this machine: five virtual cards and an output directory
# in a fresh temporary directory, then the TUI.
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)d=$$(mktemp -d /tmp/keyrite-demo-XXXXXX) && mkdir "$$d/media" && \
	$(KEYRITE) rehearsal-cards --dir "$$d/cards" --count 5 && \
	echo "demo: outputs go to $$d/media (remove $$d afterwards)" && \
	echo "demo: card custodian-N has PIN 12340N; the table above lists them" && \
	if [ -t 0 ] && [ -t 1 ]; then \
		printf "demo: press Enter to start the rehearsal TUI " && \
		read _ && . "$$d/cards/env" && \
		$(KEYRITE) tui --rehearsal --media "$$d/media" \
		    --scripts $(CURDIR)/ceremony-scripts; \
	else \
		echo "demo: not a terminal; to start the TUI run:"; \
		echo "  . $$d/cards/env && $(KEYRITE) tui --rehearsal" \
		    "--media $$d/media"; \
	fi

bench: deps
	$(Q)$(MAKE) --no-print-directory $(KEYRITE) $(BENCH_BINS)
	$(Q)for b in $(BENCH_BINS); do KEYRITE=$(abspath $(KEYRITE)) \
	    KR_TOP=$(CURDIR) $$b || exit 1; done

# The scripts, the policy and their reviewed manifest go read-only (0444
# in a 0555 directory) beside bin/keyrite, where a real ceremony looks for
# them (src/ceremony/reviewed.h); the manifest must match first.  Only the
# binary already built in $(BUILD) is installed: nothing is rebuilt here
# unless it is out of date.
SCRIPTS_DEST = $(DESTDIR)$(PREFIX)/share/keyrite/ceremony-scripts
SHIPPED_SCRIPTS = $(wildcard ceremony-scripts/*.ceremony) \
	ceremony-scripts/policy.conf ceremony-scripts/reviewed.sha256 \
	ceremony-scripts/README

# The manual under share/man (man -M PREFIX/share/man keyrite), the
# guides and formats under share/doc/keyrite, the example answers files
# under share/doc/keyrite/examples.
MAN_DEST = $(DESTDIR)$(PREFIX)/share/man
DOC_DEST = $(DESTDIR)$(PREFIX)/share/doc/keyrite
SHIPPED_DOCS = README.md $(wildcard docs/*.md)

install: $(KEYRITE) $(PAPER_HELPER)
	$(Q)cd ceremony-scripts && sha256sum --quiet --strict -c reviewed.sha256 || \
	    { echo "install: ceremony-scripts/reviewed.sha256 does not match" \
	    "the scripts: review them and update it (docs/rehearsal.md)"; \
	    exit 1; }
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/keyrite
	install -m 0755 $(KEYRITE) $(DESTDIR)$(PREFIX)/bin/keyrite
	install -d $(DESTDIR)$(PREFIX)/lib/keyrite
	install -m 0755 $(PAPER_HELPER) $(DESTDIR)$(PREFIX)/lib/keyrite/keyrite-paper
	install -d -m 0755 $(SCRIPTS_DEST)
	install -m 0444 $(SHIPPED_SCRIPTS) $(SCRIPTS_DEST)/
	chmod 0555 $(SCRIPTS_DEST)
	install -d $(MAN_DEST)/man1 $(MAN_DEST)/man5
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(MAN_DEST)/man1/
	install -m 0644 $(filter %.5,$(MAN_PAGES)) $(MAN_DEST)/man5/
	install -d $(DOC_DEST)/examples
	install -m 0644 $(SHIPPED_DOCS) $(DOC_DEST)/
	install -m 0644 $(wildcard docs/examples/*) $(DOC_DEST)/examples/

# --- the appliance image (docs/appliance.md) --------------------------------

# Not part of make check: a build takes 3-12 minutes, image-test 11-30.
image:
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(IMAGE_PKGS)"
	$(Q)BUILD=$(abspath $(BUILD)) DEB_PKGS="$(DEB_PKGS)" image/build.sh

image-test:
	$(Q)$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(IMAGE_PKGS)"
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(abspath $(BUILD)) DEB_PKGS="$(DEB_PKGS)" \
	    KEYRITE=$(abspath $(KEYRITE)) tests/image/run.sh

clean:
	rm -rf build build-asan
