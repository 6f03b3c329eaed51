# tests/fuzz/fuzz.mk: `make fuzz`, the libFuzzer harnesses (included by the
# Makefile; not part of `make check`).  docs/fuzzing.md describes them.
#
# Every tests/fuzz/fuzz_<name>.c is the harness of one parser.  The
# engine's sources ($(LIB_SRCS)) are compiled once more with clang's
# coverage instrumentation, ASan and UBSan into $(FUZZ_BUILD)/, archived,
# and each harness is linked against that archive with the Makefile's
# pkg-config libraries, so a harness pulls in only what its parser uses.
# Each harness then runs for $(FUZZ_SECONDS) seconds on its own corpus,
# $(FUZZ_BUILD)/corpus/<name>/, seeded from tests/fuzz/corpus/<name>/ and
# kept between runs, so that a later run starts where an earlier one
# stopped.  Crash inputs go to $(FUZZ_BUILD)/crashes/<name>-crash-<sha1>,
# logs to $(FUZZ_BUILD)/logs/<name>.log.  All harnesses run; then `make
# fuzz` fails if any of them crashed.
#
#   make fuzz                        every harness, $(FUZZ_SECONDS) s each
#   make fuzz FUZZ_SECONDS=300       longer
#   make fuzz FUZZ_ONLY="escrow hex" some harnesses only
#   make fuzz-build                  build only (after fuzz-deps)
#   build-fuzz/fuzz_escrow FILE      run one input, e.g. a crash, again
#   make fuzz-coverage               line coverage of each parser by its
#                                    corpus so far (llvm-cov)
#   make fuzz-clean                  remove $(FUZZ_BUILD), corpora included

FUZZ_BUILD	?= build-fuzz
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 30
FUZZ_ONLY	?=
FUZZ_FLAGS	?=

FUZZ_ALL	= $(patsubst tests/fuzz/fuzz_%.c,%,\
	$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES	= $(if $(strip $(FUZZ_ONLY)),$(FUZZ_ONLY),$(FUZZ_ALL))
FUZZ_BINS	= $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

# Largest input per harness where real files are large (default 8192).
FUZZ_MAXLEN	= escrow:16384 transcript:16384 pe:65536

# The engine is built without -Werror here: a warning only clang gives
# should not stop a fuzzing run (the gcc build keeps -Werror).  The
# harnesses themselves keep it.
FUZZ_SAN	= -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS	= -std=c11 -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer \
	$(FUZZ_SAN) -MMD -MP -Isrc $(PKG_CFLAGS)
FUZZ_OBJS	= $(LIB_SRCS:src/%.c=$(FUZZ_BUILD)/src/%.o)
FUZZ_LIB	= $(FUZZ_BUILD)/libkeyrite-fuzz.a

# The parser sources each harness is there for, for fuzz-coverage.
FUZZ_COV_SRCS	= script:src/ceremony/script.c,src/ceremony/script-parse.c,src/ceremony/policy.c \
	escrow:src/crypto/escrow.c share:src/crypto/share.c \
	transcript:src/record/transcript-verify.c answers:src/ceremony/answers.c \
	x509:src/crypto/x509.c hex:src/base/hex.c \
	csr:src/crypto/csr.c,src/crypto/x509-issue.c,src/crypto/x509-lint.c,src/crypto/x509-options.c \
	crl:src/crypto/crl.c revocations:src/crypto/crl-list.c,src/crypto/crl.c \
	release:src/crypto/release.c pe:src/crypto/pe.c \
	ocsp:src/crypto/ocsp-list.c,src/crypto/ocsp.c \
	paperproc:src/host/paperproc.c
FUZZ_PROFDATA	?= llvm-profdata
FUZZ_LLVM_COV	?= llvm-cov
FUZZ_COV	= $(FUZZ_BUILD)/cov
FUZZ_COV_FLAGS	= -std=c11 -D_DEFAULT_SOURCE -g -O1 -Isrc $(PKG_CFLAGS) \
	-fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_LIB	= $(FUZZ_COV)/libkeyrite-cov.a

# Shell: $$c := the corpus of harness $$h, with the seeds copied in.
FUZZ_SEED	= c=$(FUZZ_BUILD)/corpus/$$h; mkdir -p $$c; \
	if [ -d tests/fuzz/corpus/$$h ]; then \
		cp tests/fuzz/corpus/$$h/* $$c/; fi
# Shell: $$v := the value for $$h in the name:value list $(1), or $(2).
FUZZ_LOOKUP	= v=$(2); for kv in $(1); do \
		case $$kv in $$h:*) v=$${kv\#*:};; esac; done

# libFuzzer's last status line, "#N DONE cov: C ft: F corp: K/S ...".
FUZZ_STATS_SED	= -e 's/.*cov: \([0-9]*\) ft: \([0-9]*\)/cov \1, ft \2,/' \
	-e 's/ corp: \([^ ]*\).*/ corpus \1/p'

.PHONY: fuzz fuzz-deps fuzz-build fuzz-run fuzz-coverage fuzz-clean

fuzz: fuzz-deps
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)$(MAKE) --no-print-directory fuzz-run

