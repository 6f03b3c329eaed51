#!/bin/sh
# Runs every tests/integration/t-*.sh against the real keyrite binary
# ($KEYRITE).  A script exits 0 (pass), 77 (skip; it prints why) or anything
# else (fail).  Closing line: "integration: N passed, N failed, N skipped".
cd "$(dirname "$0")/../.." || exit 1
: "${KEYRITE:?KEYRITE must name the keyrite binary}"
: "${BUILD:=build}"
export KEYRITE BUILD SAN
export KR_TOP="$PWD"
if [ "$SAN" = 1 ]; then
	ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export ASAN_OPTIONS LSAN_OPTIONS
fi
pass=0 fail=0 skip=0 failed=""
logdir="$BUILD/test-logs"
mkdir -p "$logdir"
for t in ${KR_TESTS:-tests/integration/t-*.sh}; do
	name=$(basename "$t" .sh)
	start=$(date +%s)
	sh "$t" >"$logdir/$name.log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0)	pass=$((pass + 1)); echo "ok    $name (${secs}s)" ;;
	77)	skip=$((skip + 1))
		echo "skip  $name: $(tail -1 "$logdir/$name.log")" ;;
	*)	fail=$((fail + 1)); failed="$failed $name"
		echo "FAIL  $name (exit $rc); last lines of $logdir/$name.log:"
		tail -15 "$logdir/$name.log" | sed 's/^/      /' ;;
	esac
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
