#!/bin/sh
# Runs every tests/integration/t-*.sh against the real keyrite binary
# ($KEYRITE).  A script exits 0 (pass), 77 (skip; it prints why) or anything
# else (fail).  Closing line: "integration: N passed, N failed, N skipped".
#
# Two streams run side by side (KR_JOBS=1 runs one): the TUI tests, which
# mostly wait for the screen (and the reshare kill sweep, to even the two
# out), beside the rest, which mostly compute.  Every
# test has its own temporary directory, cards, tmux socket, CUPS and
# network namespace, so neither stream can see the other; the TUI tests
# wait for states, never for time, so a busy machine slows them only.
cd "$(dirname "$0")/../.." || exit 1
: "${KEYRITE:?KEYRITE must name the keyrite binary}"
: "${BUILD:=build}"
: "${KR_JOBS:=2}"
export KEYRITE BUILD SAN
export KR_TOP="$PWD"
if [ "$SAN" = 1 ]; then
	ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	# print_suppressions=0: a process whose leaks were all suppressed
	# (the paper helper's fontconfig caches) says nothing on stderr,
	# which tests check is empty; a real leak is still reported.
	LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export ASAN_OPTIONS LSAN_OPTIONS
fi
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
results="$logdir/.results"
: > "$results"

# stream TEST...: runs each test in turn; one line per test to stdout and
# to $results (a line is one write: the streams' lines never mix).
stream() {
	for t in "$@"; do
		name=$(basename "$t" .sh)
		start=$(date +%s)
		sh "$t" >"$logdir/$name.log" 2>&1
		rc=$?
		secs=$(( $(date +%s) - start ))
		case $rc in
		0)	line="ok    $name (${secs}s)" ;;
		77)	line="skip  $name: $(tail -1 "$logdir/$name.log")" ;;
		*)	line="FAIL  $name (exit $rc); last lines of $logdir/$name.log:
$(tail -15 "$logdir/$name.log" | sed 's/^/      /')" ;;
		esac
		printf '%s\n' "$line"
		printf '%s\n' "$line" | head -1 >> "$results"
	done
}

all=${KR_TESTS:-tests/integration/t-*.sh}
if [ "$KR_JOBS" -gt 1 ]; then
	tui="" rest=""
	for t in $all; do
		case $(basename "$t") in
		t-tui-*|t-killsweep-reshare.sh)	tui="$tui $t" ;;
		*)		rest="$rest $t" ;;
		esac
	done
	# shellcheck disable=SC2086
	stream $tui &
	# shellcheck disable=SC2086
	stream $rest
	wait
else
	# shellcheck disable=SC2086
	stream $all
fi
pass=$(grep -c '^ok ' "$results")
fail=$(grep -c '^FAIL ' "$results")
skip=$(grep -c '^skip ' "$results")
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