# clang, and the runtime it links for -fsanitize=fuzzer (on Debian in
# libclang-rt-N-dev, N clang's major version, which clang only recommends).
# Installs what is missing when root, as `make deps` does; otherwise
# prints the command.
FUZZ_RT		= $(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-$$(uname -m).a
FUZZ_RT_PKG	= libclang-rt-$$($(FUZZ_CC) -dumpversion | cut -d. -f1)-dev

fuzz-deps:
	$(Q)have_cc() { command -v $(FUZZ_CC) >/dev/null 2>&1; }; \
	have_rt() { have_cc && [ -f "$$($(FUZZ_RT) 2>/dev/null)" ]; }; \
	have_rt && exit 0; \
	if have_cc; then missing=$(FUZZ_RT_PKG); else missing=clang; fi; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "fuzz-deps: missing: $$missing"; \
		echo "fuzz-deps: as root run: apt-get update &&" \
		    "apt-get install -y --no-install-recommends $$missing"; \
		exit 1; \
	fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	echo "fuzz-deps: installing: $$missing"; \
	apt-get update -qq && apt-get install -y -qq \
	    --no-install-recommends $$missing || exit 1; \
	if ! have_rt; then \
		missing=$(FUZZ_RT_PKG); \
		echo "fuzz-deps: installing: $$missing"; \
		apt-get install -y -qq --no-install-recommends $$missing || \
		    exit 1; \
	fi; \
	have_rt || { echo "fuzz-deps: $(FUZZ_CC) has no libFuzzer runtime"; \
	    exit 1; }

fuzz-build: $(FUZZ_BINS)

$(FUZZ_BUILD)/src/%.o: src/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter-out -Werror,$(WARN)) \
	    -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  FUZZLD  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(WARN) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_LIB) $(PKG_LDLIBS) -lpthread

# Runs every harness in turn (build first: `make fuzz` does).  libFuzzer
# exits non-zero on a crash, a leak, a sanitizer report or a timeout; the
# summary line comes from its final stats and last status line.
fuzz-run:
	$(Q)mkdir -p $(FUZZ_BUILD)/crashes $(FUZZ_BUILD)/logs; failed=""; \
	for h in $(FUZZ_NAMES); do \
		$(FUZZ_SEED); $(call FUZZ_LOOKUP,$(FUZZ_MAXLEN),8192); \
		log=$(FUZZ_BUILD)/logs/$$h.log; \
		echo "  FUZZ    fuzz_$$h for $(FUZZ_SECONDS) s"; \
		if UBSAN_OPTIONS=print_stacktrace=1 \
		    $(FUZZ_BUILD)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) \
		    -max_len=$$v -timeout=25 -print_final_stats=1 \
		    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$h- $(FUZZ_FLAGS) \
		    $$c >$$log 2>&1; then r=ok; else r=CRASH; \
			failed="$$failed $$h"; fi; \
		n=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
		s=$$(grep -a '^#[0-9]' $$log | tail -1 | \
		    sed -n $(FUZZ_STATS_SED)); \
		echo "fuzz: fuzz_$$h: $$r: $${n:-?} runs, $${s:-no stats}"; \
		[ $$r = ok ] || grep -a -A30 -m1 \
		    'ERROR: \|runtime error\|fuzz_[a-z0-9]*: ' $$log; \
	done; \
	if [ -n "$$failed" ]; then \
		echo "fuzz: FAILED:$$failed (inputs in $(FUZZ_BUILD)/crashes/," \
		    "logs in $(FUZZ_BUILD)/logs/)"; \
		exit 1; \
	fi

# Source-based coverage: the harnesses built once more with clang's
# profile instrumentation (no sanitizers), each run once over its corpus.
$(FUZZ_COV)/src/%.o: src/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  COVCC   $<")
	$(Q)$(FUZZ_CC) $(FUZZ_COV_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_COV_LIB): $(LIB_SRCS:src/%.c=$(FUZZ_COV)/src/%.o)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_COV)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_COV_LIB)
	@$(if $(Q),echo "  COVLD   $@")
	$(Q)$(FUZZ_CC) $(FUZZ_COV_FLAGS) -fsanitize=fuzzer -o $@ $< \
	    $(FUZZ_COV_LIB) $(PKG_LDLIBS) -lpthread

fuzz-coverage: fuzz-deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_NAMES:%=$(FUZZ_COV)/fuzz_%)
	$(Q)for h in $(FUZZ_NAMES); do \
		$(FUZZ_SEED); $(call FUZZ_LOOKUP,$(FUZZ_COV_SRCS),); \
		srcs=$$(echo $$v | tr , ' '); p=$(FUZZ_COV)/$$h; \
		rm -f $$p.profraw; \
		LLVM_PROFILE_FILE=$$p.profraw $(FUZZ_COV)/fuzz_$$h -runs=0 \
		    $$c >/dev/null 2>&1 || exit 1; \
		$(FUZZ_PROFDATA) merge -sparse -o $$p.profdata $$p.profraw || \
		    exit 1; \
		echo "fuzz-coverage: fuzz_$$h ($$(ls $$c | wc -l) inputs):"; \
		$(FUZZ_LLVM_COV) report $(FUZZ_COV)/fuzz_$$h \
		    -instr-profile=$$p.profdata $$srcs || exit 1; \
		$(FUZZ_LLVM_COV) show $(FUZZ_COV)/fuzz_$$h \
		    -instr-profile=$$p.profdata $$srcs > $$p.txt; \
	done; \
	echo "fuzz-coverage: annotated sources in $(FUZZ_COV)/<name>.txt"

fuzz-clean:
	rm -rf $(FUZZ_BUILD)

-include $(wildcard $(FUZZ_BUILD)/src/*/*.d $(FUZZ_BUILD)/*.d \
	$(FUZZ_COV)/src/*/*.d $(FUZZ_COV)/*.d)
