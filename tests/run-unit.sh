#!/bin/sh
# Runs each Criterion unit-test binary given as an argument and prints one
# closing line "N passed, N failed" over all of them.  Exit 1 on any failure.
# Under ASan (SAN=1) SIGSEGV must reach the tests that expect it.
# Criterion runs each test in a worker process and counts the test as
# passed before the worker exits, where LeakSanitizer reports: a report
# changes neither the synthesis nor the exit status, so this script
# fails a binary whose output holds one.  fast_unwind_on_malloc=0: the
# stacks go on through libcriterion (built without frame pointers) to
# main, so lsan.supp can tell Criterion's own runner from a test.
if [ "$SAN" = 1 ]; then
	ASAN_OPTIONS="handle_segv=0:handle_abort=0:allow_user_segv_handler=1:detect_leaks=1:fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	LSAN_OPTIONS="suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export ASAN_OPTIONS LSAN_OPTIONS
fi
pass=0 fail=0 bad=""
for t in "$@"; do
	out=$("$t" --jobs 2 2>&1); rc=$?
	syn=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -1)
	p=$(printf '%s\n' "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
	f=$(printf '%s\n' "$syn" | sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2/p')
	if [ -z "$p" ]; then
		printf '%s\n' "$out"
		echo "unit: $t: no Criterion synthesis line (exit $rc)"
		fail=$((fail + 1)); bad="$bad $t"; continue
	fi
	nf=$(echo $f | awk '{print $1 + $2}')
	leaks=0
	[ "$SAN" = 1 ] && leaks=$(printf '%s\n' "$out" |
	    grep -c 'ERROR: LeakSanitizer: detected memory leaks')
	pass=$((pass + p)); fail=$((fail + nf))
	if [ "$rc" != 0 ] || [ "$nf" != 0 ] || [ "$leaks" != 0 ]; then
		printf '%s\n' "$out"; bad="$bad $t"
	fi
	[ "$leaks" = 0 ] || echo "unit: $(basename "$t"): LeakSanitizer" \
	    "reported leaks in $leaks process(es)"
	echo "unit: $(basename "$t"): $syn" | sed 's/\[====\] //'
done
echo "unit: $pass passed, $fail failed"
[ -z "$bad" ] || { echo "unit: failing:$bad"; exit 1; }
